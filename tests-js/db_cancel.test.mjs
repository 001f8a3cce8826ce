// Transactions cut off at random points: every one settles promptly, with its normal
// outcome or E_CANCELLED, what committed is exactly what said so, and the pool serves
// afterwards. Against SQLite files and Postgres (when reachable).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connect, FanioError } from '../bindings-node/index.mjs';
import { PG_URL, pgSkip, sqliteUrl, unique } from './db_env.mjs';

/** `p`, or a rejection saying it never settled within `ms`. */
function within(p, ms) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no outcome after ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Aborts `controller` at a random point: at once, after a microtask, or later (while
 * a statement runs, between statements, or after the commit). */
function abortSoon(controller) {
  const r = Math.random();
  if (r < 0.1) controller.abort();
  else if (r < 0.2) queueMicrotask(() => controller.abort());
  else setTimeout(() => controller.abort(), Math.random() * 12);
}

/** `rounds` of `concurrent` transactions, each of two statements (the second takes a
 * moment on Postgres, so aborts land while it runs). */
async function storm(db, table, { p, slow }, { rounds, concurrent }) {
  let committed = 0;
  const seen = new Map();
  for (let round = 0; round < rounds; round++) {
    const runs = Array.from({ length: concurrent }, async (_, k) => {
      const id = round * concurrent + k;
      const controller = new AbortController();
      // One in eight runs to its end, so both outcomes are always seen.
      if (k !== 0) abortSoon(controller);
      const { signal } = controller;
      try {
        const out = await within(
          db.transaction(async (tx) => {
            await tx.execute(`INSERT INTO ${table} (id) VALUES (${p})`, [id], { signal });
            await tx.fetchVal(`SELECT count(*) FROM ${table}${slow}`, [], { signal });
            return 'committed';
          }),
          10_000,
        );
        committed += 1;
        return out;
      } catch (e) {
        if (!(e instanceof FanioError)) throw e;
        return e.code;
      }
    });
    for (const outcome of await Promise.all(runs)) seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
  }
  return { committed, seen };
}

async function cutOff(url, create, sql) {
  const db = await connect(url, { maxConnections: 4, acquireTimeout: 5000 });
  const table = unique('cut');
  await db.execute(create(table));
  const { committed, seen } = await storm(db, table, sql, { rounds: 40, concurrent: 8 });
  // Only the two outcomes a caller may see (a late cancel request once stopped the next
  // caller's statement: E_DB).
  assert.deepEqual([...seen.keys()].sort(), ['E_CANCELLED', 'committed']);
  assert.equal(committed + seen.get('E_CANCELLED'), 320);
  // Exactly the transactions that said they committed left their row.
  assert.equal(Number(await db.fetchVal(`SELECT count(*) FROM ${table}`)), committed);
  // The pool serves: every connection, plain calls and a transaction.
  const counts = await Promise.all(Array.from({ length: 8 }, () => db.fetchVal(`SELECT count(*) FROM ${table}`)));
  assert.deepEqual(new Set(counts.map(Number)), new Set([committed]));
  assert.equal(await db.transaction(async (tx) => Number(await tx.fetchVal('SELECT 1'))), 1);
  await db.execute(`DROP TABLE ${table}`);
  await db.close();
}

test('transactions aborted at random points all settle, on SQLite', () =>
  cutOff(sqliteUrl(), (t) => `CREATE TABLE ${t} (id INTEGER PRIMARY KEY)`, { p: '?', slow: '' }));

test('transactions aborted at random points all settle, on Postgres', { skip: pgSkip }, () =>
  cutOff(PG_URL, (t) => `CREATE TABLE ${t} (id int PRIMARY KEY)`, { p: '$1', slow: ', pg_sleep(0.002)' }),
);
