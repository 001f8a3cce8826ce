// Type-checked with `tsc --noEmit --strict -p examples/tsconfig.json` (npm run typecheck):
// the public typings must describe real usage precisely enough for --strict.
import { connect, type Database, type DbValue, type Row, type Transaction } from 'fanio';
import fanio, {
  Client,
  FanioError,
  asSettled,
  fail,
  map,
  opStats,
  settle,
  sleep,
  type ErrorCode,
  type Op,
  Response,
  type Retry,
  type StreamResult,
} from 'fanio';

/** A row as an application declares it: an interface, with no index signature. */
interface UserRow {
  id: number;
  name: string | null;
}

async function main(): Promise<void> {
  const op: Op<string> = sleep(10, 'ten');
  const text: string = await op;
  const nothing: undefined = await sleep(0);
  void nothing;

  // A tuple keeps each task's own value type.
  const [a, b, c] = await settle([sleep(5, 1), () => 'host', async ({ signal }) => (signal.aborted ? 0n : 1n)], {
    limit: 2,
    timeout: 1_000,
    failFast: false,
    onProgress: (done: number, total: number) => void (done <= total),
  });
  if (a.status === 'fulfilled') {
    const n: number = a.value;
    void n;
  }
  if (b.status === 'fulfilled') {
    const s: string = b.value;
    void s;
  }
  if (c.status === 'rejected') {
    const reason: unknown = c.reason;
    void reason;
  } else {
    const big: bigint = c.value;
    void big;
  }

  // A list of one kind.
  const many: PromiseSettledResult<number>[] = await settle(
    Array.from({ length: 10 }, (_, i) => sleep(i, i)),
    { limit: 4, signal: AbortSignal.timeout(5_000) },
  );
  void many;

  // Ops reject only with FanioErrors: the reason is typed, no cast.
  for (const r of await settle([sleep(1, 'a'), fail(1, 'boom')])) {
    if (r.status === 'rejected') {
      const code: ErrorCode = r.reason.code;
      // @ts-expect-error a FanioError has `status`, not `statusCode` (a reason typed `any` would hide this typo)
      console.log(code, r.reason.statusCode);
    }
  }
  // A promise handed over directly may reject with anything, as in Promise.allSettled.
  const legacy = new Promise<string>((_, reject) => reject('busy'));
  const [fromPromise] = await settle([legacy]);
  if (fromPromise.status === 'rejected') {
    const said: string = fromPromise.reason;
    void said;
  }

  try {
    await fail(1, 'boom');
  } catch (e) {
    if (e instanceof FanioError) {
      const code: string = e.code;
      void code;
    }
  }

  const doubled: number[] = await map([1, 2, 3], async (x: number, i: number) => x * 2 + i, {
    concurrency: 2,
    stopOnError: false,
  });
  void doubled;

  function* source(): Generator<Op<string> | (() => Promise<string>)> {
    yield sleep(1, 'native');
    yield async () => 'host';
  }
  for await (const r of asSettled(source(), { limit: 2 })) {
    const item: StreamResult<string> = r;
    if (item.status === 'fulfilled') console.log(item.index, item.value.toUpperCase());
    else console.log(item.index, item.reason);
  }
  for await (const r of asSettled([sleep(1, 1), sleep(2, 2)])) {
    if (r.status === 'rejected') {
      const code: ErrorCode = r.reason.code;
      console.log(r.index, code);
    } else console.log(r.index, r.value + 1);
  }

  const { running, peak }: { running: number; peak: number } = opStats();
  console.log(text, running, peak, fanio.codes.length);
  fanio.resetOpStats();
}

async function databaseUsage(): Promise<void> {
  const db: Database = await connect('sqlite::memory:', { maxConnections: 2, acquireTimeout: 5_000 });
  const created: number = await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
  const loaded: number = await db.executeMany('INSERT INTO t VALUES (?, ?)', [
    [1, 'a'],
    [2n, null],
  ]);
  await db.copyRecords('t', [{ id: 3, name: 'c' }]);
  await db.copyRecords('t', [[4, 'd']], { columns: ['id', 'name'] });
  const rows: Row[] = await db.fetchAll('SELECT * FROM t WHERE id > :min', { min: 0 });
  const arrays: DbValue[][] = await db.fetchAll('SELECT * FROM t', [], { rowMode: 'array' });
  const one: { id: number; name: string | null } = await db.fetchOne<{ id: number; name: string | null }>(
    'SELECT * FROM t WHERE id = ?',
    [1],
  );
  // An interface types rows as pg's query<T> does.
  const user: UserRow = await db.fetchOne<UserRow>('SELECT id, name FROM t WHERE id = ?', [1]);
  const users: UserRow[] = await db.fetchAll<UserRow>('SELECT id, name FROM t');
  const nobody: UserRow | null = await db.fetchOptional<UserRow>('SELECT id, name FROM t WHERE id = ?', [99]);
  console.log(
    user.id + 1,
    users.map((u) => u.name),
    nobody?.name,
  );
  const maybe: Row | null = await db.fetchOptional('SELECT * FROM t WHERE id = ?', [99]);
  const count: number = await db.fetchVal<number>('SELECT count(*) FROM t');
  const controller = new AbortController();
  const settled = await settle(
    [db.fetchOne('SELECT * FROM t WHERE id = ?', [1], { signal: controller.signal }), sleep(1, 'x')],
    { limit: 32 },
  );
  const name: string = await db.transaction(
    async (tx: Transaction) => {
      await tx.execute('UPDATE t SET name = ? WHERE id = ?', ['z', 1]);
      return 'done';
    },
    { isolation: 'serializable', readOnly: false },
  );
  const tx: Transaction = await db.begin();
  await tx.rollback();
  try {
    await db.fetchOne('SELECT * FROM t WHERE id = -1');
  } catch (e) {
    if (e instanceof FanioError && e.code === 'E_NO_ROWS') console.log(e.sqlstate, e.sqlite_code, e.index);
  }
  console.log(created, loaded, rows.length, arrays.length, one.name, maybe, count, settled.length, name, String(db));
  await db.close();
  await db[Symbol.asyncDispose]();
}

void databaseUsage();
// The HTTP client: lazy ops, settled batches, streaming, typed options.
async function httpUsage(baseUrl: string): Promise<void> {
  const retry: Retry = { attempts: 3, backoff: 50, backoffMax: 1_000, onStatus: [503], methods: ['GET'] };
  await using client = new Client({
    baseUrl,
    headers: { 'x-app': 'demo', accept: ['application/json', 'text/plain'] },
    timeout: 10_000,
    maxConnectionsPerHost: 8,
    http2: 'never',
    retry,
  });
  const res: Response = await client.get('/json', { params: [['q', 'x']], timeout: 2_000 });
  const status: number = res.raiseForStatus().status;
  const type: string | null = res.headers.get('content-type');
  const cookies: string[] = res.headers.getAll('set-cookie');
  for (const [name, value] of res.headers) console.log(name, value);
  const body: Buffer = res.content;
  const doc: unknown = res.json();
  console.log(status, type, cookies, body.length, doc, res.text().length, res.elapsed, res.httpVersion);

  const posted: Op<Response> = client.post('/echo', { json: { a: 1 }, signal: AbortSignal.timeout(1_000) });
  const settled: PromiseSettledResult<Response>[] = await settle([posted, client.put('/echo', { content: 'x' })], {
    limit: 2,
  });
  const all = await client.fetchAll(['/bytes/10', { method: 'POST', url: '/echo', form: { k: 'v' } }], {
    limit: 16,
    failFast: false,
  });
  for (const r of [...settled, ...all]) {
    if (r.status === 'fulfilled') console.log(r.value.status);
    else console.log((r.reason as FanioError).code);
  }
  for await (const item of asSettled(
    ['/a', '/b'].map((u) => client.get(u)),
    { limit: 2 },
  )) {
    if (item.status === 'fulfilled') console.log(item.index, item.value.url);
  }

  const streamed: Response = await client.stream('GET', '/stream/3');
  let total = 0;
  for await (const chunk of streamed.body) total += chunk.length;
  await streamed.close();
  const web: ReadableStream<Buffer> = ReadableStream.from((await client.stream('GET', '/stream/3')).body);
  console.log(total, web.locked);
}

// One batch of HTTP requests and queries, as a user writes it.
async function mixedUsage(db: Database, client: Client, ids: number[]): Promise<void> {
  const ops = [
    ...ids.map((id) => db.fetchOne<UserRow>('SELECT id, name FROM users WHERE id = $1', [id])),
    ...ids.map((id) => client.get(`/users/${id}`)),
  ];
  for (const r of await settle(ops, { limit: 32 })) {
    if (r.status === 'rejected') console.log(r.reason.code, r.reason.status);
    else if (r.value instanceof Response) console.log(r.value.status);
    else console.log(r.value.name);
  }
  // Any iterable mixes too: a generator pulled as the batch runs.
  function* lookups(): Generator<Op<UserRow> | Op<Response>> {
    for (const id of ids) {
      yield db.fetchOne<UserRow>('SELECT id, name FROM users WHERE id = $1', [id]);
      yield client.get(`/users/${id}/avatar`);
    }
  }
  for (const r of await settle(lookups(), { limit: 8 })) {
    if (r.status === 'fulfilled') console.log(r.value instanceof Response ? r.value.url : r.value.id);
    else console.log(r.reason.code);
  }
  const [row, health] = await settle([db.fetchOne<UserRow>('SELECT id, name FROM users LIMIT 1'), client.get('/')]);
  if (row.status === 'fulfilled' && health.status === 'fulfilled') {
    const id: number = row.value.id;
    const status: number = health.value.status;
    console.log(id, status);
  }
}

void main();
void httpUsage;
void mixedUsage;

// p-map's pMapSkip and pMapIterable, over an async source.
async function* ids(): AsyncGenerator<number> {
  for (let i = 0; i < 5; i++) yield i;
}
export async function mapping(): Promise<void> {
  const evens: number[] = await fanio.map(ids(), (i) => (i % 2 === 0 ? i : fanio.mapSkip), { concurrency: 2 });
  for await (const doubled of fanio.mapIterable(ids(), async (i) => i * 2, { concurrency: 2, backpressure: 4 })) {
    const n: number = doubled;
    void n;
  }
  void evens;
}
