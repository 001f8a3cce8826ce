// settle: Promise.allSettled's shape, lazy run-once ops, cancellation, progress, and
// bad input rejected before anything starts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';

import { asSettled, FanioError, fail, opStats, resetOpStats, settle, sleep } from '../bindings-node/index.mjs';
import { delay, hostCounter, running, until } from './helpers.mjs';

const isCode = (code) => (e) => {
  assert.ok(e instanceof FanioError, `${e} is a FanioError`);
  assert.equal(e.code, code);
  return true;
};

describe('settled results', () => {
  test('a native batch equals Promise.allSettled on the same ops', async () => {
    const ops = [sleep(15, 'a'), fail(5, 'boom'), sleep(0, { n: 1 }), sleep(1)];
    const ours = await settle(ops, { limit: 2 });
    assert.deepStrictEqual(ours, await Promise.allSettled(ops));
    assert.equal(ours[1].reason.code, 'E_FAILED');
    assert.equal(ours[1].reason.message, 'boom');
  });

  test('a mixed batch equals Promise.allSettled on the same tasks', async () => {
    const rejected = Promise.reject(new Error('given'));
    rejected.catch(() => {});
    const tasks = [sleep(5, 1), Promise.resolve('p'), rejected, fail(1, 'f'), sleep(2, [1, 2])];
    const ours = await settle(tasks, { limit: 2 });
    assert.deepStrictEqual(ours, await Promise.allSettled(tasks));
  });

  test('host functions settle like Promise.allSettled of their calls', async () => {
    const fns = [
      async () => 'x',
      () => 42,
      async () => {
        throw new TypeError('nope');
      },
      () => {
        throw new RangeError('sync');
      },
      () => delay(5).then(() => null),
    ];
    const ours = await settle(fns, { limit: 2 });
    const theirs = await Promise.allSettled(fns.map((f) => (async () => f())()));
    assert.deepStrictEqual(ours, theirs);
  });

  test('a function task gets exactly one argument, {signal}', async () => {
    let args;
    await settle([(...a) => (args = a)]);
    assert.equal(args.length, 1);
    assert.ok(args[0].signal instanceof AbortSignal);
    assert.equal(args[0].signal.aborted, false);
  });

  test('an empty batch settles to []', async () => {
    assert.deepStrictEqual(await settle([]), []);
    assert.deepStrictEqual(await settle([], { limit: 3, onProgress: () => {} }), []);
  });

  test('any iterable of tasks is accepted', async () => {
    const set = new Set([sleep(1, 'a'), () => 'b']);
    assert.deepStrictEqual(
      (await settle(set)).map((r) => r.value),
      ['a', 'b'],
    );
  });
});

describe('ops', () => {
  test('nothing runs until an op is awaited', async () => {
    resetOpStats();
    const op = sleep(5, 'late');
    await delay(20);
    assert.equal(opStats().peak, 0, 'a fresh op does not run');
    assert.equal(await op, 'late');
    assert.equal(opStats().peak, 1);
  });

  test('an op runs once: awaiting again or settling it again reuses the outcome', async () => {
    const value = { unique: true };
    const op = sleep(5, value);
    assert.equal(await op, value);
    resetOpStats();
    assert.equal(await op, value);
    assert.equal(await Promise.resolve(op), value);
    const [again] = await settle([op]);
    assert.equal(again.value, value);
    assert.deepStrictEqual(await Promise.allSettled([op]), [{ status: 'fulfilled', value }]);
    assert.equal(opStats().peak, 0, 'nothing ran again');
  });

  test('a failed op keeps its one reason', async () => {
    const op = fail(1, 'once');
    const first = await op.then(
      () => assert.fail('must reject'),
      (e) => e,
    );
    assert.ok(first instanceof FanioError);
    assert.equal(first.code, 'E_FAILED');
    assert.equal(first.message, 'once');
    await assert.rejects(op, (e) => e === first);
    const [r] = await settle([op]);
    assert.equal(r.reason, first);
  });

  test('the same op twice in one batch runs once', async () => {
    resetOpStats();
    const op = sleep(5, 'twice');
    const results = await settle([op, op]);
    assert.deepStrictEqual(results, [
      { status: 'fulfilled', value: 'twice' },
      { status: 'fulfilled', value: 'twice' },
    ]);
    assert.equal(opStats().peak, 1);
  });

  test('an op awaited while its batch runs joins that run', async () => {
    resetOpStats();
    const op = sleep(10, 'joined');
    const batch = settle([op]);
    assert.equal(await op, 'joined');
    assert.deepStrictEqual(await batch, [{ status: 'fulfilled', value: 'joined' }]);
    assert.equal(opStats().peak, 1);
  });

  test('many single awaits at once all resolve', async () => {
    const values = await Promise.all(Array.from({ length: 5000 }, (_, i) => sleep(0, i)));
    assert.deepStrictEqual(
      values,
      Array.from({ length: 5000 }, (_, i) => i),
    );
    assert.equal(running(), 0);
  });

  test('catch and finally work on an op', async () => {
    let ran = false;
    assert.equal(await fail(1, 'c').catch((e) => e.code), 'E_FAILED');
    assert.equal(
      await sleep(1, 'f').finally(() => {
        ran = true;
      }),
      'f',
    );
    assert.ok(ran);
  });

  test('a bad duration is reported in ms, as the caller wrote it', async () => {
    const quotes = (value) => (e) => {
      assert.equal(e.code, 'E_INVALID_ARGUMENT');
      assert.match(e.message, new RegExp(`got ${value}\\b`));
      assert.match(e.message, /\bms\b/);
      return true;
    };
    await assert.rejects(settle([() => 1], { timeout: -5 }), quotes(-5));
    await assert.rejects(settle([() => 1], { deadline: -250 }), quotes(-250));
    assert.throws(() => sleep(-1), quotes(-1));
    assert.throws(() => fail(-3, 'x'), quotes(-3));
  });

  test('huge finite durations mean "never", they do not crash', async () => {
    const results = await settle([sleep(1e300, 'never'), () => 'now'], { timeout: 20, deadline: 1e300 });
    assert.deepStrictEqual(
      results.map((r) => r.reason?.code ?? r.value),
      ['E_TIMEOUT', 'now'],
    );
    assert.deepStrictEqual(
      (await settle([sleep(1, 'x')], { timeout: 1e25, deadline: 1e22 })).map((r) => r.value),
      ['x'],
    );
    assert.deepStrictEqual(
      (await settle([() => 1, () => 2], { rate: 1e-300, deadline: 30 })).map((r) => r.reason?.code ?? r.value),
      [1, 'E_TIMEOUT'],
    );
    assert.equal(running(), 0);
  });

  test('bad delays throw E_INVALID_ARGUMENT at once', () => {
    for (const ms of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5', undefined]) {
      assert.throws(() => sleep(ms, 'x'), isCode('E_INVALID_ARGUMENT'), String(ms));
      assert.throws(() => fail(ms, 'x'), isCode('E_INVALID_ARGUMENT'), String(ms));
    }
  });
});

describe('cancellation', () => {
  test('aborting a native batch drops every op and rejects with the AbortError', async () => {
    resetOpStats();
    const ac = new AbortController();
    const ops = Array.from({ length: 50 }, () => sleep(10_000, 'never'));
    const batch = settle(ops, { limit: 10, signal: ac.signal });
    await until(() => running() === 10);
    ac.abort();
    await assert.rejects(batch, (e) => e === ac.signal.reason && e.name === 'AbortError');
    assert.equal(running(), 0, 'every op future was dropped');
    await assert.rejects(ops[0], isCode('E_CANCELLED'));
    assert.ok(opStats().peak <= 10);
  });

  test('aborting a host batch fires the signals of the tasks in flight', async () => {
    const c = hostCounter();
    const ac = new AbortController();
    const tasks = Array.from({ length: 10 }, () => c.task(10_000));
    const batch = settle(tasks, { limit: 3, signal: ac.signal });
    await until(() => c.started === 3);
    ac.abort(new Error('user said stop'));
    await assert.rejects(batch, (e) => e === ac.signal.reason && e.message === 'user said stop');
    assert.equal(c.aborted, 3);
    assert.equal(c.started, 3, 'nothing new started');
    assert.equal(c.inFlight, 0);
  });

  test('aborting a mixed batch drops its native ops too', async () => {
    const c = hostCounter();
    const ac = new AbortController();
    const batch = settle([sleep(10_000), c.task(10_000), sleep(10_000)], { signal: ac.signal });
    await until(() => running() === 2 && c.started === 1);
    const why = new Error('why');
    ac.abort(why);
    await assert.rejects(batch, (e) => e === why);
    assert.equal(running(), 0);
    assert.equal(c.aborted, 1);
  });

  test('an already aborted signal rejects before anything starts', async () => {
    const c = hostCounter();
    resetOpStats();
    await assert.rejects(
      settle([c.task(1), sleep(1)], { signal: AbortSignal.abort() }),
      (e) => e.name === 'AbortError',
    );
    assert.equal(c.started, 0);
    assert.equal(opStats().peak, 0);
  });

  test('fail-fast cut-offs settle with E_CANCELLED and fire the signal; the first rejection keeps its own', async () => {
    const c = hostCounter();
    const results = await settle([c.task(10_000), fail(5, 'first'), sleep(10_000), c.task(1)], {
      failFast: true,
      limit: 3,
    });
    assert.deepStrictEqual(
      results.map((r) => r.reason?.code ?? r.status),
      ['E_CANCELLED', 'E_FAILED', 'E_CANCELLED', 'E_CANCELLED'],
    );
    assert.equal(c.aborted, 1);
    assert.equal(c.started, 1, 'the last task never started');
    assert.equal(running(), 0);
  });

  test('a timed-out host task sees a signal whose reason is E_TIMEOUT', async () => {
    let reason;
    const [r] = await settle(
      [
        ({ signal }) =>
          new Promise((resolve) => {
            signal.addEventListener('abort', () => {
              reason = signal.reason;
              resolve('late');
            });
          }),
      ],
      { timeout: 10 },
    );
    assert.equal(r.status, 'rejected');
    assert.equal(r.reason.code, 'E_TIMEOUT');
    assert.equal(reason, r.reason);
  });
});

describe('progress', () => {
  for (const kind of ['native', 'host']) {
    test(`onProgress (${kind}) is throttled, monotonic and ends with (total, total)`, async () => {
      const calls = [];
      const n = 300;
      const tasks = Array.from({ length: n }, (_, i) => (kind === 'native' ? sleep(1, i) : () => delay(1)));
      const t0 = performance.now();
      await settle(tasks, { limit: 20, onProgress: (done, total) => calls.push([done, total]) });
      const elapsed = performance.now() - t0;
      assert.ok(calls.length >= 1);
      assert.deepStrictEqual(calls.at(-1), [n, n]);
      assert.ok(calls.length <= Math.ceil(elapsed / 100) + 2, `${calls.length} calls in ${elapsed} ms`);
      for (let k = 1; k < calls.length; k++) assert.ok(calls[k][0] >= calls[k - 1][0]);
      assert.ok(calls.every(([, total]) => total === n));
    });
  }

  test('progress: true runs (the bar is drawn only on a terminal)', async () => {
    const results = await settle([sleep(1, 1), () => 2], { progress: true });
    assert.deepStrictEqual(
      results.map((r) => r.value),
      [1, 2],
    );
  });
});

describe('bad input rejects with E_INVALID_ARGUMENT before anything starts', () => {
  const bad = {
    'limit 0': { limit: 0 },
    'limit -1': { limit: -1 },
    'limit 1.5': { limit: 1.5 },
    'limit NaN': { limit: Number.NaN },
    'limit "2"': { limit: '2' },
    'timeout NaN': { timeout: Number.NaN },
    'timeout -1': { timeout: -1 },
    'deadline Infinity': { deadline: Number.POSITIVE_INFINITY },
    'rate 0': { rate: 0 },
    'rate -2': { rate: -2 },
    'onProgress not a function': { onProgress: 5 },
    'signal not a signal': { signal: {} },
  };
  for (const [name, options] of Object.entries(bad)) {
    test(name, async () => {
      const c = hostCounter();
      resetOpStats();
      await assert.rejects(settle([c.task(1), sleep(1)], options), isCode('E_INVALID_ARGUMENT'));
      await assert.rejects(settle([sleep(1), sleep(2)], options), isCode('E_INVALID_ARGUMENT'));
      assert.equal(c.started, 0);
      assert.equal(opStats().peak, 0);
    });
  }

  test('a number, a string or null as a task', async () => {
    for (const wrong of [1, 'task', null, undefined, { then: 1 }]) {
      const c = hostCounter();
      await assert.rejects(settle([c.task(1), wrong]), isCode('E_INVALID_ARGUMENT'));
      assert.equal(c.started, 0);
    }
  });

  test('tasks that are not iterable', async () => {
    for (const wrong of [5, null, 'abc', { length: 2 }]) {
      await assert.rejects(settle(wrong), isCode('E_INVALID_ARGUMENT'));
    }
  });
});

describe('a throwing onProgress', () => {
  const boom = new Error('progress');
  const onProgress = (done) => {
    if (done >= 1) throw boom;
  };

  for (const kind of ['native', 'host']) {
    test(`rejects a ${kind} batch with that error and cancels what runs`, async () => {
      const uncaught = [];
      const listen = (e) => uncaught.push(e);
      process.on('uncaughtException', listen);
      try {
        const c = hostCounter();
        // Progress is reported at most every 100 ms: the op done at 150 ms brings the
        // report that throws while the slow tasks run.
        const tasks = () =>
          kind === 'native'
            ? [sleep(0, 0), sleep(150, 0), ...[1, 2, 3].map((i) => sleep(30_000, i))]
            : [sleep(0, 0), sleep(150, 0), ...[1, 2, 3].map((i) => c.task(30_000, i))];
        await assert.rejects(settle(tasks(), { onProgress }), (e) => e === boom);
        await until(() => running() === 0);
        if (kind === 'host') assert.equal(c.aborted, 3, 'every started task saw its signal fire');
        await assert.rejects(
          (async () => {
            for await (const _ of asSettled(tasks(), { limit: 3, onProgress })) {
            }
          })(),
          (e) => e === boom,
        );
        await until(() => running() === 0);
        assert.equal(c.inFlight, 0, 'nothing keeps running unobserved');
        await delay(10);
        assert.deepEqual(uncaught, [], 'no uncaught exception');
      } finally {
        process.off('uncaughtException', listen);
      }
    });
  }
});

describe('ops never awaited', () => {
  const child = (body) =>
    spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', body], {
      cwd: new URL('..', import.meta.url),
      encoding: 'utf8',
      timeout: 30_000,
    });
  const prelude = `import { connect, settle } from './bindings-node/index.mjs';
    const db = await connect('sqlite::memory:');
    const collect = async () => { for (let k = 0; k < 5; k++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); } };`;

  test('a native op collected without an await or a batch warns once', () => {
    const r = child(`${prelude}
      for (let i = 0; i < 3; i++) db.fetchVal('SELECT 1');
      await collect();
      await db.close();`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.match(/FANIO_OP_NEVER_AWAITED/g)?.length, 1, r.stderr);
  });

  test('awaited, settled, skipped or refused ops do not warn', () => {
    const r = child(`${prelude}
      await db.fetchVal('SELECT 1');
      await settle([db.fetchVal('SELECT 2')]);
      await settle([() => { throw new Error('x'); }, db.fetchVal('SELECT 3')], { limit: 1, failFast: true });
      await settle([db.fetchVal('SELECT 4')], { limit: 0 }).catch(() => {});
      await collect();
      await db.close();`);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /FANIO_OP_NEVER_AWAITED/);
  });
});
