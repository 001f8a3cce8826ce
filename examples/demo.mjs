// fanio demo: a few thousand mixed sleep/fail ops, a limit, a progress bar (on a
// terminal), then a table of outcomes by status and code and the time taken.
import { fail, settle, sleep } from '../bindings-node/index.mjs';

const N = 3000;
const LIMIT = 200;

// Deterministic mix: mostly sleeps of 0-19 ms, every 7th op fails, a few are slow
// enough to hit the per-op timeout.
const ops = Array.from({ length: N }, (_, i) => {
  if (i % 7 === 3) return fail(i % 11, `op ${i} failed on purpose`);
  if (i % 250 === 0) return sleep(400, i);
  return sleep(i % 20, i);
});

const t0 = performance.now();
const results = await settle(ops, { limit: LIMIT, timeout: 250, progress: true });
const ms = performance.now() - t0;

const table = new Map();
for (const r of results) {
  const key = r.status === 'fulfilled' ? 'fulfilled' : `rejected ${r.reason.code}`;
  table.set(key, (table.get(key) ?? 0) + 1);
}
console.log(`fanio (node): ${N} ops, limit ${LIMIT}, timeout 250 ms`);
console.log('outcome                      count');
for (const [key, count] of [...table].sort()) console.log(`${key.padEnd(28)} ${String(count).padStart(5)}`);
console.log(`took ${ms.toFixed(0)} ms`);
