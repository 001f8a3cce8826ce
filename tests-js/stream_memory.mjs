// Child process of stream.test.mjs: streams N native sleep(0) ops through asSettled
// and prints how many came back and the peak RSS.
import { asSettled, sleep } from '../bindings-node/index.mjs';

const n = Number(process.argv[2] ?? 1_000_000);
const limit = Number(process.argv[3] ?? 256);
function* ops() {
  for (let i = 0; i < n; i++) yield sleep(0, i);
}
let count = 0;
for await (const r of asSettled(ops(), { limit })) {
  if (r.status === 'fulfilled') count++;
}
console.log(JSON.stringify({ count, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
