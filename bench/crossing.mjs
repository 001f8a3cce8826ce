// The crossing itself: sleep(0) yields once through the runtime, so one await of it
// is a round trip JS -> tokio -> JS. 5,000 sequential awaits and 20,000 concurrent
// single awaits (Promise.all, not settle), printed per op, beside the floor of this
// machine: an eventfd ping-pong of two threads. `--quick` runs 1/10.
import { createRequire } from 'node:module';

import { sleep } from '../bindings-node/index.mjs';

const native = createRequire(import.meta.url)('../bindings-node/native.js');

const quick = process.argv.includes('--quick');
const SEQ = quick ? 500 : 5_000;
const CONC = quick ? 2_000 : 20_000;
const ROUNDS = quick ? 1 : 5;

async function sequential() {
  const t0 = performance.now();
  for (let i = 0; i < SEQ; i++) await sleep(0);
  return ((performance.now() - t0) * 1000) / SEQ;
}

async function concurrent() {
  const t0 = performance.now();
  const ops = new Array(CONC);
  for (let i = 0; i < CONC; i++) ops[i] = sleep(0, i);
  await Promise.all(ops);
  return ((performance.now() - t0) * 1000) / CONC;
}

await sequential();
await concurrent();
const seq = [];
const conc = [];
for (let r = 0; r < ROUNDS; r++) {
  seq.push(await sequential());
  conc.push(await concurrent());
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pingPong = median(Array.from({ length: ROUNDS }, () => native.benchPingPong(SEQ)));
console.log(`floor:      ${SEQ} x eventfd ping-pong of two threads  median ${pingPong.toFixed(1)} us/round trip`);
console.log(
  `sequential: ${SEQ} x await sleep(0)      median ${median(seq).toFixed(1)} us/op  best ${Math.min(...seq).toFixed(1)}  x${(median(seq) / pingPong).toFixed(2)} floor`,
);
console.log(
  `concurrent: ${CONC} x sleep(0) in Promise.all  median ${median(conc).toFixed(2)} us/op  best ${Math.min(...conc).toFixed(2)}`,
);
