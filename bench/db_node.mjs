// Database benchmarks of the Node face against the usual Node drivers, on this machine:
//   Postgres: PK lookups with 32 in flight (fanio native batch vs pg Pool + p-limit with
//   named prepared statements vs postgres.js; pgbench -S as the ceiling), a 20,000-row
//   fetchAll (conversion vs query time), executeMany vs a postgres.js bulk insert.
//   SQLite (file, WAL): PK lookups with 8 in flight vs a synchronous better-sqlite3 loop.
//   Also executeMany of a statement it keeps per row (INSERT ... SELECT), beside the
//   same INSERT per row through postgres.js (pipelined in one transaction).
// `--quick` runs tiny counts (the CI smoke); `--bulk` only the Postgres bulk writes.
// Postgres parts skip if it is unreachable.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Sqlite from 'better-sqlite3';
import pLimit from 'p-limit';
import pg from 'pg';
import postgres from 'postgres';

import { connect, settle } from '../bindings-node/index.mjs';

const QUICK = process.argv.includes('--quick');
const BULK_ONLY = process.argv.includes('--bulk');
const PG_URL = process.env.FANIO_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const N = QUICK
  ? { table: 2000, lookups: 500, wide: 500, sqlite: 2000, many: 2000, pgbenchSecs: 1 }
  : { table: 100_000, lookups: 20_000, wide: 20_000, sqlite: 100_000, many: 100_000, pgbenchSecs: 5 };

const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function timed(fn) {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

function report(name, count, ms, base) {
  const rate = (count / ms) * 1000;
  const ratio = base === undefined ? '' : `  (${(rate / base).toFixed(2)}x fanio)`;
  console.log(`  ${name.padEnd(44)} ${fmt(rate).padStart(10)} ops/s${ratio}`);
  return rate;
}

const ids = (n, of) => Array.from({ length: n }, (_, i) => (i * 7919) % of);

async function postgresBench() {
  let db;
  try {
    db = await connect(PG_URL, { maxConnections: 4, acquireTimeout: 3000 });
  } catch (e) {
    console.log(`postgres: skipped (${e.code} at ${PG_URL})`);
    return;
  }
  const table = `fanio_bench_${process.pid}`;
  await db.execute(
    `CREATE UNLOGGED TABLE ${table} (id int4 PRIMARY KEY, name text, score float8, born timestamptz, n int8)`,
  );
  try {
    await db.execute(
      `INSERT INTO ${table} SELECT g, 'name ' || g, g / 7.0, now() - g * interval '1 minute', g * 1000 FROM generate_series(0, $1::int4 - 1) g`,
      [N.table],
    );
    await db.execute(`ANALYZE ${table}`);
    const pjs = postgres(PG_URL, { max: 32, prepare: true, onnotice: () => {} });
    if (!BULK_ONLY) {
      const keys = ids(N.lookups, N.table);
      const sql = `SELECT id, name, score FROM ${table} WHERE id = $1`;
      console.log(
        `postgres: ${fmt(N.lookups)} PK lookups on ${fmt(N.table)} rows, 32 in flight (fanio and pgbench: best of ${QUICK ? 1 : 3})`,
      );

      await settle(
        keys.slice(0, 500).map((id) => db.fetchOne(sql, [id])),
        { limit: 32 },
      ); // warm
      // fanio and pgbench best of 3, interleaved: one run each swings by 1.5x here.
      const bench = pgbenchSetup();
      let fanioMs = Infinity;
      let ceiling;
      for (let round = 0; round < (QUICK ? 1 : 3); round++) {
        const [ms, results] = await timed(() =>
          settle(
            keys.map((id) => db.fetchOne(sql, [id])),
            { limit: 32 },
          ),
        );
        if (!results.every((r, i) => r.status === 'fulfilled' && r.value.id === keys[i]))
          throw new Error('fanio lookups went wrong');
        fanioMs = Math.min(fanioMs, ms);
        const tps = bench && pgbenchRun(bench);
        if (tps) ceiling = Math.max(ceiling ?? 0, tps);
      }
      if (bench) spawnSync('pgbench', ['-i', '-I', 'd', ...bench]);
      const base = report('fanio settle (native batch, 4 connections)', N.lookups, fanioMs);

      const pool = new pg.Pool({ connectionString: PG_URL, max: 32 });
      const limit = pLimit(32);
      const pgLookup = (id) => limit(() => pool.query({ name: 'lookup', text: sql, values: [id] }));
      await Promise.all(keys.slice(0, 500).map(pgLookup));
      const [pgMs] = await timed(() => Promise.all(keys.map(pgLookup)));
      report('pg Pool(32) + p-limit, named prepared', N.lookups, pgMs, base);
      await pool.end();

      const limit2 = pLimit(32);
      const pjsLookup = (id) => limit2(() => pjs.unsafe(sql, [id], { prepare: true }));
      await Promise.all(keys.slice(0, 500).map(pjsLookup));
      const [pjsMs] = await timed(() => Promise.all(keys.map(pjsLookup)));
      report('postgres.js (max 32) + p-limit', N.lookups, pjsMs, base);

      if (ceiling) report('pgbench -S -M prepared -c32 (ceiling)', ceiling, 1000, base);

      // One wide result: how long conversion takes next to the query itself.
      const wide = `SELECT id, name, score, born, n FROM ${table} ORDER BY id LIMIT $1`;
      await db.fetchAll(wide, [N.wide]);
      const [execMs] = await timed(() => db.execute(wide, [N.wide]));
      const [allMs, rows] = await timed(() => db.fetchAll(wide, [N.wide]));
      const [arrMs] = await timed(() => db.fetchAll(wide, [N.wide], { rowMode: 'array' }));
      const [pgWideMs] = await timed(async () => {
        const client = new pg.Client(PG_URL);
        await client.connect();
        await client.query(wide, [N.wide]);
        const t = performance.now();
        await client.query(wide, [N.wide]);
        const ms = performance.now() - t;
        await client.end();
        return ms;
      }).then(([, ms]) => [ms]);
      const [pjsWideMs] = await timed(() => pjs.unsafe(wide, [N.wide], { prepare: true }));
      if (rows.length !== N.wide) throw new Error('fetchAll went wrong');
      console.log(`postgres: one ${fmt(N.wide)}-row x 5-column result`);
      console.log(`  fanio execute (query, rows dropped)        ${execMs.toFixed(1).padStart(8)} ms`);
      console.log(
        `  fanio fetchAll objects / arrays            ${allMs.toFixed(1).padStart(8)} / ${arrMs.toFixed(1)} ms  (decode + convert ~${(allMs - execMs).toFixed(1)} ms)`,
      );
      console.log(
        `  pg query / postgres.js                     ${pgWideMs.toFixed(1).padStart(8)} / ${pjsWideMs.toFixed(1)} ms`,
      );
    }

    // executeMany vs postgres.js bulk insert (multi-row VALUES, chunked under its
    // 65,534-parameter limit).
    const target = `${table}_many`;
    await db.execute(`CREATE UNLOGGED TABLE ${target} (id int4, name text, score float8)`);
    const data = Array.from({ length: N.many }, (_, i) => [i, `n${i}`, i / 3]);
    const objects = data.map(([id, name, score]) => ({ id, name, score }));
    const loads = [
      [
        'fanio executeMany (multi-row INSERTs, one tx)',
        () => db.executeMany(`INSERT INTO ${target} VALUES ($1, $2, $3)`, data),
      ],
      // INSERT ... SELECT is left as it is: one execute per row, what the driver allows.
      ['fanio executeMany, one execute per row', () => db.executeMany(`INSERT INTO ${target} SELECT $1, $2, $3`, data)],
      ['fanio copyRecords (COPY BINARY)', () => db.copyRecords(target, data, { columns: ['id', 'name', 'score'] })],
      [
        'postgres.js bulk INSERT (20k-row chunks)',
        () =>
          pjs.begin(async (tx) => {
            for (let i = 0; i < objects.length; i += 20_000)
              await tx`INSERT INTO ${pjs(target)} ${pjs(objects.slice(i, i + 20_000))}`;
          }),
      ],
      // An array returned from the callback is what postgres.js pipelines in a transaction.
      [
        'postgres.js same INSERT per row, pipelined',
        () =>
          pjs.begin((tx) =>
            data.map((row) => tx.unsafe(`INSERT INTO ${target} VALUES ($1, $2, $3)`, row, { prepare: true })),
          ),
      ],
    ];
    // Best of 3 rounds, the loads interleaved: one run each swings by 2x here.
    const rounds = QUICK ? 1 : 3;
    console.log(`postgres: insert ${fmt(N.many)} rows (best of ${rounds})`);
    const best = new Map();
    for (let r = 0; r < rounds; r++) {
      for (const [name, run] of loads) {
        await db.execute(`TRUNCATE ${target}`);
        // The last load's dirty pages are written now, not during the next one.
        await db.execute('CHECKPOINT');
        const [ms] = await timed(run);
        if ((await db.fetchVal(`SELECT count(*) FROM ${target}`)) !== BigInt(N.many))
          throw new Error(`${name} went wrong`);
        best.set(name, Math.min(best.get(name) ?? Infinity, ms));
      }
    }
    let manyBase;
    for (const [name, ms] of best) {
      const rate = report(name, N.many, ms, manyBase);
      manyBase ??= rate;
    }
    await pjs.end();
    await db.execute(`DROP TABLE ${target}`);
  } finally {
    await db.execute(`DROP TABLE IF EXISTS ${table}`);
    await db.close();
  }
}

/** pgbench's select-only prepared run, the server's own ceiling here. */
/** pgbench's tables made; its connection arguments, or undefined (saying why). */
function pgbenchSetup() {
  const which = spawnSync('pgbench', ['--version']);
  if (which.status !== 0) {
    console.log('  pgbench: not installed, no ceiling measured');
    return undefined;
  }
  const url = new URL(PG_URL);
  const conn = [
    '-h',
    url.hostname,
    '-p',
    url.port || '5432',
    '-U',
    decodeURIComponent(url.username || 'postgres'),
    url.pathname.slice(1),
  ];
  const init = spawnSync('pgbench', ['-i', '-q', '-s', '1', ...conn], { encoding: 'utf8' });
  if (init.status !== 0) {
    console.log(`  pgbench: init failed: ${init.stderr.trim().split('\n').pop()}`);
    return undefined;
  }
  return conn;
}

/** One pgbench -S run: its transactions per second, or undefined (saying why). */
function pgbenchRun(conn) {
  const run = spawnSync('pgbench', ['-S', '-M', 'prepared', '-c32', '-j2', `-T${N.pgbenchSecs}`, ...conn], {
    encoding: 'utf8',
  });
  const tps = /tps = ([\d.]+)/.exec(run.stdout);
  if (!tps) console.log(`  pgbench: no result: ${run.stderr.trim().split('\n').pop()}`);
  return tps ? Number(tps[1]) : undefined;
}

async function sqliteBench() {
  const dir = mkdtempSync(join(tmpdir(), 'fanio-bench-'));
  try {
    const file = join(dir, 'bench.db');
    const raw = new Sqlite(file);
    raw.pragma('journal_mode = WAL');
    raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)');
    const insert = raw.prepare('INSERT INTO t VALUES (?, ?, ?)');
    raw.transaction(() => {
      for (let i = 0; i < N.sqlite; i++) insert.run(i, `name ${i}`, i / 7);
    })();
    const keys = ids(N.sqlite, N.sqlite);
    console.log(`sqlite (file, WAL): ${fmt(N.sqlite)} PK lookups (best of ${QUICK ? 1 : 3})`);

    const db = await connect(`sqlite://${file}`, { maxConnections: 8 });
    const sql = 'SELECT id, name, score FROM t WHERE id = ?';
    await settle(
      keys.slice(0, 1000).map((id) => db.fetchOne(sql, [id])),
      { limit: 8 },
    );
    const lookup = raw.prepare(sql);
    const runs = [
      [
        'fanio settle (native batch, 8 in flight)',
        async () => {
          const results = await settle(
            keys.map((id) => db.fetchOne(sql, [id])),
            { limit: 8 },
          );
          if (!results.every((r, i) => r.status === 'fulfilled' && r.value.id === keys[i]))
            throw new Error('fanio lookups went wrong');
        },
      ],
      [
        'better-sqlite3, synchronous loop',
        () => {
          for (const id of keys) if (lookup.get(id).id !== id) throw new Error('better-sqlite3 went wrong');
        },
      ],
    ];
    // Best of 3 rounds, the two interleaved: one run each swings by 2x here.
    const best = new Map();
    for (let r = 0; r < (QUICK ? 1 : 3); r++) {
      for (const [name, run] of runs) {
        const [ms] = await timed(run);
        best.set(name, Math.min(best.get(name) ?? Infinity, ms));
      }
    }
    // What the main thread itself spends around the batch: making the ops, and building
    // the results (settling the finished ops again builds them with no I/O).
    const made = performance.now();
    const ops = keys.map((id) => db.fetchOne(sql, [id]));
    const makeMs = performance.now() - made;
    await settle(ops, { limit: 8 });
    const [againMs] = await timed(() => settle(ops, { limit: 8 }));
    await db.close();
    let base;
    for (const [name, ms] of best) {
      const rate = report(name, N.sqlite, ms, base);
      base ??= rate;
    }
    const goal = best.get('better-sqlite3, synchronous loop') / 1.5;
    console.log(
      `  on the main thread: making the ops ${makeMs.toFixed(1)} ms, building the results ${againMs.toFixed(1)} ms` +
        ` (1.5x the better-sqlite3 loop is ${goal.toFixed(1)} ms for everything)`,
    );
    raw.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`fanio database bench (node${QUICK ? ', quick' : ''})`);
await postgresBench();
if (!BULK_ONLY) await sqliteBench();
