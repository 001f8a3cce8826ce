// Hostile input from JS: values nested past the core's depth limit, lone surrogates,
// huge numbers and wrong types, thrown at every public call. Each call works or fails
// with a FanioError carrying a code (or a TypeError for a wrong type): never a
// RangeError, never a crash of the process.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';

import { Client, connect, FanioError } from '../bindings-node/index.mjs';
import { PG_URL, pgSkip, sqliteUrl } from './db_env.mjs';

const native = createRequire(import.meta.url)('../bindings-node/native.js');
/** The core's limit, read from the addon: the one number both languages use. */
const MAX_DEPTH = native.maxDepth();

function deepArray(levels) {
  let v = 'x';
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

function deepObject(levels) {
  let v = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

const invalid =
  (fields = {}) =>
  (e) => {
    assert.ok(e instanceof FanioError, `a FanioError, got ${e}`);
    assert.equal(e.code, 'E_INVALID_ARGUMENT', e.message);
    for (const [k, v] of Object.entries(fields)) assert.equal(e[k], v, `field ${k}`);
    return true;
  };

const TOO_DEEP = [
  ['an array one level too deep', () => deepArray(MAX_DEPTH + 1)],
  ['an array 50,000 levels deep', () => deepArray(50_000)],
  ['an object one level too deep', () => deepObject(MAX_DEPTH + 1)],
  ['an object 5,000 levels deep', () => deepObject(5_000)],
  ['an object 50,000 levels deep', () => deepObject(50_000)],
];

/** Every call that takes parameters, with `v` as the first parameter of the first row. */
const PARAM_CALLS = [
  ['execute', (db, v) => db.execute('SELECT CAST($1 AS text)', [v]), {}],
  ['fetchAll', (db, v) => db.fetchAll('SELECT CAST($1 AS text)', [v]), {}],
  ['fetchOne', (db, v) => db.fetchOne('SELECT CAST($1 AS text)', [v]), {}],
  ['fetchOptional', (db, v) => db.fetchOptional('SELECT CAST($1 AS text)', [v]), {}],
  ['fetchVal', (db, v) => db.fetchVal('SELECT CAST($1 AS text)', [v]), {}],
  ['executeMany', (db, v) => db.executeMany('SELECT CAST($1 AS text)', [['ok'], [v]]), { row: 1 }],
  ['copyRecords', (db, v) => db.copyRecords('t', [['ok'], [v]], { columns: ['v'] }), { row: 1 }],
];

async function refusesTooDeep(url) {
  const db = await connect(url);
  try {
    for (const [what, make] of TOO_DEEP) {
      const v = make();
      for (const [call, run, fields] of PARAM_CALLS) {
        assert.throws(() => run(db, v), invalid({ index: 1, ...fields }), `${call} with ${what}`);
      }
      const tx = await db.begin();
      assert.throws(() => tx.fetchVal('SELECT CAST($1 AS text)', [v]), invalid({ index: 1 }), `a transaction, ${what}`);
      await tx.rollback();
    }
    // Exactly as deep as the limit is taken, and reads back whole.
    const doc = deepObject(MAX_DEPTH - 1);
    if (url.startsWith('sqlite')) {
      assert.deepEqual(JSON.parse(await db.fetchVal('SELECT CAST($1 AS text)', [{ doc }])), { doc });
    } else {
      assert.deepEqual(await db.fetchVal('SELECT CAST($1 AS jsonb)', [{ doc }]), { doc });
    }
    assert.equal(await db.fetchVal('SELECT 1'), 1);
  } finally {
    await db.close();
  }
}

describe('input nested past the limit', () => {
  test('is refused as E_INVALID_ARGUMENT naming its parameter, on SQLite', () => refusesTooDeep(sqliteUrl()));

  test('is refused as E_INVALID_ARGUMENT naming its parameter, on Postgres', { skip: pgSkip }, () =>
    refusesTooDeep(PG_URL),
  );

  test('named SQLite parameters and object records name theirs', async () => {
    const db = await connect('sqlite::memory:');
    for (const [what, make] of TOO_DEEP) {
      const v = make();
      assert.throws(() => db.fetchVal('SELECT :a', { a: v }), invalid({ parameter: 'a' }), what);
      assert.throws(() => db.copyRecords('t', [{ v: 1 }, { v }]), invalid({ row: 1, parameter: 'v' }), what);
    }
    await db.close();
  });

  test('as a JSON body is refused as E_INVALID_ARGUMENT before any I/O', async () => {
    const client = new Client({ baseUrl: 'http://127.0.0.1:9' });
    for (const [what, make] of TOO_DEEP) {
      assert.throws(() => client.post('/x', { json: make() }), invalid(), what);
    }
    // At the limit it is a request like any other (made, not sent).
    assert.equal(typeof client.post('/x', { json: deepArray(MAX_DEPTH) }).then, 'function');
    await client.close();
  });
});
