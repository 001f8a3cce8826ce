// Child process of stream.test.mjs, printing how many ops came back right and the peak
// RSS. `stream N LIMIT`: streams N native sleep(0) ops through asSettled. `unrun N`:
// makes N SQLite queries in chunks and drops them unrun (the addon must let each go
// once its JS op is garbage), then settles fresh ones, whose handles reuse the freed.
import { readFileSync } from 'node:fs';

import { asSettled, connect, settle, sleep } from '../bindings-node/index.mjs';

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

const [mode, n, limit] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] ?? 256)];
let count = 0;
if (mode === 'stream') {
  function* ops() {
    for (let i = 0; i < n; i++) yield sleep(0, i);
  }
  for await (const r of asSettled(ops(), { limit })) {
    if (r.status === 'fulfilled') count++;
  }
} else {
  const db = await connect('sqlite::memory:');
  for (let made = 0; made < n; made += 10_000) {
    const chunk = [];
    for (let i = 0; i < 10_000; i++) chunk.push(db.fetchOne('SELECT ? AS v', [made + i]));
    // Let the registry's cleanup (a task after the collection) run before the next chunk.
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const results = await settle(
    Array.from({ length: 1000 }, (_, i) => db.fetchVal('SELECT ?', [i])),
    { limit: 8 },
  );
  count = results.filter((r, i) => r.status === 'fulfilled' && r.value === i).length;
  await db.close();
}
console.log(JSON.stringify({ count, maxRssMb: peakRssMb() }));
