// Every database call and option of the Node face, against real servers: SQLite files
// and memory always, Postgres when reachable (see db_env.mjs).
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, test } from 'node:test';

import {
  Client,
  connect,
  Database,
  FanioError,
  opStats,
  resetOpStats,
  settle,
  sleep,
  Transaction,
} from '../bindings-node/index.mjs';
import { PG_URL, pgSkip, sqliteUrl, unique } from './db_env.mjs';
import { until } from './helpers.mjs';
import { startTestbed } from './testbed.mjs';

const code =
  (c, fields = {}) =>
  (e) => {
    assert.ok(e instanceof FanioError, `a FanioError, got ${e}`);
    assert.equal(e.code, c, e.message);
    for (const [k, v] of Object.entries(fields)) assert.deepEqual(e[k], v, `field ${k}`);
    return true;
  };

// A bad value far into copyRecords' rows names its row and index and loads nothing.
// Node converts every row when the call is made (Python converts them while the load
// runs), so here the call itself throws; a list changed afterwards loads as it was.
async function copyWithALateBadValue(db, table) {
  const rows = Array.from({ length: 10_000 }, (_, i) => [i, `n${i}`]);
  rows[9_000] = [9_000, Symbol('no cell')];
  assert.throws(
    () => db.copyRecords(table, rows, { columns: ['id', 'name'] }),
    code('E_INVALID_ARGUMENT', { row: 9_000, index: 2 }),
  );
  assert.equal(BigInt(await db.fetchVal(`SELECT count(*) FROM ${table}`)), 0n);
  rows[9_000] = [9_000, 'n9000'];
  const op = db.copyRecords(table, rows, { columns: ['id', 'name'] });
  rows.push([10_000, 'late']);
  assert.equal(await op, 10_000);
  assert.equal(BigInt(await db.fetchVal(`SELECT count(*) FROM ${table}`)), 10_000n);
}

describe('connect', () => {
  test('a bad URL or option throws E_INVALID_ARGUMENT at once', () => {
    assert.throws(() => connect('mysql://x'), code('E_INVALID_ARGUMENT'));
    assert.throws(() => connect(42), code('E_INVALID_ARGUMENT'));
    assert.throws(() => connect('sqlite::memory:', { maxConnections: 0 }), code('E_INVALID_ARGUMENT'));
    assert.throws(() => connect('sqlite::memory:', { maxConnections: 1.5 }), code('E_INVALID_ARGUMENT'));
    assert.throws(
      () => connect('sqlite::memory:', { minConnections: 3, maxConnections: 2 }),
      code('E_INVALID_ARGUMENT'),
    );
    assert.throws(() => connect('sqlite::memory:', { acquireTimeout: -1 }), code('E_INVALID_ARGUMENT'));
    assert.throws(() => connect('sqlite::memory:', { acquireTimeout: '1' }), code('E_INVALID_ARGUMENT'));
    assert.throws(() => connect('sqlite::memory:', { maxConections: 2 }), code('E_INVALID_ARGUMENT'));
  });

  test('an unreachable server is E_CONNECT, quickly, and the password never shows', async (_t) => {
    const start = performance.now();
    await assert.rejects(connect('postgres://me:s3cret@127.0.0.1:1/db'), (e) => {
      code('E_CONNECT')(e);
      assert.ok(!e.message.includes('s3cret'), e.message);
      return true;
    });
    assert.ok(performance.now() - start < 5000);
  });

  test('connect is a lazy op: nothing opens until it is awaited', async (_t) => {
    const op = connect(sqliteUrl());
    assert.equal(opStats().running, 0);
    const db = await op;
    assert.ok(db instanceof Database);
    assert.equal(await db.fetchVal('SELECT 41 + 1'), 42);
    await db.close();
  });
});

describe('sqlite', () => {
  test('a native batch of queries runs at most `limit` at once, in either row mode', async (t) => {
    const db = await connect(sqliteUrl(), { maxConnections: 4 });
    t.after(() => db.close());
    for (const rowMode of ['object', 'array']) {
      resetOpStats();
      const out = await settle(
        Array.from({ length: 300 }, (_, i) => db.fetchOne('SELECT ? AS v', [i], { rowMode })),
        { limit: 4 },
      );
      const { peak } = opStats();
      assert.ok(peak >= 1 && peak <= 4, `${rowMode}: peak ${peak}`);
      assert.deepEqual(
        out.slice(0, 2).map((r) => r.value),
        rowMode === 'array' ? [[0], [1]] : [{ v: 0 }, { v: 1 }],
      );
      assert.equal(out.filter((r) => r.status === 'fulfilled').length, 300);
    }
  });

  test('values come back by the type table', async (t) => {
    const db = await connect('sqlite::memory:');
    t.after(() => db.close());
    const row = await db.fetchOne(
      "SELECT 1 AS i, 9007199254740993 AS big, -9007199254740991 AS safe, 2.5 AS r, 'é' AS t, x'00ff' AS b, NULL AS n",
    );
    assert.deepEqual(row, {
      i: 1,
      big: 9007199254740993n,
      safe: -9007199254740991,
      r: 2.5,
      t: 'é',
      b: Buffer.from([0, 255]),
      n: null,
    });
    assert.deepEqual(await db.fetchAll('SELECT 1 AS a, 2 AS b UNION ALL SELECT 3, 4', [], { rowMode: 'array' }), [
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(await db.fetchOne('SELECT 1 AS a, 2 AS b', null, { rowMode: 'array' }), [1, 2]);
  });

  test('a column of mixed types comes back cell by cell; integers on both sides of 2^53', async (t) => {
    const db = await connect('sqlite::memory:');
    t.after(() => db.close());
    const column = async (values) => (await db.fetchAll(`SELECT column1 AS v FROM (VALUES ${values})`)).map((r) => r.v);
    assert.deepEqual(await column("(1), ('a'), (2.5), (x'01'), (NULL), (9007199254740993)"), [
      1,
      'a',
      2.5,
      Buffer.from([1]),
      null,
      9007199254740993n,
    ]);
    assert.deepEqual(await column('(9007199254740993), (NULL), (-9007199254740993)'), [
      9007199254740993n,
      null,
      -9007199254740993n,
    ]);
    assert.deepEqual(await column('(1), (9007199254740991)'), [1, 9007199254740991]);
    // One statement whose column changes type from one result to the next.
    for (const v of [1, 'a', null, Buffer.from([2]), 2n ** 60n, 3])
      assert.deepEqual(await db.fetchOne('SELECT ? AS v', [v]), { v });
  });

  test('parameters: positional and named, JS types in, a bad one names its index', async (_t) => {
    const db = await connect(sqliteUrl());
    assert.deepEqual(
      await db.fetchOne('SELECT ? AS a, ? AS b, ? AS c, ? AS d, ? AS e, ? AS f, ? AS g', [
        1,
        2.5,
        'x',
        true,
        null,
        Buffer.from('hi'),
        12345678901234567n,
      ]),
      { a: 1, b: 2.5, c: 'x', d: 1, e: null, f: Buffer.from('hi'), g: 12345678901234567n },
    );
    assert.deepEqual(await db.fetchOne('SELECT :x AS x, @y AS y', { x: 1, '@y': 'two' }), { x: 1, y: 'two' });
    assert.equal(await db.fetchVal("SELECT json_extract(?, '$.a[1]')", [{ a: [1, 2] }]), 2);
    assert.equal(await db.fetchVal('SELECT ?', [new Uint8Array([7])]).then((b) => b[0]), 7);
    assert.throws(() => db.fetchVal('SELECT ?, ?', [1, undefined]), code('E_INVALID_ARGUMENT', { index: 2 }));
    assert.throws(() => db.fetchVal('SELECT ?', [2n ** 64n]), code('E_INVALID_ARGUMENT', { index: 1 }));
    assert.throws(() => db.fetchVal('SELECT ?', [new Map()]), code('E_INVALID_ARGUMENT', { index: 1 }));
    assert.throws(() => db.fetchVal('SELECT ?', 'x'), code('E_INVALID_ARGUMENT'));
    assert.throws(() => db.fetchVal(1), code('E_INVALID_ARGUMENT'));
    assert.throws(() => db.fetchAll('SELECT 1', [], { rowMode: 'dict' }), code('E_INVALID_ARGUMENT'));
    // A Date has no SQLite type: the core refuses it (pass text or a number).
    await assert.rejects(db.fetchVal('SELECT ?', [new Date()]), code('E_INVALID_ARGUMENT', { index: 1 }));
    await assert.rejects(db.fetchVal('SELECT ?', [1, 2]), code('E_INVALID_ARGUMENT'));
    await db.close();
  });

  test('strings of any length and alphabet arrive whole', async (_t) => {
    // Short strings are read through a fixed buffer, longer ones measured first: every
    // length around the switch, with 2-, 3- and 4-byte characters and a lone surrogate
    // (sent as U+FFFD) placed across it.
    const db = await connect(sqliteUrl());
    const sent = [];
    for (const tail of ['é', '€', '😀', '\ud800']) {
      for (let n = 240; n < 262; n++) sent.push(`${'a'.repeat(n) + tail}z`);
    }
    sent.push('', `${'x'.repeat(100_000)}😀`);
    const got = await settle(sent.map((s) => db.fetchVal('SELECT ?', [s])));
    assert.deepEqual(
      got.map((r) => r.value),
      sent.map((s) => s.replace('\ud800', '\ufffd')),
    );
    await db.close();
  });

  test('every call: execute, fetchAll/One/Optional/Val, executeMany, copyRecords', async (_t) => {
    const db = await connect(sqliteUrl(), { maxConnections: 4 });
    assert.equal(await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)'), 0);
    assert.equal(
      await db.executeMany('INSERT INTO t VALUES (?, ?)', [
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ]),
      3,
    );
    assert.equal(
      await db.copyRecords(
        't',
        [
          [4, 'd'],
          [5, 'e'],
        ],
        { columns: ['id', 'name'] },
      ),
      2,
    );
    assert.equal(
      await db.copyRecords('t', [
        { id: 6, name: 'f' },
        { name: 'g', id: 7 },
      ]),
      2,
    );
    assert.equal(await db.execute('UPDATE t SET name = upper(name) WHERE id > ?', [5]), 2);
    assert.deepEqual(await db.fetchAll('SELECT * FROM t WHERE id >= 6 ORDER BY id'), [
      { id: 6, name: 'F' },
      { id: 7, name: 'G' },
    ]);
    await assert.rejects(db.fetchOne('SELECT * FROM t WHERE id = 99'), code('E_NO_ROWS'));
    assert.equal(await db.fetchOptional('SELECT * FROM t WHERE id = 99'), null);
    assert.deepEqual(await db.fetchOptional('SELECT * FROM t WHERE id = 1'), { id: 1, name: 'a' });
    await assert.rejects(db.fetchVal('SELECT id FROM t WHERE id = 99'), code('E_NO_ROWS'));
    // executeMany is atomic: a failing row leaves nothing behind.
    await assert.rejects(
      db.executeMany('INSERT INTO t VALUES (?, ?)', [
        [10, 'x'],
        [11, null],
      ]),
      code('E_DB', { sqlite_name: 'SQLITE_CONSTRAINT_NOTNULL' }),
    );
    assert.equal(await db.fetchVal('SELECT count(*) FROM t WHERE id >= 10'), 0);
    await assert.rejects(db.execute('INSERT INTO t VALUES (1, ?)', ['dup']), code('E_DB', { sqlite_code: 1555 }));
    assert.throws(
      () =>
        db.executeMany('INSERT INTO t VALUES (?, ?)', [
          [12, 'x'],
          [13, undefined],
        ]),
      code('E_INVALID_ARGUMENT', { row: 1, index: 2 }),
    );
    assert.throws(() => db.copyRecords('t', [[1]]), code('E_INVALID_ARGUMENT'));
    await assert.rejects(
      db.copyRecords('t', [[20]], { columns: ['id', 'name'] }),
      code('E_INVALID_ARGUMENT', { row: 0 }),
    );
    await db.close();
  });

  test('transactions commit, roll back on a rejected callback, and end once', async (_t) => {
    const db = await connect(sqliteUrl());
    await db.execute('CREATE TABLE t (v INTEGER)');
    const value = await db.transaction(async (tx) => {
      assert.ok(tx instanceof Transaction);
      await tx.execute('INSERT INTO t VALUES (1)');
      return 'done';
    });
    assert.equal(value, 'done');
    const boom = new Error('boom');
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.execute('INSERT INTO t VALUES (2)');
        throw boom;
      }),
      (e) => e === boom,
    );
    assert.deepEqual(await db.fetchAll('SELECT v FROM t', [], { rowMode: 'array' }), [[1]]);
    const tx = await db.begin();
    await tx.execute('INSERT INTO t VALUES (3)');
    await tx.rollback();
    await assert.rejects(tx.execute('INSERT INTO t VALUES (4)'), code('E_CLOSED'));
    await assert.rejects(tx.commit(), code('E_CLOSED'));
    assert.equal(await db.fetchVal('SELECT count(*) FROM t'), 1);
    assert.throws(() => db.begin({ isolation: 'chaos' }), code('E_INVALID_ARGUMENT'));
    await assert.rejects(db.transaction('nope'), code('E_INVALID_ARGUMENT'));
    await db.close();
  });

  test('a native batch of 5,000 lookups with limit 32, and one mixed with sleep', async (_t) => {
    const db = await connect(sqliteUrl(), { maxConnections: 4 });
    await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, sq INTEGER)');
    await db.executeMany(
      'INSERT INTO t VALUES (?, ?)',
      Array.from({ length: 1000 }, (_, i) => [i, i * i]),
    );
    const ids = Array.from({ length: 5000 }, (_, i) => (i * 7) % 1000);
    const results = await settle(
      ids.map((id) => db.fetchOne('SELECT id, sq FROM t WHERE id = ?', [id])),
      { limit: 32 },
    );
    assert.equal(results.length, 5000);
    for (const [i, r] of results.entries())
      assert.deepEqual(r, { status: 'fulfilled', value: { id: ids[i], sq: ids[i] * ids[i] } });
    const mixed = await settle(
      [
        db.fetchVal('SELECT 1'),
        sleep(5, 'slept'),
        db.fetchOne('SELECT * FROM t WHERE id = -1'),
        db.fetchVal('SELECT 2'),
      ],
      { limit: 2 },
    );
    assert.deepEqual(
      mixed.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(
      [mixed[0].value, mixed[1].value, mixed[2].reason.code, mixed[3].value],
      [1, 'slept', 'E_NO_ROWS', 2],
    );
    assert.equal(opStats().running, 0);
    await db.close();
  });

  test('one batch mixing database, HTTP and sleep ops keeps input order and the limit', async (t) => {
    const bed = await startTestbed();
    const db = await connect(sqliteUrl(), { maxConnections: 4 });
    const client = new Client({ baseUrl: bed.http });
    t.after(async () => {
      await client.close();
      await db.close();
      await bed.close();
    });
    const ops = Array.from({ length: 50 }, (_, i) => [
      db.fetchVal('SELECT ?', [i]),
      sleep(1, -i),
      client.get(`/bytes/${i}`),
    ]).flat();
    ops.push(db.fetchOne('SELECT 1 WHERE 0'));
    resetOpStats();
    const out = await settle(ops, { limit: 8 });
    assert.ok(opStats().peak <= 8, `peak ${opStats().peak}`);
    const values = out.slice(0, -1).map((r) => r.value);
    assert.deepEqual(
      values.filter((_, k) => k % 3 === 0),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(
      values.filter((_, k) => k % 3 === 1),
      Array.from({ length: 50 }, (_, i) => -i),
    );
    assert.deepEqual(
      values.filter((_, k) => k % 3 === 2).map((r) => [r.status, r.content.length]),
      Array.from({ length: 50 }, (_, i) => [200, i]),
    );
    assert.equal(out.at(-1).reason.code, 'E_NO_ROWS');
  });

  test('copyRecords with a bad value far into its rows', async () => {
    const db = await connect(sqliteUrl());
    await db.execute('CREATE TABLE c (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
    await copyWithALateBadValue(db, 'c');
    await db.close();
  });

  test('nothing spins once a batch is done', async () => {
    // The connection threads and the batch's driver spin while answers come fast; once
    // the batch is over they must sleep. Spinning threads would burn ~300 ms each here.
    const db = await connect(sqliteUrl(), { maxConnections: 3 });
    await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await db.execute("INSERT INTO t VALUES (1, 'x')");
    const out = await settle(
      Array.from({ length: 5000 }, () => db.fetchVal('SELECT v FROM t WHERE id = ?', [1])),
      { limit: 8 },
    );
    assert.equal(out.filter((r) => r.status === 'fulfilled' && r.value === 'x').length, 5000);
    const before = process.cpuUsage(); // every thread of the process
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300); // blocks this thread
    const spent = process.cpuUsage(before);
    assert.ok(spent.user + spent.system < 60_000, `${(spent.user + spent.system) / 1000} ms of CPU while idle`);
    await db.close();
  });

  test('a closed database rejects with E_CLOSED; asyncDispose closes it', async (_t) => {
    const db = await connect('sqlite::memory:');
    await db.close();
    assert.equal(db.closed, true);
    await assert.rejects(db.fetchVal('SELECT 1'), code('E_CLOSED'));
    await assert.rejects(db.begin(), code('E_CLOSED'));
    const other = await connect('sqlite::memory:');
    await other[Symbol.asyncDispose]();
    await assert.rejects(other.execute('SELECT 1'), code('E_CLOSED'));
  });

  test('an aborted signal cancels a query before it starts', async (t) => {
    const db = await connect('sqlite::memory:');
    t.after(() => db.close());
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(db.fetchVal('SELECT 1', [], { signal: ac.signal }), code('E_CANCELLED'));
    assert.throws(() => db.fetchVal('SELECT 1', [], { signal: 'no' }), code('E_INVALID_ARGUMENT'));
  });
});

describe('postgres', { skip: pgSkip }, () => {
  const open = (opts) => connect(PG_URL, opts);

  test('values come back by the type table', async (t) => {
    const db = await open();
    t.after(() => db.close());
    const row = await db.fetchOne(`SELECT true AS bool, 2::int2 AS i2, 4::int4 AS i4, 8::int8 AS i8,
      1.5::float4 AS f4, 2.25::float8 AS f8, 12.3400::numeric AS num, 'x'::text AS t, 'v'::varchar AS v,
      '\\x00ff'::bytea AS b, '12345678-9abc-def0-0001-020304050607'::uuid AS u,
      '{"a":[1,null,"s"]}'::jsonb AS j, '[1,2]'::json AS jj, '2024-02-29'::date AS d, '12:34:56.5'::time AS tm,
      '2024-01-02 03:04:05.678'::timestamp AS ts, '2024-01-02 03:04:05.678+00'::timestamptz AS tz,
      '1 year 2 days 3 seconds'::interval AS iv, '10.0.0.1'::inet AS ip, '10.0.0.0/8'::cidr AS net,
      ARRAY[[1,2],[3,4]]::int4[] AS arr, ARRAY['a',NULL]::text[] AS tarr, '{}'::int8[] AS empty,
      'infinity'::date AS dinf, '-infinity'::timestamptz AS tzinf, NULL::int4 AS n`);
    assert.deepEqual(row, {
      bool: true,
      i2: 2,
      i4: 4,
      i8: 8n,
      f4: 1.5,
      f8: 2.25,
      num: '12.3400',
      t: 'x',
      v: 'v',
      b: Buffer.from([0, 255]),
      u: '12345678-9abc-def0-0001-020304050607',
      j: { a: [1, null, 's'] },
      jj: [1, 2],
      d: '2024-02-29',
      tm: '12:34:56.5',
      ts: new Date('2024-01-02T03:04:05.678Z'),
      tz: new Date('2024-01-02T03:04:05.678Z'),
      iv: { months: 12, days: 2, microseconds: 3_000_000 },
      ip: '10.0.0.1',
      net: '10.0.0.0/8',
      arr: [
        [1, 2],
        [3, 4],
      ],
      tarr: ['a', null],
      empty: [],
      dinf: 'infinity',
      tzinf: '-infinity',
      n: null,
    });
  });

  test('columns cross in bulk: NULLs, infinities, JSON null, odd names, no columns, large results', async (t) => {
    const db = await open();
    t.after(() => db.close());
    const column = async (type, values) =>
      (await db.fetchAll(`SELECT v::${type} AS v FROM (VALUES ${values}) t(v)`)).map((r) => r.v);
    assert.deepEqual(await column('timestamptz', "('2024-01-01Z'), ('infinity'), (NULL), ('-infinity')"), [
      new Date('2024-01-01Z'),
      'infinity',
      null,
      '-infinity',
    ]);
    assert.deepEqual(await column('jsonb', `('null'), (NULL), ('{"__proto__": 1}'), ('[1]')`), [
      null,
      null,
      JSON.parse('{"__proto__": 1}'),
      [1],
    ]);
    assert.deepEqual(await column('bool', '(true), (NULL), (false)'), [true, null, false]);
    assert.deepEqual(await column('int8', '(1), (NULL), (-9223372036854775808)'), [1n, null, -9223372036854775808n]);
    assert.deepEqual(await column('text', "(''), (NULL), ('é😀')"), ['', null, 'é😀']);
    assert.deepEqual(await column('int4', '(NULL), (NULL)'), [null, null]);

    // Later duplicates win, as in pg; `__proto__` is an own property.
    const [odd] = await db.fetchAll('SELECT 1 AS a, 2 AS a, 3 AS "__proto__"');
    assert.deepEqual(odd, JSON.parse('{"a": 2, "__proto__": 3}'));
    assert.equal(Object.getPrototypeOf(odd), Object.prototype);
    assert.deepEqual(await db.fetchAll('SELECT FROM generate_series(1, 2)'), [{}, {}]);
    assert.deepEqual(await db.fetchAll('SELECT FROM generate_series(1, 2)', [], { rowMode: 'array' }), [[], []]);

    // More than the addon keeps between results (4 MiB of words and of text), then a
    // small result again.
    const big = await db.fetchAll(
      "SELECT g::int8 AS g, repeat('x', 20) || g AS t FROM generate_series(1, 300000) g",
      [],
      { rowMode: 'array' },
    );
    assert.equal(big.length, 300_000);
    for (const i of [0, 1, 150_000, 299_999]) assert.deepEqual(big[i], [BigInt(i + 1), `${'x'.repeat(20)}${i + 1}`]);
    assert.deepEqual(await db.fetchOne('SELECT 7::int8 AS g, $1::text AS t', ['small']), { g: 7n, t: 'small' });
  });

  test('rows hold real Dates while a program replaces Date (as fake timers do)', async (t) => {
    const db = await open();
    t.after(() => db.close());
    const RealDate = Date;
    globalThis.Date = class FakeDate extends RealDate {};
    try {
      const row = await db.fetchOne("SELECT '2024-01-01Z'::timestamptz AS t");
      assert.equal(Object.getPrototypeOf(row.t), RealDate.prototype);
    } finally {
      globalThis.Date = RealDate;
    }
  });

  test('parameters fit the statement types; one that does not names its index', async (t) => {
    const db = await open();
    t.after(() => db.close());
    const when = new Date('2024-05-06T07:08:09.010Z');
    const row = await db.fetchOne(
      'SELECT $1::int4 AS a, $2::int8 AS b, $3::float8 AS c, $4::numeric AS d, $5::text AS e, $6::bytea AS f, $7::jsonb AS g, $8::timestamptz AS h, $9::int4[] AS i, $10::bool AS j, $11::uuid AS k',
      [
        1,
        2n ** 40n,
        3,
        '1.10',
        'e',
        Buffer.from([1]),
        { k: [1] },
        when,
        [
          [1, 2],
          [3, 4],
        ],
        false,
        '12345678-9abc-def0-0001-020304050607',
      ],
    );
    assert.deepEqual(row, {
      a: 1,
      b: 2n ** 40n,
      c: 3,
      d: '1.10',
      e: 'e',
      f: Buffer.from([1]),
      g: { k: [1] },
      h: when,
      i: [
        [1, 2],
        [3, 4],
      ],
      j: false,
      k: '12345678-9abc-def0-0001-020304050607',
    });
    await assert.rejects(db.fetchVal('SELECT $1::int4 + $2::int4', [1, 2.5]), code('E_INVALID_ARGUMENT', { index: 2 }));
    await assert.rejects(db.fetchVal('SELECT $1::int2', [1 << 20]), code('E_INVALID_ARGUMENT', { index: 1 }));
    await assert.rejects(db.fetchVal('SELECT $1::int4', [{ a: 1 }]), code('E_INVALID_ARGUMENT', { index: 1 }));
    await assert.rejects(db.fetchVal('SELECT $1::int4', { a: 1 }), code('E_INVALID_ARGUMENT'));
    assert.throws(() => db.fetchVal('SELECT $1::int4[]', [[[1], 2]]), code('E_INVALID_ARGUMENT', { index: 1 }));
  });

  test('database errors carry their fields', async (t) => {
    const db = await open();
    t.after(() => db.close());
    const table = unique('fanio_err');
    await db.execute(`CREATE TABLE ${table} (id int PRIMARY KEY, v int CHECK (v > 0))`);
    try {
      await db.execute(`INSERT INTO ${table} VALUES (1, 1)`);
      await assert.rejects(
        db.execute(`INSERT INTO ${table} VALUES (1, 1)`),
        code('E_DB', { sqlstate: '23505', constraint: `${table}_pkey`, table }),
      );
      await assert.rejects(db.execute(`INSERT INTO ${table} VALUES (2, 0)`), code('E_DB', { sqlstate: '23514' }));
      await assert.rejects(db.execute('SELEC 1'), code('E_DB', { sqlstate: '42601' }));
    } finally {
      await db.execute(`DROP TABLE ${table}`);
    }
  });

  test('copyRecords with a bad value far into its rows', async (t) => {
    const db = await open({ maxConnections: 2 });
    t.after(() => db.close());
    const table = unique('fanio_copy_late');
    await db.execute(`CREATE TABLE ${table} (id int8 PRIMARY KEY, name text NOT NULL)`);
    try {
      await copyWithALateBadValue(db, table);
    } finally {
      await db.execute(`DROP TABLE ${table}`);
    }
  });

  test('every call, transactions with isolation and readOnly, executeMany atomic, copyRecords', async (t) => {
    const db = await open({ maxConnections: 4 });
    t.after(() => db.close());
    const table = unique('fanio_calls');
    await db.execute(`CREATE TABLE ${table} (id int8 PRIMARY KEY, name text NOT NULL)`);
    try {
      assert.equal(
        await db.executeMany(`INSERT INTO ${table} VALUES ($1, $2)`, [
          [1, 'a'],
          [2, 'b'],
        ]),
        2,
      );
      await assert.rejects(
        db.executeMany(`INSERT INTO ${table} VALUES ($1, $2)`, [
          [3, 'c'],
          [1, 'dup'],
        ]),
        code('E_DB', { sqlstate: '23505' }),
      );
      assert.equal(await db.fetchVal(`SELECT count(*) FROM ${table}`), 2n);
      assert.equal(
        await db.copyRecords(
          table,
          [
            [10, 'x'],
            [11, 'y'],
            [12, 'z'],
          ],
          { columns: ['id', 'name'] },
        ),
        3,
      );
      assert.equal(await db.copyRecords(table, [{ id: 13, name: 'w' }]), 1);
      assert.equal(await db.execute(`DELETE FROM ${table} WHERE id >= $1`, [12]), 2);
      assert.deepEqual(await db.fetchAll(`SELECT id, name FROM ${table} ORDER BY id`, [], { rowMode: 'array' }), [
        [1n, 'a'],
        [2n, 'b'],
        [10n, 'x'],
        [11n, 'y'],
      ]);
      assert.equal(await db.fetchOptional(`SELECT * FROM ${table} WHERE id = 99`), null);
      await assert.rejects(db.fetchOne(`SELECT * FROM ${table} WHERE id = 99`), code('E_NO_ROWS'));

      assert.equal(
        await db.transaction(
          async (tx) => {
            await tx.execute(`INSERT INTO ${table} VALUES (20, 'in tx')`);
            return tx.fetchVal('SHOW transaction_isolation');
          },
          { isolation: 'serializable' },
        ),
        'serializable',
      );
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.execute(`INSERT INTO ${table} VALUES (21, 'rolled back')`);
          throw new Error('no');
        }),
        /no/,
      );
      await assert.rejects(
        db.transaction((tx) => tx.execute(`INSERT INTO ${table} VALUES (22, 'ro')`), { readOnly: true }),
        code('E_DB', { sqlstate: '25006' }),
      );
      assert.equal(
        await db.transaction((tx) => tx.fetchVal('SHOW transaction_isolation'), { isolation: 'repeatable_read' }),
        'repeatable read',
      );
      assert.deepEqual(await db.fetchAll(`SELECT id FROM ${table} WHERE id >= 20`, [], { rowMode: 'array' }), [[20n]]);
    } finally {
      await db.execute(`DROP TABLE ${table}`);
    }
  });

  test('a failing executeMany in a transaction leaves nothing of itself', async (t) => {
    const db = await open({ maxConnections: 2 });
    t.after(() => db.close());
    const table = unique('fanio_many_tx');
    await db.execute(`CREATE TABLE ${table} (id int4 PRIMARY KEY, name text NOT NULL UNIQUE)`);
    const insert = `INSERT INTO ${table} VALUES ($1, $2)`;
    try {
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.execute(insert, [-1, 'kept']);
          const rows = Array.from({ length: 2000 }, (_, i) => [i, `n${i}`]);
          rows[1500] = [2 ** 40, 'n1500']; // beyond int4: refused before anything is sent
          await assert.rejects(tx.executeMany(insert, rows), code('E_INVALID_ARGUMENT', { row: 1500, index: 1 }));
          assert.equal(await tx.fetchVal(`SELECT count(*) FROM ${table}`), 1n);
          rows[1500] = [1500, 'n3']; // the name of row 3 again
          await assert.rejects(tx.executeMany(insert, rows), code('E_DB', { row: 1500, sqlstate: '23505' }));
          await tx.fetchVal('SELECT 1');
        }),
        code('E_DB', { sqlstate: '25P02' }),
      );
      assert.equal(await db.fetchVal(`SELECT count(*) FROM ${table}`), 0n);
    } finally {
      await db.execute(`DROP TABLE ${table}`);
    }
  });

  test('pool exhaustion is E_POOL_TIMEOUT, then the pool recovers', async (t) => {
    const db = await open({ maxConnections: 1, acquireTimeout: 200 });
    t.after(() => db.close());
    const tx = await db.begin();
    const start = performance.now();
    await assert.rejects(db.fetchVal('SELECT 1'), code('E_POOL_TIMEOUT'));
    assert.ok(performance.now() - start >= 150);
    await tx.rollback();
    assert.equal(await db.fetchVal('SELECT 1'), 1);
  });

  test('aborting a signal cancels pg_sleep(30) on the server, and the pool is reusable', async (t) => {
    const app = unique('fanio_abort');
    const db = await open({ maxConnections: 1 });
    t.after(() => db.close());
    const watcher = await open();
    t.after(() => watcher.close());
    const tagged = await connect(`${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${app}`, {
      maxConnections: 1,
    });
    const ac = new AbortController();
    const running = tagged.execute('SELECT pg_sleep(30)', [], { signal: ac.signal });
    const sql = `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query LIKE '%pg_sleep(30)%'`;
    const seen = running.then(undefined, (e) => e);
    let active = 0n;
    for (let i = 0; i < 200 && active === 0n; i++) active = await watcher.fetchVal(sql, [app]);
    assert.equal(active, 1n, 'the query runs on the server');
    const start = performance.now();
    ac.abort();
    code('E_CANCELLED')(await seen);
    assert.ok(performance.now() - start < 5000);
    for (let i = 0; i < 200 && active !== 0n; i++) {
      active = await watcher.fetchVal(sql, [app]);
      await sleep(20);
    }
    assert.equal(active, 0n, 'pg_sleep no longer runs on the server');
    assert.equal(await tagged.fetchVal('SELECT 7'), 7);
    assert.equal(await db.fetchVal('SELECT 8'), 8);
    await until(() => opStats().running === 0);
    await tagged.close();
  });

  test('terminated pooled connections cost at most one error each, then queries work', async (t) => {
    const db = await open({ maxConnections: 2, minConnections: 2 });
    t.after(() => db.close());
    const admin = await open();
    t.after(() => admin.close());
    const pids = await settle([db.fetchVal('SELECT pg_backend_pid()'), db.fetchVal('SELECT pg_backend_pid()')]);
    const set = [...new Set(pids.map((r) => r.value))];
    const killed = await admin.fetchVal(
      'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM unnest($1::int4[]) AS pid',
      [set],
    );
    assert.equal(killed, BigInt(set.length));
    let errors = 0;
    for (let i = 0; i < 4; i++) {
      const r = (await settle([db.fetchVal('SELECT 1')]))[0];
      if (r.status === 'rejected') {
        errors++;
        assert.ok(['E_DB', 'E_PROTOCOL', 'E_CONNECT'].includes(r.reason.code), r.reason.code);
      } else assert.equal(r.value, 1);
    }
    // Each dead connection costs at most one error (the core drops it on that error);
    // usually none, when the pool sees it closed before handing it out.
    assert.ok(errors <= set.length, `${errors} errors for ${set.length} killed connections`);
    assert.equal(await db.fetchVal('SELECT 2'), 2);
  });

  test('a native batch of 5,000 fetchOne lookups with limit 32, all fulfilled and right', async (t) => {
    const db = await open({ maxConnections: 4 });
    t.after(() => db.close());
    const table = unique('fanio_batch');
    await db.execute(`CREATE TABLE ${table} (id int4 PRIMARY KEY, sq int8)`);
    try {
      await db.execute(`INSERT INTO ${table} SELECT g, g::int8 * g FROM generate_series(0, 999) g`);
      const ids = Array.from({ length: 5000 }, (_, i) => (i * 13) % 1000);
      const results = await settle(
        ids.map((id) => db.fetchOne(`SELECT id, sq FROM ${table} WHERE id = $1`, [id])),
        { limit: 32 },
      );
      for (const [i, r] of results.entries()) {
        assert.deepEqual(r, { status: 'fulfilled', value: { id: ids[i], sq: BigInt(ids[i] * ids[i]) } });
      }
      const mixed = await settle([sleep(10, 's'), db.fetchVal('SELECT 3'), db.fetchVal('SELEC')], { limit: 32 });
      assert.deepEqual([mixed[0].value, mixed[1].value, mixed[2].reason.code], ['s', 3, 'E_DB']);
    } finally {
      await db.execute(`DROP TABLE ${table}`);
    }
  });

  test('close ends calls in flight (E_CANCELLED) and later ones (E_CLOSED); the password never shows', async (_t) => {
    const url = PG_URL.replace('://postgres@', '://postgres:s3cret@');
    const db = await connect(url);
    assert.ok(!inspect(db).includes('s3cret'), inspect(db));
    assert.ok(!String(db).includes('s3cret'));
    assert.ok(!JSON.stringify(db).includes('s3cret'));
    assert.match(inspect(db), /Database\(postgres:\/\/postgres:\*\*\*@/);
    const running = db.execute('SELECT pg_sleep(30)').then(undefined, (e) => e);
    await sleep(100);
    await db.close();
    code('E_CANCELLED')(await running);
    await assert.rejects(db.fetchVal('SELECT 1'), code('E_CLOSED'));
  });
});

describe('database URLs', () => {
  test('a password written any way never shows; CR, LF or NUL in a URL is E_INVALID_ARGUMENT', async () => {
    for (const password of ['hun/ter2', 'hun?ter2', 'hun#ter2', 'hun@ter2', 'hun%2Fter2', 'hun%3Fter2', 'hun%40ter2']) {
      for (const host of ['127.0.0.1:1', '[::1]:1']) {
        // What the driver refuses throws at the call; the rest rejects when connecting.
        await assert.rejects(
          async () => connect(`postgres://postgres:${password}@${host}/test`),
          (e) => {
            assert.ok(['E_CONNECT', 'E_INVALID_ARGUMENT'].includes(e.code), e.code);
            assert.ok(![e.message, e.stack, JSON.stringify({ ...e })].join(' ').includes('ter2'), password);
            return true;
          },
        );
      }
    }
    for (const url of ['postgres://u@h/db\r\n', 'postgres://u@h/d\x00b', 'sqlite:///tmp/a\nb.db']) {
      assert.throws(() => connect(url), code('E_INVALID_ARGUMENT'), JSON.stringify(url));
    }
  });
});
