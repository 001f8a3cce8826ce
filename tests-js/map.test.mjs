// map: p-map's semantics (order, concurrency, stopOnError, AggregateError) on fanio's engine.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import pMap from 'p-map';

import { FanioError, map, sleep } from '../bindings-node/index.mjs';
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

test('a signal cancels the call with E_CANCELLED', async () => {
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
  await assert.rejects(call, (e) => e instanceof FanioError && e.code === 'E_CANCELLED');
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
