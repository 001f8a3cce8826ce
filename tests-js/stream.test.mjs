// asSettled: outcomes as they complete, a lazily pulled source, backpressure by the
// limit, and leaving the loop drops what is in flight.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { FanioError, asSettled, fail, resetOpStats, opStats, sleep } from '../bindings-node/index.mjs';
import { delay, hostCounter, running } from './helpers.mjs';

test('every index is yielded once, with its outcome', async () => {
  function* source() {
    for (let i = 0; i < 200; i++) {
      if (i % 3 === 0) yield sleep(i % 7, i);
      else if (i % 3 === 1) yield async () => i;
      else yield fail(1, `f${i}`);
    }
  }
  const seen = new Map();
  for await (const r of asSettled(source(), { limit: 8 })) {
    assert.ok(!seen.has(r.index), `index ${r.index} once`);
    seen.set(r.index, r);
  }
  assert.equal(seen.size, 200);
  for (const [i, r] of seen) {
    if (i % 3 === 2) {
      assert.equal(r.status, 'rejected');
      assert.ok(r.reason instanceof FanioError);
      assert.equal(r.reason.message, `f${i}`);
      assert.deepStrictEqual(Object.keys(r), ['index', 'status', 'reason']);
    } else {
      assert.deepStrictEqual(r, { index: i, status: 'fulfilled', value: i });
    }
  }
  assert.equal(running(), 0);
});

test('the source is pulled lazily, in chunks', async () => {
  let pulled = 0;
  function* source() {
    for (let i = 0; i < 100_000; i++) {
      pulled++;
      yield () => i;
    }
  }
  for await (const r of asSettled(source(), { limit: 4 })) {
    assert.equal(r.index, 0);
    break;
  }
  assert.ok(pulled >= 1 && pulled <= 64, `pulled ${pulled} of 100000`);
});

test('backpressure: nothing new starts while more than limit outcomes wait unread', async () => {
  let started = 0;
  const tasks = Array.from({ length: 50 }, () => () => {
    started++;
    return 'done';
  });
  const it = asSettled(tasks, { limit: 2 })[Symbol.asyncIterator]();
  await it.next();
  await delay(50);
  const held = started;
  assert.ok(held <= 8, `${held} started while nobody read`);
  let rest = 0;
  for (let r = await it.next(); !r.done; r = await it.next()) rest++;
  assert.equal(rest, 49);
  assert.equal(started, 50);
});

test('break drops everything in flight', async () => {
  const c = hostCounter();
  resetOpStats();
  const tasks = [sleep(1, 'first'), sleep(10_000), c.task(10_000), sleep(10_000), c.task(10_000)];
  for await (const r of asSettled(tasks, { limit: 5 })) {
    assert.equal(r.value, 'first');
    break;
  }
  assert.equal(running(), 0, 'native ops were dropped');
  assert.equal(c.aborted, 2, 'host tasks saw their signal fire');
  assert.ok(opStats().peak >= 2);
});

test('a throw in the loop body drops everything in flight too', async () => {
  const boom = new Error('consumer failed');
  await assert.rejects(
    async () => {
      for await (const r of asSettled([sleep(1), sleep(10_000), sleep(10_000)])) {
        void r;
        throw boom;
      }
    },
    (e) => e === boom,
  );
  assert.equal(running(), 0);
});

test('a bad item in the source rejects the iteration with E_INVALID_ARGUMENT', async () => {
  function* source() {
    yield sleep(1, 'ok');
    yield 42;
  }
  await assert.rejects(
    async () => {
      for await (const r of asSettled(source())) void r;
    },
    (e) => e instanceof FanioError && e.code === 'E_INVALID_ARGUMENT',
  );
  assert.equal(running(), 0);
});

test('bad options reject before the source is touched', async () => {
  let pulled = 0;
  function* source() {
    pulled++;
    yield sleep(1);
  }
  for (const options of [{ limit: 0 }, { timeout: Number.NaN }, { rate: 0 }]) {
    await assert.rejects(
      async () => {
        for await (const r of asSettled(source(), options)) void r;
      },
      (e) => e.code === 'E_INVALID_ARGUMENT',
    );
  }
  await assert.rejects(
    async () => {
      for await (const r of asSettled(7)) void r;
    },
    (e) => e.code === 'E_INVALID_ARGUMENT',
  );
  assert.equal(pulled, 0);
});

test("a signal stops the stream with the signal's reason", async () => {
  const ac = new AbortController();
  const c = hostCounter();
  await assert.rejects(
    async () => {
      for await (const r of asSettled([sleep(1), c.task(10_000), sleep(10_000)], { signal: ac.signal })) {
        void r;
        ac.abort();
      }
    },
    (e) => e === ac.signal.reason && e.name === 'AbortError',
  );
  assert.equal(running(), 0);
  assert.equal(c.aborted, 1);
});

test('onProgress ends with (total, total)', async () => {
  const calls = [];
  for await (const r of asSettled(
    Array.from({ length: 50 }, (_, i) => sleep(1, i)),
    {
      limit: 10,
      onProgress: (d, t) => calls.push([d, t]),
    },
  ))
    void r;
  assert.deepStrictEqual(calls.at(-1), [50, 50]);
});

test('memory stays bounded: 1,000,000 native sleep(0) ops at limit 256 under 150 MB peak RSS', () => {
  const script = fileURLToPath(new URL('./stream_memory.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script, 'stream', '1000000', '256'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { count, maxRssMb } = JSON.parse(r.stdout);
  assert.equal(count, 1_000_000);
  assert.ok(maxRssMb < 150, `peak RSS ${maxRssMb} MB`);
});

test('native ops dropped unrun are freed: 1,000,000 queries made and dropped under 150 MB peak RSS', () => {
  // Each held query costs the addon about 500 bytes: kept forever, they would pass 500 MB.
  const script = fileURLToPath(new URL('./stream_memory.mjs', import.meta.url));
  const r = spawnSync(process.execPath, ['--expose-gc', script, 'unrun', '1000000'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { count, maxRssMb } = JSON.parse(r.stdout);
  assert.equal(count, 1000, 'every op made after the releases settles with its own value');
  assert.ok(maxRssMb < 150, `peak RSS ${maxRssMb} MB`);
});

test('the stream ends when a cut-off native op is gone after the last outcome', async () => {
  // Fail-fast cuts the native op off: its outcome comes at once, but the stream ends
  // only once its future is gone, which comes later; the consumer must hear of it.
  for (let k = 0; k < 30; k++) {
    const seen = [];
    const consume = (async () => {
      for await (const r of asSettled([async () => Promise.reject(new Error('first')), fail(180, 'slow')], {
        failFast: true,
      })) {
        seen.push([r.index, r.reason.code ?? r.reason.message]);
      }
    })();
    const timer = delay(5000).then(() => 'hung');
    assert.notEqual(await Promise.race([consume.then(() => 'done'), timer]), 'hung');
    assert.deepEqual(
      seen.sort((a, b) => a[0] - b[0]),
      [
        [0, 'first'],
        [1, 'E_CANCELLED'],
      ],
    );
  }
  assert.equal(opStats().running, 0);
});
