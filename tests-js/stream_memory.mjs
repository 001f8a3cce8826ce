// Child process of stream.test.mjs: streams N native sleep(0) ops through asSettled
// and prints how many came back and the peak RSS.
import { readFileSync } from 'node:fs';

import { asSettled, sleep } from '../bindings-node/index.mjs';

/** Peak RSS of this process image: VmHWM (ru_maxrss would carry over the RSS of the
 * parent that forked us, as it survives execve). */
function peakRssMb() {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1];
    return Number(kb) / 1024;
  } catch {
    return process.resourceUsage().maxRSS / 1024;
  }
}

const n = Number(process.argv[2] ?? 1_000_000);
const limit = Number(process.argv[3] ?? 256);
function* ops() {
  for (let i = 0; i < n; i++) yield sleep(0, i);
}
let count = 0;
for await (const r of asSettled(ops(), { limit })) {
  if (r.status === 'fulfilled') count++;
}
console.log(JSON.stringify({ count, maxRssMb: peakRssMb() }));
