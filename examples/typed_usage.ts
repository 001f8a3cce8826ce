// Type-checked with `tsc --noEmit --strict -p examples/tsconfig.json` (npm run typecheck):
// the public typings must describe real usage precisely enough for --strict.
import fanio, { FanioError, asSettled, fail, map, opStats, settle, sleep, type Op, type StreamResult } from 'fanio';
import { connect, type Database, type DbValue, type Row, type Transaction } from 'fanio';

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

  const { running, peak }: { running: number; peak: number } = opStats();
  console.log(text, running, peak, fanio.codes.length);
  fanio.resetOpStats();
}

async function databaseUsage(): Promise<void> {
  const db: Database = await connect('sqlite::memory:', { maxConnections: 2, acquireTimeout: 5_000 });
  const created: number = await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
  const loaded: number = await db.executeMany('INSERT INTO t VALUES (?, ?)', [[1, 'a'], [2n, null]]);
  await db.copyRecords('t', [{ id: 3, name: 'c' }]);
  await db.copyRecords('t', [[4, 'd']], { columns: ['id', 'name'] });
  const rows: Row[] = await db.fetchAll('SELECT * FROM t WHERE id > :min', { min: 0 });
  const arrays: DbValue[][] = await db.fetchAll('SELECT * FROM t', [], { rowMode: 'array' });
  const one: { id: number; name: string | null } = await db.fetchOne<{ id: number; name: string | null }>('SELECT * FROM t WHERE id = ?', [1]);
  const maybe: Row | null = await db.fetchOptional('SELECT * FROM t WHERE id = ?', [99]);
  const count: number = await db.fetchVal<number>('SELECT count(*) FROM t');
  const controller = new AbortController();
  const settled = await settle([db.fetchOne('SELECT * FROM t WHERE id = ?', [1], { signal: controller.signal }), sleep(1, 'x')], { limit: 32 });
  const name: string = await db.transaction(async (tx: Transaction) => {
    await tx.execute('UPDATE t SET name = ? WHERE id = ?', ['z', 1]);
    return 'done';
  }, { isolation: 'serializable', readOnly: false });
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

void main();
void databaseUsage();
