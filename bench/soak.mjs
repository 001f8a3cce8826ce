// Soak run from Node (`make soak`, not part of `make test`): the same mixed fan-out as
// bench/soak.py (HTTP GETs to the testbed, Postgres and SQLite queries at limit 256)
// for SOAK_MINUTES minutes (default 10), sampling RSS and open fds every SOAK_SAMPLE
// seconds (default 10) into target/soak/soak-node.csv; prints the RSS growth per minute
// after warm-up (SOAK_WARMUP seconds, default a sixth of the run within 20-120 s) and
// the fd range. `python bench/soak.py --plot` draws it beside the Python run.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { asSettled, Client, connect, settle } from '../bindings-node/index.mjs';
import { startTestbed } from '../tests-js/testbed.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'target', 'soak');
const LIMIT = 256;
const BATCH = 3000;
const PG_URL = process.env.FANIO_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const minutes = Number(process.env.SOAK_MINUTES ?? 10);
const sampleEvery = Number(process.env.SOAK_SAMPLE ?? 10);
const total = minutes * 60;
const warm = process.env.SOAK_WARMUP ? Number(process.env.SOAK_WARMUP) : Math.min(120, Math.max(20, total / 6));

const openFds = () => readdirSync('/proc/self/fd').length;
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
// V8's heap apart from RSS: tells garbage not yet collected from memory held natively.
const heapMb = () => process.memoryUsage().heapUsed / 2 ** 20;
const externalMb = () => process.memoryUsage().external / 2 ** 20;

const tb = await startTestbed();
const dir = mkdtempSync(join(tmpdir(), 'fanio-soak-'));
const client = new Client({ baseUrl: tb.http, timeout: 30000 });
const lite = await connect(`sqlite://${join(dir, 'soak.db')}`, { maxConnections: 2 });
await lite.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
await lite.executeMany(
  'INSERT INTO t VALUES (?, ?)',
  Array.from({ length: 1000 }, (_, i) => [i, `name ${i}`]),
);
let pg = null;
try {
  pg = await connect(PG_URL, { maxConnections: 4, acquireTimeout: 10000 });
} catch (e) {
  console.log(`soak.mjs: no Postgres at ${PG_URL} (${e.code}): HTTP and SQLite only`);
}

const rows = [];
let done = 0;
let errors = 0;
const t0 = performance.now();
const sample = () =>
  rows.push({
    t_s: (performance.now() - t0) / 1000,
    rss_mb: rssMb(),
    heap_mb: heapMb(),
    external_mb: externalMb(),
    fds: openFds(),
    ops: done,
    errors,
  });
sample();
const sampler = setInterval(sample, sampleEvery * 1000);

for (let round = 0; (performance.now() - t0) / 1000 < total; round++) {
  const ops = [];
  for (let k = 0; k < BATCH; k++) {
    const kind = k % 3;
    if (kind === 0) ops.push(client.get('/bytes/1024'));
    else if (kind === 1 && pg) ops.push(pg.fetchVal('SELECT $1::int + 1', [k]));
    else ops.push(lite.fetchOne('SELECT id, name FROM t WHERE id = ?', [k % 1000]));
  }
  // Alternate the two batch shapes: all at once, and streamed as they complete.
  if (round % 2 === 0) {
    for (const r of await settle(ops, { limit: LIMIT })) errors += r.status === 'rejected';
  } else {
    for await (const r of asSettled(ops, { limit: LIMIT })) errors += r.status === 'rejected';
  }
  done += ops.length;
}
clearInterval(sampler);
sample();
await client.close();
await lite.close();
await pg?.close();
await tb.close();
rmSync(dir, { recursive: true, force: true });

mkdirSync(OUT, { recursive: true });
const path = join(OUT, 'soak-node.csv');
const fields = ['t_s', 'rss_mb', 'heap_mb', 'external_mb', 'fds', 'ops', 'errors'];
writeFileSync(path, `${[fields.join(','), ...rows.map((r) => fields.map((f) => r[f]).join(','))].join('\n')}\n`);

// RSS slope after warm-up (least squares, MB/min) and the fd range.
const after = rows.filter((r) => r.t_s >= warm);
const use = after.length >= 2 ? after : rows.slice(-2);
const ts = use.map((r) => r.t_s / 60);
const ys = use.map((r) => r.rss_mb);
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const [mt, my] = [mean(ts), mean(ys)];
const varT = ts.reduce((s, t) => s + (t - mt) ** 2, 0);
const slope = varT ? ts.reduce((s, t, i) => s + (t - mt) * (ys[i] - my), 0) / varT : 0;
const fds = use.map((r) => r.fds);
const allFds = rows.map((r) => r.fds);
const last = rows.at(-1);
console.log(
  `node: ${done} ops in ${last.t_s.toFixed(0)} s (${(done / last.t_s).toFixed(0)}/s), ${errors} errors; ` +
    `RSS ${rows[0].rss_mb.toFixed(1)} -> ${last.rss_mb.toFixed(1)} MB, after ${warm.toFixed(0)} s warm-up ` +
    `${slope >= 0 ? '+' : ''}${slope.toFixed(2)} MB/min over ${use.length} samples ` +
    `(${Math.min(...ys).toFixed(1)}-${Math.max(...ys).toFixed(1)} MB); open fds ${Math.min(...fds)}-${Math.max(...fds)} ` +
    `after warm-up (${Math.min(...allFds)}-${Math.max(...allFds)} overall); ` +
    `V8 heap used ${Math.min(...use.map((r) => r.heap_mb)).toFixed(0)}-${Math.max(...use.map((r) => r.heap_mb)).toFixed(0)} MB, ` +
    `external ${Math.min(...use.map((r) => r.external_mb)).toFixed(0)}-${Math.max(...use.map((r) => r.external_mb)).toFixed(0)} MB`,
);
console.log(`wrote ${path.slice(ROOT.length)}`);
