// The package as users load it: require and import by name, the typings under
// tsc --strict, and a process that exits by itself once its work is done.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function node(args, input) {
  return spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', input, timeout: 30_000 });
}

test('CommonJS: require("fanio") works', () => {
  const r = node([
    '-e',
    `const f = require('fanio');
     f.settle([f.sleep(1, 'cjs'), () => 2]).then((rs) => console.log(JSON.stringify(rs.map((x) => x.value))));`,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '["cjs",2]');
});

test('ESM: import from "fanio" works, named and default', () => {
  const r = node([
    '--input-type=module',
    '-e',
    `import fanio, { sleep, settle, FanioError } from 'fanio';
     const rs = await settle([sleep(1, 'esm')]);
     console.log(rs[0].value, fanio.sleep === sleep, typeof FanioError);`,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'esm true function');
});

test('CommonJS and ESM share one module (one addon, one bridge)', async () => {
  const cjs = createRequire(import.meta.url)('../bindings-node/index.js');
  const esm = await import('../bindings-node/index.mjs');
  assert.equal(cjs.settle, esm.settle);
  assert.ok(esm.sleep(1) instanceof cjs.Op);
});

test('a pending op keeps Node alive until it settles; an idle bridge does not', () => {
  const t0 = performance.now();
  const r = node(['-e', `require('fanio').sleep(300, 'kept alive').then(console.log)`]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'kept alive');
  assert.ok(performance.now() - t0 >= 300);
  const idle = node([
    '-e',
    `const f = require('fanio');
     f.settle([f.sleep(1), f.sleep(2)], { onProgress() {} }).then(() => f.sleep(0)).then(() => console.log('done'));`,
  ]);
  assert.equal(idle.status, 0, idle.stderr);
  assert.equal(idle.stdout.trim(), 'done');
  assert.equal(idle.stderr, '');
});

test('the typings pass tsc --noEmit --strict on examples/typed_usage.ts', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = node([tsc, '--noEmit', '--strict', '-p', 'examples/tsconfig.json']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('worker threads get their own bridge and op table beside the main thread', async () => {
  const { Worker } = await import('node:worker_threads');
  const { connect, settle, sleep } = await import('../bindings-node/index.mjs');
  // Queries are native ops held by index in a per-environment table: both threads make
  // and run them at once, and each gets its own values back.
  const code = `
    const { parentPort } = require('node:worker_threads');
    const f = require(${JSON.stringify(`${root}bindings-node/index.js`)});
    (async () => {
      const db = await f.connect('sqlite::memory:');
      const batch = await f.settle(Array.from({ length: 100 }, (_, i) => f.sleep(i % 5, i)), { limit: 10 });
      const queries = await f.settle(Array.from({ length: 200 }, (_, i) => db.fetchVal('SELECT ? * 2', [i])), { limit: 8 });
      const single = await Promise.all([f.sleep(1, 'a'), f.sleep(0, 'b'), db.fetchVal("SELECT 'w'")]);
      await db.close();
      parentPort.postMessage({ sum: batch.reduce((s, r) => s + r.value, 0), queries: queries.reduce((s, r) => s + r.value, 0), single });
    })();
  `;
  const worker = new Worker(code, { eval: true });
  const fromWorker = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const db = await connect('sqlite::memory:');
  const here = await settle(
    Array.from({ length: 100 }, (_, i) => sleep(i % 3, i)),
    { limit: 7 },
  );
  const queries = await settle(
    Array.from({ length: 200 }, (_, i) => db.fetchVal('SELECT ? + 1', [i])),
    { limit: 8 },
  );
  await db.close();
  const there = await fromWorker;
  await worker.terminate();
  assert.equal(
    here.reduce((s, r) => s + r.value, 0),
    4950,
  );
  assert.equal(
    queries.reduce((s, r) => s + r.value, 0),
    19_900 + 200,
  );
  assert.deepStrictEqual(there, { sum: 4950, queries: 2 * 19_900, single: ['a', 'b', 'w'] });
});
