// fanio demo: a few thousand mixed sleep/fail ops, a limit, a progress bar (on a
// terminal), then a table of outcomes by status and code and the time taken.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client, connect, fail, settle, sleep } from '../bindings-node/index.mjs';
import { startTestbed } from '../tests-js/testbed.mjs';

const N = 3000;
const LIMIT = 200;

// Deterministic mix: mostly sleeps of 0-19 ms, every 7th op fails, a few are slow
// enough to hit the per-op timeout.
const ops = Array.from({ length: N }, (_, i) => {
  if (i % 7 === 3) return fail(i % 11, `op ${i} failed on purpose`);
  if (i % 250 === 0) return sleep(400, i);
  return sleep(i % 20, i);
});

const t0 = performance.now();
const results = await settle(ops, { limit: LIMIT, timeout: 250, progress: true });
const ms = performance.now() - t0;

const table = new Map();
for (const r of results) {
  const key = r.status === 'fulfilled' ? 'fulfilled' : `rejected ${r.reason.code}`;
  table.set(key, (table.get(key) ?? 0) + 1);
}
console.log(`fanio (node): ${N} ops, limit ${LIMIT}, timeout 250 ms`);
console.log('outcome                      count');
for (const [key, count] of [...table].sort()) console.log(`${key.padEnd(28)} ${String(count).padStart(5)}`);
console.log(`took ${ms.toFixed(0)} ms`);

await httpDemo();
await databaseDemo();

/** An embedded SQLite file: a table filled by executeMany, then one bounded batch of
 * point lookups (every 10th id is missing on purpose: E_NO_ROWS) mixed with HTTP GETs to
 * the local testbed, the whole batch settled in Rust. */
async function databaseDemo() {
  const ROWS = 5000;
  const LOOKUPS = 2000;
  const dir = mkdtempSync(join(tmpdir(), 'fanio-demo-'));
  const bed = await startTestbed();
  try {
    const db = await connect(`sqlite://${join(dir, 'demo.db')}`, { maxConnections: 4 });
    const client = new Client({ baseUrl: bed.http });
    await db.execute('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL)');
    const users = Array.from({ length: ROWS }, (_, i) => [i, `user ${i}`, (i * 37) % 100]);
    let t = performance.now();
    const inserted = await db.executeMany('INSERT INTO users VALUES (?, ?, ?)', users);
    console.log(
      `\nfanio (node) + SQLite: executeMany inserted ${inserted} rows in ${(performance.now() - t).toFixed(0)} ms`,
    );
    // Ids past the table (every 10th lookup) find nothing: fetchOne rejects with E_NO_ROWS.
    const ids = Array.from({ length: LOOKUPS }, (_, i) => (i % 10 === 9 ? ROWS + i : (i * 7919) % ROWS));
    const ops = ids.flatMap((id, i) => {
      const lookup = db.fetchOne('SELECT id, name, score FROM users WHERE id = ?', [id]);
      // One GET after every 4th lookup.
      return i % 4 === 3 ? [lookup, client.get(`/bytes/${(i % 8) * 128}`)] : [lookup];
    });
    t = performance.now();
    const results = await settle(ops, { limit: 32 });
    const ms = performance.now() - t;
    const table = new Map();
    for (const r of results) {
      const key =
        r.status === 'rejected'
          ? `rejected ${r.reason.code}`
          : typeof r.value.status === 'number'
            ? `fulfilled HTTP ${r.value.status}`
            : 'fulfilled row';
      table.set(key, (table.get(key) ?? 0) + 1);
    }
    console.log(
      `${LOOKUPS} lookups (every 10th id missing) and ${ops.length - LOOKUPS} HTTP GETs in one batch, limit 32, settled in ${ms.toFixed(0)} ms; first: ${JSON.stringify(results[0].value)}`,
    );
    console.log('outcome                      count');
    for (const [key, count] of [...table].sort()) console.log(`${key.padEnd(28)} ${String(count).padStart(5)}`);
    await client.close();
    await db.close();
  } finally {
    await bed.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** HTTP: ~2,000 requests to the local testbed server with a limit; some 404s turned
 * into errors by errorForStatus, some to /never cut off by a short timeout. */
async function httpDemo() {
  const bed = await startTestbed();
  try {
    // (`await using client = ...` where the runtime has it; Node 20 does not.)
    const client = new Client({ baseUrl: bed.http });
    const HTTP_N = 2000;
    const requests = Array.from({ length: HTTP_N }, (_, i) => {
      if (i % 50 === 7) return client.get('/status/404', { errorForStatus: true });
      if (i % 400 === 9) return client.get('/never', { timeout: 200 });
      return client.get(`/bytes/${(i % 8) * 128}`);
    });
    const h0 = performance.now();
    const settled = await settle(requests, { limit: 64 });
    const httpMs = performance.now() - h0;
    const byOutcome = new Map();
    let bytes = 0;
    for (const r of settled) {
      const key = r.status === 'fulfilled' ? `fulfilled ${r.value.status}` : `rejected ${r.reason.code}`;
      if (r.status === 'fulfilled') bytes += r.value.content.length;
      byOutcome.set(key, (byOutcome.get(key) ?? 0) + 1);
    }
    console.log(`\nfanio (node) HTTP: ${HTTP_N} GETs to the testbed, limit 64`);
    console.log('outcome                      count');
    for (const [key, count] of [...byOutcome].sort()) console.log(`${key.padEnd(28)} ${String(count).padStart(5)}`);
    console.log(`took ${httpMs.toFixed(0)} ms, ${(bytes / 1024).toFixed(0)} KiB read`);
    await client.close();
  } finally {
    await bed.close();
  }
}
