// Runs every scenario of tests-spec/settle.json, the one truth for settle's semantics
// that the Python suite runs too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { FanioError, fail, opStats, resetOpStats, settle, sleep } from '../bindings-node/index.mjs';
import { running, until } from './helpers.mjs';

const spec = JSON.parse(readFileSync(new URL('../tests-spec/settle.json', import.meta.url), 'utf8'));

const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

function options(raw) {
  const out = {};
  for (const [k, v] of Object.entries(raw ?? {})) out[camel(k)] = v === 'NaN' ? Number.NaN : v;
  return out;
}

/** The tasks of a scenario, and what the host ones saw. */
function build(scenario) {
  const seen = { started: 0, inFlight: 0, peak: 0, aborted: new Set() };
  const tasks = scenario.tasks.map((t, i) => {
    if (t.kind === 'native') return 'fail' in t ? fail(t.ms, t.fail) : sleep(t.ms, t.value);
    return ({ signal }) =>
      new Promise((resolve, reject) => {
        seen.started++;
        seen.inFlight++;
        seen.peak = Math.max(seen.peak, seen.inFlight);
        const timer = setTimeout(() => {
          seen.inFlight--;
          signal.removeEventListener('abort', onAbort);
          if ('fail' in t) reject(new Error(t.fail));
          else resolve(t.value);
        }, t.ms);
        const onAbort = () => {
          clearTimeout(timer);
          seen.inFlight--;
          seen.aborted.add(i);
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
  });
  return { tasks, seen };
}

for (const scenario of spec.scenarios) {
  test(scenario.name, async () => {
    const { tasks, seen } = build(scenario);
    const opts = options(scenario.options);
    resetOpStats();
    const t0 = performance.now();
    if (scenario.expect_error) {
      await assert.rejects(settle(tasks, opts), (e) => {
        assert.ok(e instanceof FanioError);
        assert.equal(e.code, scenario.expect_error);
        return true;
      });
      assert.equal(seen.started, 0, 'no host task may start');
      assert.equal(opStats().peak, 0, 'no native op may start');
    } else {
      const results = await settle(tasks, opts);
      const elapsed = performance.now() - t0;
      assert.equal(results.length, scenario.expect.length);
      scenario.expect.forEach((want, i) => {
        const got = results[i];
        assert.equal(got.status, want.status, `task ${i}`);
        if (want.status === 'fulfilled') {
          assert.deepEqual(got, { status: 'fulfilled', value: want.value }, `task ${i}`);
        } else if ('code' in want) {
          assert.ok(got.reason instanceof FanioError, `task ${i} rejects with a FanioError`);
          assert.equal(got.reason.code, want.code, `task ${i}`);
        } else {
          assert.ok(!(got.reason instanceof FanioError), `task ${i}: the host's own error passes through`);
          assert.equal(got.reason.message, want.message, `task ${i}`);
        }
      });
      if (scenario.max_in_flight !== undefined) {
        assert.ok(seen.peak <= scenario.max_in_flight, `host in flight ${seen.peak} > ${scenario.max_in_flight}`);
        assert.ok(
          opStats().peak <= scenario.max_in_flight,
          `native running ${opStats().peak} > ${scenario.max_in_flight}`,
        );
      }
      if (scenario.min_elapsed_ms !== undefined) {
        // Timers may round to the millisecond: 1 ms of slack, never an upper bound.
        assert.ok(elapsed >= scenario.min_elapsed_ms - 1, `took ${elapsed} ms < ${scenario.min_elapsed_ms}`);
      }
      for (const i of scenario.cancelled ?? []) {
        assert.ok(seen.aborted.has(i), `host task ${i} saw its signal fire`);
      }
      assert.equal(seen.inFlight, 0, 'no host task is left running');
      // Awaiting a native op again gives the outcome the batch gave it, whether it ran,
      // was cut off or never started, and runs nothing.
      await until(() => running() === 0);
      resetOpStats();
      for (const [i, want] of scenario.expect.entries()) {
        if (scenario.tasks[i].kind !== 'native') continue;
        const [again] = await Promise.allSettled([tasks[i]]);
        assert.equal(again.status, want.status, `task ${i} awaited again`);
        if (want.status === 'fulfilled') assert.deepEqual(again.value, want.value, `task ${i} awaited again`);
        else assert.equal(again.reason.code, want.code, `task ${i} awaited again`);
      }
      assert.equal(opStats().peak, 0, 'a settled op ran again');
    }
    assert.equal(opStats().running, 0, 'no native op is left running');
  });
}
