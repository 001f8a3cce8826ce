// Property tests (fast-check): random batches of native ops (`sleep`, `fail`) and host
// functions with random delays, outcomes and options, checked against a small reference
// model of the scheduler written here; and random arguments of every type to the public
// calls, which may only throw FanioErrors with a code or TypeErrors.
//
// Timing is real, so the model never trusts one exact timeline: it replays the batch
// many times with each timer late by a random amount (up to JITTER ms), and an item may
// end in any outcome those replays give it. Delays sit on a coarse grid and timeouts and
// deadlines between grid points, so most items have exactly one possible outcome; items
// whose fate hangs on a tie (two ops ending at one grid point under fail-fast) are
// checked against the set. Invariants hold whatever the timing: every item settles
// exactly once, only the allowed codes, in-flight never above the limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import {
  asSettled,
  Client,
  codes,
  connect,
  FanioError,
  fail,
  map,
  opStats,
  resetOpStats,
  settle,
  sleep,
} from '../bindings-node/index.mjs';
import { until } from './helpers.mjs';

// ---------------------------------------------------------------------------------------
// The reference model

const GRID = 60; // ms between the points delays sit on
const JITTER = 30; // ms a timer may fire late (and 2 ms early) in a replay
const REPLAYS = 64;
const FULFILLED = 'fulfilled';
const FAILED = 'failed';
const TIMEOUT = 'E_TIMEOUT';
const CANCELLED = 'E_CANCELLED';

/** A seeded generator (mulberry32), so a failing example replays the same model. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One timeline of the scheduler's rules (core/src/engine/scheduler.rs): starts in input
 * order under the limit and at `k / rate`; an op ends with its own outcome, or E_TIMEOUT
 * `timeout` after its start; the deadline settles everything left as E_TIMEOUT; under
 * fail-fast the first rejection cancels what runs and skips the rest. With `random`,
 * every timer fires late by up to JITTER ms (never a tie).
 */
export function replay(specs, o, random) {
  const late = () => (random ? -2 + random() * (JITTER + 2) : 0);
  const n = specs.length;
  const out = new Array(n).fill(null);
  const running = new Map(); // index -> [end, expiry]
  const rateLate = new Map();
  let next = 0;
  let started = 0;
  let now = 0;
  const deadline = o.deadline === undefined ? Infinity : o.deadline + late();
  const stop = (code) => {
    for (const i of running.keys()) out[i] = code;
    running.clear();
    while (next < n) out[next++] = code;
  };
  while (out.includes(null)) {
    let rateAt;
    while (next < n && (o.limit === undefined || running.size < o.limit)) {
      if (o.rate !== undefined) {
        if (!rateLate.has(started)) rateLate.set(started, started ? late() : 0);
        const at = (started * 1000) / o.rate + rateLate.get(started);
        if (at > now) {
          rateAt = at;
          break;
        }
      }
      const end = now + specs[next].ms + late();
      const expiry = o.timeout === undefined ? Infinity : now + o.timeout + late();
      running.set(next, [end, expiry]);
      next++;
      started++;
    }
    const events = [deadline, ...[...running.values()].map(([e, x]) => Math.min(e, x))];
    if (rateAt !== undefined) events.push(rateAt);
    now = Math.min(...events);
    if (now === deadline) {
      stop(TIMEOUT);
      break;
    }
    // What ends at the same instant ends together: none of it is cut off by another.
    const ended = [...running.keys()].filter((i) => Math.min(...running.get(i)) === now);
    for (const i of ended) {
      const [end, expiry] = running.get(i);
      running.delete(i);
      out[i] = expiry <= end ? TIMEOUT : specs[i].fails ? FAILED : FULFILLED;
    }
    if (o.failFast && ended.some((i) => out[i] !== FULFILLED)) stop(CANCELLED);
  }
  return out;
}

/** Each item's outcomes over the nominal timeline and REPLAYS late ones. */
function possible(specs, o, seed) {
  const sets = replay(specs, o, null).map((x) => new Set([x]));
  const random = rng(seed);
  for (let r = 0; r < REPLAYS; r++) {
    replay(specs, o, random).forEach((x, i) => {
      sets[i].add(x);
    });
  }
  return sets;
}

// ---------------------------------------------------------------------------------------
// The ops

class HostError extends Error {}

function hostOp(i, s, c) {
  return ({ signal }) =>
    new Promise((resolve, reject) => {
      c.started.add(i);
      c.inFlight++;
      c.peak = Math.max(c.peak, c.inFlight);
      const timer = setTimeout(() => {
        c.inFlight--;
        signal.removeEventListener('abort', onAbort);
        if (s.fails) reject(new HostError(String(i)));
        else resolve(i);
      }, s.ms);
      const onAbort = () => {
        clearTimeout(timer);
        c.inFlight--;
        c.aborted.add(i);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
}

const make = (i, s, c) => (!s.native ? hostOp(i, s, c) : s.fails ? fail(s.ms, `op ${i}`) : sleep(s.ms, i));

/** The model's name of an actual outcome, checking what it carries on the way. */
function kind(r, i, s) {
  if (r.status === 'fulfilled') {
    assert.equal(r.value, i);
    return FULFILLED;
  }
  assert.equal(r.status, 'rejected');
  const e = r.reason;
  if (e instanceof HostError) {
    assert.ok(!s.native);
    assert.equal(e.message, String(i));
    return FAILED;
  }
  assert.ok(e instanceof FanioError, `a FanioError, got ${e}`);
  if (e.code === 'E_FAILED') {
    assert.ok(s.native);
    return FAILED;
  }
  assert.ok([TIMEOUT, CANCELLED].includes(e.code), e.code);
  return e.code;
}

// ---------------------------------------------------------------------------------------
// Arbitraries: delays on the grid; timeouts and deadlines half-way between grid points.

const HALF = [1, 2, 3, 4, 5, 6].map((k) => GRID / 2 + k * GRID); // 90, 150, ... ms
const optional = (arb) => fc.option(arb, { nil: undefined });
const OPTS = fc.record({
  limit: optional(fc.integer({ min: 1, max: 4 })),
  // An op every 2 or 3 grid points at most: the rate ticks stay on the grid.
  rate: optional(fc.constantFrom(1000 / (2 * GRID), 1000 / (3 * GRID))),
  failFast: fc.boolean(),
  timeout: optional(fc.constantFrom(...HALF.slice(0, 3))),
  deadline: optional(fc.constantFrom(...HALF.slice(2))),
});
const specs = (native) =>
  fc.array(fc.record({ native, ms: fc.constantFrom(0, GRID, 2 * GRID, 3 * GRID), fails: fc.boolean() }), {
    minLength: 1,
    maxLength: 6,
  });
const API = fc.constantFrom('settle', 'asSettled');
const SEED = fc.integer({ min: 0, max: 2 ** 31 });

/** Options as the call takes them (no undefined keys, so a bad default would show). */
const options = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

async function runBatch(tasks, o, api) {
  if (api === 'settle') return settle(tasks, options(o));
  const seen = new Map();
  for await (const { index, ...rest } of asSettled(tasks, options(o))) {
    assert.ok(!seen.has(index), `item ${index} settled twice`);
    seen.set(index, rest);
  }
  assert.deepEqual(
    [...seen.keys()].sort((a, b) => a - b),
    tasks.map((_, i) => i),
    'every item settles exactly once',
  );
  return tasks.map((_, i) => seen.get(i));
}

async function checkBatch(specs, o, api, seed) {
  resetOpStats();
  const c = { inFlight: 0, peak: 0, started: new Set(), aborted: new Set() };
  const tasks = specs.map((s, i) => make(i, s, c));
  const results = await runBatch(tasks, o, api);
  assert.equal(results.length, specs.length);
  const allowed = possible(specs, o, seed);
  const got = results.map((r, i) => kind(r, i, specs[i]));
  const wrong = got.flatMap((g, i) => (allowed[i].has(g) ? [] : [[i, g, [...allowed[i]]]]));
  assert.deepEqual(wrong, [], `(index, got, model allows) for ${JSON.stringify({ specs, o })}`);
  // The limit bounds what is in flight: host functions and native futures.
  if (o.limit !== undefined) {
    assert.ok(c.peak <= o.limit, `host peak ${c.peak} > ${o.limit}`);
    assert.ok(opStats().peak <= o.limit, `native peak ${opStats().peak} > ${o.limit}`);
  }
  // Without a cut-off every item ends as its op does.
  if (!o.failFast && o.timeout === undefined && o.deadline === undefined) {
    assert.deepEqual(
      got,
      specs.map((s) => (s.fails ? FAILED : FULFILLED)),
    );
  }
  // Nothing is cancelled without fail-fast and an original failure (or timeout).
  if (got.includes(CANCELLED)) assert.ok(o.failFast && (got.includes(FAILED) || got.includes(TIMEOUT)), got);
  // A host function cut off while it ran saw its signal fire.
  got.forEach((g, i) => {
    if (!specs[i].native && (g === TIMEOUT || g === CANCELLED) && c.started.has(i)) {
      assert.ok(c.aborted.has(i), `host task ${i} was cut off (${g}) but its signal never fired`);
    }
  });
  assert.equal(c.inFlight, 0);
  await until(() => opStats().running === 0);
  // Each native op keeps the outcome the batch gave it and runs no more.
  resetOpStats();
  for (const [i, s] of specs.entries()) {
    if (!s.native) continue;
    const [again] = await Promise.allSettled([tasks[i]]);
    assert.equal(kind(again, i, s), got[i]);
  }
  assert.equal(opStats().peak, 0, 'a settled op ran again');
}

// Bounded even when a property fails: no shrinking (the failing case is reported as
// found), and node:test fails a file that runs past its limit instead of hanging CI.
const RUNS = { numRuns: 30, endOnFailure: true };
const LIMIT = { timeout: 180_000 };

test('native batches match the model', LIMIT, () =>
  fc.assert(fc.asyncProperty(specs(fc.constant(true)), OPTS, API, SEED, checkBatch), RUNS),
);

test('mixed batches match the model', LIMIT, () =>
  fc.assert(fc.asyncProperty(specs(fc.boolean()), OPTS, API, SEED, checkBatch), RUNS),
);

test('the model knows the rules the spec suite pins', () => {
  const ok = { native: true, ms: 0, fails: false };
  const bad = { native: true, ms: 0, fails: true };
  const slow = { native: true, ms: 3000, fails: false };
  assert.deepEqual(replay([bad, slow, ok, ok], { limit: 2, failFast: true }), [FAILED, ...Array(3).fill(CANCELLED)]);
  assert.deepEqual(replay([{ ...ok, ms: 5 }, slow], { timeout: 150 }), [FULFILLED, TIMEOUT]);
  assert.deepEqual(replay([slow, slow, ok], { timeout: 100, failFast: true, limit: 2 }), [TIMEOUT, TIMEOUT, CANCELLED]);
  const twenty = { ...ok, ms: 20 };
  assert.deepEqual(replay([twenty, twenty, { ...ok, ms: 5000 }, twenty], { limit: 1, deadline: 400 }), [
    FULFILLED,
    FULFILLED,
    TIMEOUT,
    TIMEOUT,
  ]);
  // A rate of 10/s: the fourth op starts at 300 ms, after a 250 ms deadline.
  assert.deepEqual(replay([ok, ok, ok, ok], { rate: 10, deadline: 250 }), [FULFILLED, FULFILLED, FULFILLED, TIMEOUT]);
});

// ---------------------------------------------------------------------------------------
// Random arguments to every public call

const CODES = new Set(codes);
const circular = {};
circular.self = circular;

const SCALAR = fc.oneof(
  fc.constantFrom(undefined, null, NaN, Infinity, -Infinity, -0, '', '\ud800', 'a\u0000b', 'x\r\n', circular),
  fc.constantFrom('http://u:p@127.0.0.1:9/', 'sqlite::memory:', 'GET', 'SELECT 1', Symbol('s'), () => 1),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.bigInt(),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.uint8Array({ maxLength: 8 }),
  fc.date({ noInvalidDate: false }),
);
const { value: VALUE } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, SCALAR, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 3 }),
  object: fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 3 }),
}));
const someOptions = (names) => fc.dictionary(fc.constantFrom(...names), VALUE, { maxKeys: 3 });

const SETTLE_OPTIONS = ['limit', 'rate', 'failFast', 'timeout', 'deadline', 'signal', 'progress', 'onProgress'];
const MAP_OPTIONS = ['concurrency', 'stopOnError', 'signal', 'rate', 'timeout', 'deadline'];
const CLIENT_OPTIONS = [
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
  'proxy',
  'cookies',
  'userAgent',
  'retry',
  'maxResponseSize',
  'errorForStatus',
];
const REQUEST_OPTIONS = ['params', 'headers', 'json', 'form', 'content', 'timeout', 'errorForStatus', 'signal'];
const CONNECT_OPTIONS = ['maxConnections', 'minConnections', 'acquireTimeout', 'statementCacheSize'];

/** [name, arbitrary of its arguments, call, whether to await what it returns]. HTTP
 * requests and sleeps are only made: a valid one may wait for ages. */
const CALLS = [
  ['sleep', fc.tuple(VALUE, VALUE), (_e, a) => void sleep(...a), false],
  ['fail', fc.tuple(VALUE, VALUE), (_e, a) => void fail(...a), false],
  [
    'settle',
    fc.tuple(fc.array(VALUE, { maxLength: 2 }), someOptions(SETTLE_OPTIONS)),
    (_e, a) => settle([sleep(0, 1), ...a[0]], a[1]),
    true,
  ],
  ['settle(v)', fc.tuple(VALUE, VALUE), (_e, a) => settle(...a), true],
  ['asSettled', fc.tuple(VALUE, someOptions(SETTLE_OPTIONS)), (_e, a) => asSettled(...a), true],
  ['map', fc.tuple(VALUE, VALUE, someOptions(MAP_OPTIONS)), (_e, a) => map(a[0], a[1], a[2]), true],
  ['map(fn)', fc.tuple(VALUE, someOptions(MAP_OPTIONS)), (_e, a) => map(a[0], async (x) => x, a[1]), true],
  ['connect', fc.tuple(VALUE, someOptions(CONNECT_OPTIONS)), (_e, a) => connect(...a), true],
  ['connect(sqlite)', someOptions(CONNECT_OPTIONS), (_e, a) => connect('sqlite::memory:', a), true],
  ['db.fetchAll', fc.tuple(VALUE, VALUE, VALUE), (e, a) => e.db.fetchAll(...a), true],
  ['db.fetchVal', VALUE, (e, a) => e.db.fetchVal('SELECT ?', [a]), true],
  ['db.execute', fc.tuple(VALUE, VALUE), (e, a) => e.db.execute(...a), true],
  ['db.executeMany', fc.tuple(VALUE, VALUE), (e, a) => e.db.executeMany(...a), true],
  ['db.copyRecords', fc.tuple(VALUE, VALUE, VALUE), (e, a) => e.db.copyRecords(...a), true],
  ['db.begin', VALUE, (e, a) => e.db.begin(a).then((tx) => tx.rollback()), true],
  ['db.transaction', fc.tuple(VALUE, VALUE), (e, a) => e.db.transaction(...a), true],
  ['new Client', someOptions(CLIENT_OPTIONS), (_e, a) => new Client(a), true],
  [
    'client.request',
    fc.tuple(VALUE, VALUE, someOptions(REQUEST_OPTIONS)),
    (e, a) => void e.client.request(...a),
    false,
  ],
  ['client.get', fc.tuple(VALUE, someOptions(REQUEST_OPTIONS)), (e, a) => void e.client.get(...a), false],
  ['client.fetchAll', fc.tuple(VALUE, someOptions(SETTLE_OPTIONS)), (e, a) => e.client.fetchAll(...a), true],
];

/** What `call` threw, awaiting (or iterating) what it returns for at most 5 s; a
 * database or client it made is closed again. */
async function thrownBy(call, wait) {
  let timer;
  try {
    let r = call();
    if (wait && r !== null && typeof r === 'object' && typeof r.then === 'function') {
      const late = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('still pending after 5 s')), 5000);
      });
      r = await Promise.race([r, late]);
    } else if (wait && r !== null && typeof r === 'object' && typeof r[Symbol.asyncIterator] === 'function') {
      for await (const _ of r);
    }
    if (r !== null && typeof r === 'object' && typeof r.close === 'function') await r.close();
    return null;
  } catch (e) {
    return e;
  } finally {
    clearTimeout(timer);
  }
}

const acceptable = (e) => e === null || e instanceof TypeError || (e instanceof FanioError && CODES.has(e.code));

test('random arguments to every public call give only FanioErrors with a code or TypeErrors', LIMIT, async () => {
  const db = await connect('sqlite::memory:');
  await db.execute('CREATE TABLE p (a)');
  const client = new Client({ baseUrl: 'http://127.0.0.1:9', timeout: 2000 });
  const env = { db, client };
  const describe = (v) => {
    try {
      return fc.stringify(v);
    } catch {
      return String(v);
    }
  };
  await fc.assert(
    fc.asyncProperty(fc.tuple(...CALLS.map(([, args]) => args)), async (argsList) => {
      for (const [k, [name, , run, wait]] of CALLS.entries()) {
        const e = await thrownBy(() => run(env, argsList[k]), wait);
        assert.ok(acceptable(e), `${name}(${describe(argsList[k])}): ${e?.name} ${e?.code ?? ''} ${e?.message}`);
      }
    }),
    { numRuns: 60, endOnFailure: true },
  );
  assert.equal(await db.fetchVal('SELECT 1'), 1);
  await client.close();
  await db.close();
});
