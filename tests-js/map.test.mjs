// map: p-map's semantics (order, concurrency, stopOnError, AggregateError) on fanio's engine.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import pMap, { pMapIterable, pMapSkip } from 'p-map';

import { asSettled, map, mapIterable, mapSkip, sleep } from '../bindings-node/index.mjs';
import { delay, until } from './helpers.mjs';

test('results come back in input order, like p-map', async () => {
  const input = Array.from({ length: 30 }, (_, i) => i);
  const mapper = async (x, i) => {
    await delay((x * 7) % 5);
    return [x * 2, i];
  };
  const ours = await map(input, mapper, { concurrency: 4 });
  assert.deepStrictEqual(ours, await pMap(input, mapper, { concurrency: 4 }));
});

test('concurrency bounds the mapper calls in flight', async () => {
  let inFlight = 0;
  let peak = 0;
  await map(
    Array.from({ length: 40 }, (_, i) => i),
    async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await delay(2);
      inFlight--;
    },
    { concurrency: 3 },
  );
  assert.equal(peak, 3);
});

test('elements that are promises or ops are awaited first', async () => {
  assert.deepStrictEqual(await map([Promise.resolve(1), sleep(1, 2), 3], (x) => x * 10), [10, 20, 30]);
});

test('stopOnError: the first rejection rejects the call and nothing new starts', async () => {
  const boom = new Error('boom');
  let started = 0;
  const call = map(
    Array.from({ length: 20 }, (_, i) => i),
    async (x) => {
      started++;
      await delay(x === 2 ? 1 : 30);
      if (x === 2) throw boom;
      return x;
    },
    { concurrency: 3 },
  );
  await assert.rejects(call, (e) => e === boom);
  const at = started;
  await delay(80);
  assert.equal(started, at, 'no mapper call after the rejection');
  assert.ok(at <= 4);
});

test('stopOnError false: every element runs, then an AggregateError in input order', async () => {
  let calls = 0;
  const call = map(
    [0, 1, 2, 3, 4],
    async (x) => {
      calls++;
      await delay(5 - x);
      if (x % 2 === 1) throw new Error(`odd ${x}`);
      return x;
    },
    { concurrency: 2, stopOnError: false },
  );
  await assert.rejects(call, (e) => {
    assert.ok(e instanceof AggregateError);
    assert.deepStrictEqual(
      e.errors.map((x) => x.message),
      ['odd 1', 'odd 3'],
    );
    return true;
  });
  assert.equal(calls, 5);
});

test('stopOnError false with no errors resolves', async () => {
  assert.deepStrictEqual(await map([1, 2], (x) => x + 1, { stopOnError: false }), [2, 3]);
});

test("a signal rejects the call with the signal's reason, as p-map does", async () => {
  const ac = new AbortController();
  let started = 0;
  const call = map(
    [1, 2, 3, 4],
    () => {
      started++;
      return delay(10_000);
    },
    { concurrency: 2, signal: ac.signal },
  );
  await until(() => started === 2);
  ac.abort();
  await assert.rejects(call, (e) => e === ac.signal.reason && e.name === 'AbortError');
  assert.equal(started, 2);
});

test('bad arguments reject with E_INVALID_ARGUMENT before any call', async () => {
  let called = 0;
  const mapper = () => called++;
  for (const options of [{ concurrency: 0 }, { concurrency: 1.5 }, { concurrency: -1 }, { concurrency: Number.NaN }]) {
    await assert.rejects(map([1, 2], mapper, options), (e) => e.code === 'E_INVALID_ARGUMENT');
  }
  await assert.rejects(map([1, 2], 'not a function'), (e) => e.code === 'E_INVALID_ARGUMENT');
  await assert.rejects(map(42, mapper), (e) => e.code === 'E_INVALID_ARGUMENT');
  assert.equal(called, 0);
});

test('mapSkip leaves an element out, as pMapSkip does', async () => {
  const mapper = (x) => (x % 3 === 0 ? mapSkip : x * 2);
  const theirs = await pMap([1, 2, 3, 4, 5, 6, 7], (x) => (x % 3 === 0 ? pMapSkip : x * 2), { concurrency: 2 });
  assert.deepStrictEqual(await map([1, 2, 3, 4, 5, 6, 7], mapper, { concurrency: 2 }), theirs);
});

/** An endless source that counts what was pulled from it. */
function endless(kind) {
  const c = { pulled: 0 };
  c.source =
    kind === 'async'
      ? (async function* () {
          for (let i = 0; ; i++) {
            c.pulled++;
            await delay(0);
            yield i;
          }
        })()
      : (function* () {
          for (let i = 0; ; i++) {
            c.pulled++;
            yield i;
          }
        })();
  return c;
}

for (const kind of ['sync', 'async']) {
  test(`a ${kind} source is pulled lazily: only what the concurrency needs`, async () => {
    const c = endless(kind);
    const got = [];
    for await (const v of mapIterable(
      c.source,
      async (x) => {
        await delay(1);
        return x * 10;
      },
      { concurrency: 2 },
    )) {
      got.push(v);
      if (got.length === 10) break;
    }
    assert.deepStrictEqual(got, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    assert.ok(c.pulled <= 10 + 2 + 2, `pulled ${c.pulled} for 10 results at concurrency 2`);

    const d = endless(kind);
    let n = 0;
    for await (const r of asSettled(
      (async function* () {
        for await (const i of d.source) yield () => delay(1).then(() => i);
      })(),
      { limit: 2 },
    )) {
      assert.equal(r.status, 'fulfilled');
      if (++n === 10) break;
    }
    assert.ok(d.pulled <= 10 + 2 + 2, `asSettled pulled ${d.pulled} for 10 outcomes at limit 2`);
  });
}

test('map takes an async iterable, as p-map does', async () => {
  async function* input() {
    for (let i = 0; i < 6; i++) yield i;
  }
  const mapper = async (x) => {
    await delay((x * 3) % 4);
    return x + 1;
  };
  assert.deepStrictEqual(
    await map(input(), mapper, { concurrency: 3 }),
    await pMap(input(), mapper, { concurrency: 3 }),
  );
});

test('mapIterable yields in input order, as pMapIterable does, and throws the first error in turn', async () => {
  const input = Array.from({ length: 12 }, (_, i) => i);
  const mapper = async (x) => {
    await delay((x * 5) % 7);
    return x % 4 === 3 ? pMapSkip : x;
  };
  const ours = [];
  for await (const v of mapIterable(input, (x) => mapper(x).then((v) => (v === pMapSkip ? mapSkip : v)), {
    concurrency: 3,
  })) {
    ours.push(v);
  }
  const theirs = [];
  for await (const v of pMapIterable(input, mapper, { concurrency: 3 })) theirs.push(v);
  assert.deepStrictEqual(ours, theirs);

  const boom = new Error('boom');
  const seen = [];
  await assert.rejects(
    (async () => {
      for await (const v of mapIterable([1, 2, 3, 4], async (x) => (x === 3 ? Promise.reject(boom) : x))) seen.push(v);
    })(),
    (e) => e === boom,
  );
  assert.deepStrictEqual(seen, [1, 2]);
});

test('mapIterable holds back new calls while backpressure results wait unconsumed', async () => {
  let started = 0;
  const it = mapIterable(
    Array.from({ length: 50 }, (_, i) => i),
    (x) => {
      started++;
      return x;
    },
    { concurrency: 2, backpressure: 4 },
  )[Symbol.asyncIterator]();
  assert.equal((await it.next()).value, 0);
  await delay(20);
  assert.ok(started <= 2 + 4 + 1, `started ${started} with one result consumed`);
  await it.return();
});

test('bad sources and options reject before any call', async () => {
  let called = 0;
  const mapper = () => called++;
  for (const bad of [42, 'abc', null, { length: 2 }]) {
    await assert.rejects(map(bad, mapper), (e) => e.code === 'E_INVALID_ARGUMENT');
    await assert.rejects(mapIterable(bad, mapper).next(), (e) => e.code === 'E_INVALID_ARGUMENT');
    await assert.rejects(asSettled(bad).next(), (e) => e.code === 'E_INVALID_ARGUMENT');
  }
  await assert.rejects(
    mapIterable([1], mapper, { concurrency: 4, backpressure: 2 }).next(),
    (e) => e.code === 'E_INVALID_ARGUMENT',
  );
  assert.equal(called, 0);
});
