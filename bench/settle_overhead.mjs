// What fanio's fan-out costs per task against p-map and p-limit, in one run:
// 100,000 trivial host functions and 100,000 native sleep(0) ops at limit 100.
// `--quick` runs 5,000 of each (a smoke run for CI).
import pLimit from 'p-limit';
import pMap from 'p-map';

import { settle, sleep } from '../bindings-node/index.mjs';

const quick = process.argv.includes('--quick');
const N = quick ? 5_000 : 100_000;
const LIMIT = 100;
const ROUNDS = quick ? 1 : 3;

const trivial = () => new Promise((resolve) => setImmediate(resolve));

async function time(fn) {
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const tasks = Array.from({ length: N }, () => trivial);
const results = {
  'p-map (host functions)': await time(() => pMap(tasks, (t) => t(), { concurrency: LIMIT })),
  'p-limit (host functions)': await time(() => {
    const limit = pLimit(LIMIT);
    return Promise.all(tasks.map((t) => limit(t)));
  }),
  'fanio.settle (host functions)': await time(() => settle(tasks, { limit: LIMIT })),
  'fanio.settle (native sleep(0) ops)': await time(() =>
    settle(
      Array.from({ length: N }, () => sleep(0)),
      { limit: LIMIT },
    ),
  ),
};

const pmap = results['p-map (host functions)'];
const plimit = results['p-limit (host functions)'];
console.log(`${N} tasks, limit ${LIMIT}, best of ${ROUNDS}`);
for (const [name, ms] of Object.entries(results)) {
  console.log(
    `${name.padEnd(38)} ${ms.toFixed(1).padStart(8)} ms  ${((ms * 1000) / N).toFixed(2).padStart(6)} us/task` +
      `  x${(ms / pmap).toFixed(2)} p-map  x${(ms / plimit).toFixed(2)} p-limit`,
  );
}
