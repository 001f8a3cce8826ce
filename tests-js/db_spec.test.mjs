// Runs every row and scenario of tests-spec/db.json (the values and behaviour both
// languages share) on Postgres and SQLite. Tagged values decode to what the Node face
// returns; see tests-spec/README.md for the tags.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { connect, FanioError } from '../bindings-node/index.mjs';
import { PG_URL, pgSkip, sqliteUrl, unique } from './db_env.mjs';
import { startTestbed } from './testbed.mjs';

const spec = JSON.parse(readFileSync(new URL('../tests-spec/db.json', import.meta.url), 'utf8'));

const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The JS value a tag stands for, on `backend`. */
function decode(tag, backend) {
  if (tag === null) return null;
  const [[kind, v]] = Object.entries(tag);
  switch (kind) {
    case 'bool':
    case 'text':
    case 'decimal':
    case 'uuid':
    case 'date':
    case 'cidr':
      return v;
    case 'int':
      return Number(v);
    case 'bigint': {
      const n = BigInt(v);
      // SQLite integers are numbers while exact.
      return backend === 'sqlite' && n <= SAFE && n >= -SAFE ? Number(n) : n;
    }
    case 'any_int': {
      const n = BigInt(v);
      return n <= SAFE && n >= -SAFE ? Number(n) : n;
    }
    case 'float':
      return Number(v);
    case 'bytes_hex':
      return Buffer.from(v, 'hex');
    case 'json':
      return v;
    case 'time':
      // Postgres prints the fraction without trailing zeros.
      return v.includes('.') ? v.replace(/\.?0+$/, '') : v;
    case 'timestamp':
    case 'timestamptz':
      return v === 'infinity' || v === '-infinity' ? v : new Date(kind === 'timestamp' ? `${v}Z` : v);
    case 'interval':
      return { months: v[0], days: v[1], microseconds: v[2] };
    case 'inet': {
      const [addr, prefix] = v.split('/');
      return Number(prefix) === (addr.includes(':') ? 128 : 32) ? addr : v;
    }
    case 'list':
      return v.map((e) => decode(e, backend));
    default:
      throw new Error(`unknown tag ${kind}`);
  }
}

/** Asserts `actual` is the value `tag` stands for (`any_int` compares by value). */
function check(actual, tag, backend, where) {
  if (tag !== null && 'any_int' in tag) {
    assert.ok(typeof actual === 'number' || typeof actual === 'bigint', `${where}: an integer, got ${actual}`);
    assert.equal(BigInt(actual), BigInt(tag.any_int), where);
  } else if (tag !== null && 'list' in tag) {
    assert.ok(Array.isArray(actual), `${where}: an array`);
    assert.equal(actual.length, tag.list.length, where);
    for (const [i, t] of tag.list.entries()) check(actual[i], t, backend, `${where}[${i}]`);
  } else {
    assert.deepEqual(actual, decode(tag, backend), where);
  }
}

function params(raw, backend) {
  if (raw === undefined) return [];
  if (Array.isArray(raw)) return raw.map((t) => decode(t, backend));
  return Object.fromEntries(Object.entries(raw).map(([k, t]) => [k, decode(t, backend)]));
}

function checkRow(row, columns, values, backend, where) {
  assert.deepEqual(Object.keys(row), columns, `${where}: columns`);
  for (const [i, c] of columns.entries()) check(row[c], values[i], backend, `${where}.${c}`);
}

function runStep(db, step, backend, fill) {
  const sql = step.sql === undefined ? undefined : fill(step.sql);
  switch (step.call) {
    case 'execute_many':
      return db.executeMany(
        sql,
        step.params_seq.map((p) => params(p, backend)),
      );
    case 'copy_records':
      return db.copyRecords(
        fill(step.table),
        step.records.map((r) => params(r, backend)),
        { columns: step.columns },
      );
    default:
      return db[camel(step.call)](sql, params(step.params, backend));
  }
}

async function scenario(db, s, backend) {
  const table = unique('fanio_spec');
  const fill = (text) => text.replaceAll('$t', table);
  try {
    for (const sql of s.setup) await db.execute(fill(sql));
    for (const [i, step] of s.steps.entries()) {
      const where = `${s.name} step ${i}`;
      if (step.expect_error !== undefined) {
        const { code, fields = {} } = step.expect_error;
        // Bad arguments may be refused when the op is made or when it runs.
        const outcome = (async () => runStep(db, step, backend, fill))();
        await assert.rejects(outcome, (e) => {
          assert.ok(e instanceof FanioError, `${where}: ${e}`);
          assert.equal(e.code, code, `${where}: ${e.message}`);
          for (const [k, v] of Object.entries(fields))
            assert.deepEqual(e[k], typeof v === 'string' ? fill(v) : v, `${where}: field ${k}`);
          return true;
        });
        continue;
      }
      const got = await runStep(db, step, backend, fill);
      const e = step.expect;
      if (typeof e === 'number') assert.equal(got, e, where);
      else if (e === null) assert.equal(got, null, where);
      else if ('rows' in e) {
        assert.equal(got.length, e.rows.length, `${where}: row count`);
        for (const [r, row] of got.entries()) checkRow(row, e.columns, e.rows[r], backend, `${where} row ${r}`);
      } else if ('values' in e) checkRow(got, e.columns, e.values, backend, where);
      else check(got, e, backend, where);
    }
  } finally {
    for (const sql of s.teardown ?? []) await db.execute(fill(sql));
    await db.execute(`DROP TABLE IF EXISTS ${table}`);
  }
}

function typeRows(backend, getDb, fill, skipped) {
  for (const row of spec[backend].types) {
    test(`${backend} type: ${row.name}`, async (t) => {
      if (skipped(row)) return t.skip(skipped(row));
      const db = getDb();
      const select = fill(row.select);
      check(await db.fetchVal(select), row.expect, backend, 'literal');
      // Rows cross a column at a time, not a cell at a time: the same value in a
      // column of rows, a NULL among them, as objects and as arrays.
      const column = `SELECT v FROM (${select}) a UNION ALL SELECT NULL UNION ALL SELECT v FROM (${select}) b`;
      const tags = [row.expect, null, row.expect];
      const objects = await db.fetchAll(column);
      assert.equal(objects.length, 3);
      for (const [i, r] of objects.entries()) checkRow(r, ['v'], [tags[i]], backend, `objects row ${i}`);
      const arrays = await db.fetchAll(column, [], { rowMode: 'array' });
      assert.equal(arrays.length, 3);
      arrays.forEach((r, i) => {
        assert.equal(r.length, 1);
        check(r[0], tags[i], backend, `arrays row ${i}`);
      });
      const bound = await db.fetchVal(fill(row.param_sql), [decode(row.expect, backend)]);
      check(bound, row.expect, backend, 'bound');
      assert.equal(await db.fetchVal(fill(row.param_sql), [null]), null, 'NULL');
    });
  }
}

function scenarios(backend, getDb) {
  for (const s of spec.scenarios.filter((x) => x.backends.includes(backend))) {
    test(`${backend}: ${s.name}`, () => scenario(getDb(), s, backend));
  }
}

describe('db spec on sqlite', () => {
  let db;
  before(async () => {
    db = await connect(sqliteUrl());
  });
  after(() => db.close());
  typeRows(
    'sqlite',
    () => db,
    (sql) => sql,
    () => false,
  );
  scenarios('sqlite', () => db);
});

describe('db spec on postgres', { skip: pgSkip }, () => {
  let db;
  const schema = unique('fanio_spec_schema');
  const missing = new Map();
  before(async () => {
    db = await connect(PG_URL, { maxConnections: 4 });
    await db.execute(`CREATE SCHEMA ${schema}`);
    for (const sql of spec.postgres.setup) await db.execute(sql.replaceAll('$schema', schema));
    for (const ext of new Set(spec.postgres.types.map((r) => r.requires).filter(Boolean))) {
      try {
        await db.execute(`CREATE EXTENSION IF NOT EXISTS ${ext}`);
      } catch (e) {
        missing.set(ext, `extension ${ext} is not available: ${e.message}`);
      }
    }
  });
  after(async () => {
    await db.execute(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  });
  typeRows(
    'postgres',
    () => db,
    (sql) => sql.replaceAll('$schema', schema),
    (row) => row.requires && missing.get(row.requires),
  );
  scenarios('postgres', () => db);
});

describe('db spec: TLS through the testbed front', { skip: pgSkip }, () => {
  let bed;
  before(async () => {
    bed = await startTestbed();
  });
  after(() => bed.close());
  // Longest names first: $pg_tls_other_name before $pg_tls.
  const sub = (s) =>
    s
      .replaceAll('$pg_tls_other_name', bed.pg_tls_other_name)
      .replaceAll('$pg_tls', bed.pg_tls)
      .replaceAll('$other_ca_pem', bed.other_ca_pem)
      .replaceAll('$ca_pem', bed.ca_pem);
  for (const c of spec.tls) {
    test(c.name, async () => {
      let url = sub(c.url);
      url += (url.includes('?') ? '&' : '?') + c.params.map(sub).join('&');
      if (c.expect_error) {
        // A bad argument throws when connect is called, the rest rejects: both count.
        await assert.rejects(
          async () => connect(url),
          (e) => {
            assert.ok(e instanceof FanioError);
            assert.equal(e.code, c.expect_error.code, e.message);
            assert.ok(e.message.includes(c.expect_error.message_has), e.message);
            return true;
          },
        );
        return;
      }
      const db = await connect(url);
      try {
        assert.equal(await db.fetchVal('SELECT 1'), c.expect);
      } finally {
        await db.close();
      }
    });
  }
});
