// Hostile input from JS: values nested past the core's depth limit, lone surrogates,
// huge numbers and wrong types, thrown at every public call. Each call works or fails
// with a FanioError carrying a code (or a TypeError for a wrong type): never a
// RangeError, never a crash of the process.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';

import { asSettled, Client, codes, connect, FanioError, fail, map, settle, sleep } from '../bindings-node/index.mjs';
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

// ---------------------------------------------------------------------------------

const circular = {};
circular.self = circular;

/** Values of every kind a caller could pass by mistake or on purpose. */
const HOSTILE = [
  ['undefined', undefined],
  ['null', null],
  ['true', true],
  ['-1', -1],
  ['1.5', 1.5],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['1e300', 1e300],
  ['2**53 + 2', 2 ** 53 + 2],
  ['10n**30n', 10n ** 30n],
  ['-(10n**30n)', -(10n ** 30n)],
  ["''", ''],
  ['a lone surrogate', '\ud800'],
  ['a NUL', 'a\u0000b'],
  ['a symbol', Symbol('s')],
  ['a function', () => 1],
  ['[]', []],
  ['{}', {}],
  ['an invalid Date', new Date(NaN)],
  ['a Uint8Array', new Uint8Array(3)],
  ['a Map', new Map([['a', 1]])],
  ['a circular object', circular],
  ['an array 50,000 deep', deepArray(50_000)],
  ['an object 5,000 deep', deepObject(5_000)],
];

const CODES = new Set(codes);

/** Runs `call`, awaiting what it returns for at most `ms`; returns what it threw. */
async function thrownBy(call, ms = 5000) {
  let timer;
  try {
    const r = call();
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') {
      const late = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('still pending')), ms);
      });
      await Promise.race([r, late]);
    } else if (r !== null && typeof r === 'object' && typeof r[Symbol.asyncIterator] === 'function') {
      for await (const _ of r);
    }
    return null;
  } catch (e) {
    return e;
  } finally {
    clearTimeout(timer);
  }
}

function allowed(e) {
  return e === null || (e instanceof FanioError && CODES.has(e.code)) || e instanceof TypeError;
}

/** Every public callable with `v` in each argument and option; `run` says whether to
 * await it (HTTP requests are only made, not sent). */
function calls(db, client, v) {
  const list = [
    // Sleep and fail ops are only made: a valid one may wait for ages.
    ['sleep(v)', () => void sleep(v)],
    ['fail(v, m)', () => void fail(v, 'm')],
    ['fail(0, v)', () => void fail(0, v)],
    ['settle(v)', () => settle(v)],
    ['settle([v])', () => settle([v])],
    ['map(v, fn)', () => map(v, async (x) => x)],
    ['map([1], v)', () => map([1], v)],
    ['asSettled(v)', () => asSettled(v)],
    ['connect(v)', () => connect(v)],
    ['db.fetchAll(v)', () => db.fetchAll(v)],
    ['db.fetchAll(sql, v)', () => db.fetchAll('SELECT 1', v)],
    ['db.fetchVal(sql, [v])', () => db.fetchVal('SELECT ?', [v])],
    ['db.fetchAll(sql, [], v)', () => db.fetchAll('SELECT 1', [], v)],
    ['db.executeMany(v, rows)', () => db.executeMany(v, [[1]])],
    ['db.executeMany(sql, v)', () => db.executeMany('SELECT ?', v)],
    ['db.executeMany(sql, [v])', () => db.executeMany('SELECT ?', [v])],
    ['db.executeMany(sql, [[v]])', () => db.executeMany('SELECT ?', [[v]])],
    ['db.copyRecords(v, ...)', () => db.copyRecords(v, [[1]], { columns: ['a'] })],
    ['db.copyRecords(t, v)', () => db.copyRecords('h', v, { columns: ['a'] })],
    ['db.copyRecords(t, [[v]])', () => db.copyRecords('h', [[v]], { columns: ['a'] })],
    ['db.copyRecords(t, [{a: v}])', () => db.copyRecords('h', [{ a: v }])],
    ['db.copyRecords(t, rows, v)', () => db.copyRecords('h', [[1]], v)],
    ['db.begin(v)', () => db.begin(v).then((tx) => tx.rollback())],
    ['db.transaction(v)', () => db.transaction(v)],
    ['db.transaction(fn, v)', () => db.transaction(async () => 1, v)],
    ['new Client(v)', () => new Client(v)],
    ['client.get(v)', () => void client.get(v)],
    ['client.request(v, url)', () => void client.request(v, '/')],
    ['client.get(url, v)', () => void client.get('/', v)],
    ['client.fetchAll([v])', () => client.fetchAll([v], { limit: 1 })],
  ];
  for (const key of ['rowMode', 'signal']) {
    list.push([`db.fetchAll(sql, [], {${key}: v})`, () => db.fetchAll('SELECT 1', [], { [key]: v })]);
  }
  for (const key of ['maxConnections', 'minConnections', 'acquireTimeout', 'statementCacheSize']) {
    list.push([`connect(url, {${key}: v})`, () => connect('sqlite::memory:', { [key]: v }).then((d) => d.close())]);
  }
  for (const key of ['isolation', 'readOnly']) {
    list.push([`db.begin({${key}: v})`, () => db.begin({ [key]: v }).then((tx) => tx.rollback())]);
  }
  for (const key of [
    'baseUrl',
    'headers',
    'timeout',
    'connectTimeout',
    'readTimeout',
    'poolMaxIdlePerHost',
    'maxConnections',
    'maxConnectionsPerHost',
    'http2',
    'followRedirects',
    'maxRedirects',
    'verify',
    'caCerts',
    'clientCert',
    'proxy',
    'cookies',
    'userAgent',
    'retry',
    'maxResponseSize',
    'errorForStatus',
  ]) {
    list.push([`new Client({${key}: v})`, () => new Client({ [key]: v }).close()]);
  }
  for (const key of ['attempts', 'backoff', 'backoffMax', 'jitter', 'onStatus', 'methods']) {
    list.push([`new Client({retry: {${key}: v}})`, () => new Client({ retry: { [key]: v } }).close()]);
  }
  for (const key of ['params', 'headers', 'json', 'form', 'content', 'timeout', 'errorForStatus', 'signal']) {
    list.push([`client.get(url, {${key}: v})`, () => void client.get('/', { [key]: v })]);
  }
  list.push(['client.get(url, {headers: {h: v}})', () => void client.get('/', { headers: { h: v } })]);
  list.push(['client.get(url, {params: {p: v}})', () => void client.get('/', { params: { p: v } })]);
  return list;
}

test('every public call gives only FanioErrors with a code or TypeErrors', async () => {
  const db = await connect('sqlite::memory:');
  await db.execute('CREATE TABLE h (a)');
  const client = new Client({ baseUrl: 'http://127.0.0.1:9' });
  const wrong = [];
  for (const [what, v] of HOSTILE) {
    for (const [call, run] of calls(db, client, v)) {
      const e = await thrownBy(run);
      if (!allowed(e)) wrong.push(`${call} with ${what}: ${e?.name} ${e?.code ?? ''} ${e?.message}`);
    }
  }
  assert.deepEqual(wrong, []);
  // The database still answers.
  assert.equal(await db.fetchVal('SELECT 1'), 1);
  await client.close();
  await db.close();
});
