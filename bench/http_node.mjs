// HTTP throughput and latency against the testbed (started with --threads 1): 20,000 GETs
// of /bytes/1024, 64 in flight, HTTP/1.1 keep-alive, through fanio's native batch,
// undici's request with p-limit(64) on a 64-connection Pool, and global fetch with
// p-limit(64); wrk -c64 -t1 as the ceiling when it is installed. Then p50/p99 of 2,000
// sequential awaits (fanio, undici). Each contender runs in its own process so its peak
// RSS is its own. `--quick`: tiny counts, no wrk (CI smoke).
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const N = quick ? 500 : 20_000;
const SEQ = quick ? 200 : 2_000;
const IN_FLIGHT = 64;
/** Host functions among the GETs of the mixed batch. */
const MIXED_HOST = 100;
const PATH = '/bytes/1024';
const self = fileURLToPath(import.meta.url);

/** One contender, in this (child) process: prints `{seconds, ok, extra}` as JSON. */
async function contender(name, base) {
  const target = `${base}${PATH}`;
  const out = { name };
  if (name === 'fanio' || name === 'fanio-seq' || name === 'fanio-mixed') {
    const { Client, settle } = await import('../bindings-node/index.mjs');
    const native = createRequire(import.meta.url)('../bindings-node/native.js');
    const client = new Client({ http2: 'never' });
    await settle(
      Array.from({ length: 200 }, () => client.get(target)),
      { limit: IN_FLIGHT },
    );
    if (name === 'fanio') {
      // Times the one crossing that turns the batch's outcomes into JS objects.
      const take = native.takeBatch;
      let takeMs = 0;
      native.takeBatch = (...args) => {
        const t = performance.now();
        try {
          return take(...args);
        } finally {
          takeMs += performance.now() - t;
        }
      };
      const t0 = performance.now();
      const ops = Array.from({ length: N }, () => client.get(target));
      const made = performance.now();
      const results = await settle(ops, { limit: IN_FLIGHT });
      out.seconds = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      let bytes = 0;
      for (const r of results) if (r.status === 'fulfilled' && r.value.status === 200) bytes += r.value.content.length;
      out.ok = bytes === N * 1024 ? N : -1;
      out.makeMs = made - t0;
      out.takeMs = takeMs;
      out.readMs = performance.now() - t1;
    } else if (name === 'fanio-mixed') {
      // The same GETs with MIXED_HOST async functions among them: a host-driven batch
      // whose GETs still run in Rust.
      const every = Math.max(Math.floor(N / MIXED_HOST), 1);
      const tasks = [];
      for (let i = 0; i < N; i++) {
        tasks.push(client.get(target));
        if (i % every === 0) tasks.push(async () => 0);
      }
      const t0 = performance.now();
      const results = await settle(tasks, { limit: IN_FLIGHT });
      out.seconds = (performance.now() - t0) / 1000;
      let bytes = 0;
      for (const r of results) if (r.status === 'fulfilled' && r.value !== 0) bytes += r.value.content.length;
      out.ok = bytes === N * 1024 ? N : -1;
    } else {
      out.latencies = [];
      for (let i = 0; i < SEQ; i++) {
        const t = performance.now();
        const r = await client.get(target);
        if (r.content.length !== 1024) throw new Error('short body');
        out.latencies.push(performance.now() - t);
      }
    }
    await client.close();
  } else if (name === 'undici' || name === 'undici-seq') {
    const { Pool } = await import('undici');
    const pool = new Pool(base, { connections: IN_FLIGHT });
    const get = async () => {
      const { statusCode, body } = await pool.request({ path: PATH, method: 'GET' });
      const buf = Buffer.from(await body.arrayBuffer());
      return statusCode === 200 && buf.length === 1024;
    };
    if (name === 'undici') {
      const pLimit = (await import('p-limit')).default;
      const limit = pLimit(IN_FLIGHT);
      await Promise.all(Array.from({ length: 200 }, () => limit(get)));
      const t0 = performance.now();
      const oks = await Promise.all(Array.from({ length: N }, () => limit(get)));
      out.seconds = (performance.now() - t0) / 1000;
      out.ok = oks.filter(Boolean).length;
    } else {
      await get();
      out.latencies = [];
      for (let i = 0; i < SEQ; i++) {
        const t = performance.now();
        if (!(await get())) throw new Error('bad response');
        out.latencies.push(performance.now() - t);
      }
    }
    await pool.close();
  } else if (name === 'fetch') {
    const pLimit = (await import('p-limit')).default;
    const limit = pLimit(IN_FLIGHT);
    const get = async () => {
      const res = await fetch(target);
      return res.status === 200 && (await res.arrayBuffer()).byteLength === 1024;
    };
    await Promise.all(Array.from({ length: 200 }, () => limit(get)));
    const t0 = performance.now();
    const oks = await Promise.all(Array.from({ length: N }, () => limit(get)));
    out.seconds = (performance.now() - t0) / 1000;
    out.ok = oks.filter(Boolean).length;
  }
  out.peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runChild(name, base) {
  const r = spawnSync(process.execPath, [self, '--contender', name, base, ...(quick ? ['--quick'] : [])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`${name} failed (exit ${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

function wrk(base) {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (e) {
    // wrk exits 1 after printing its version; only a missing binary means no wrk.
    if (e.code === 'ENOENT') return null;
  }
  const text = execFileSync('wrk', ['-c64', '-t1', '-d5s', `${base}${PATH}`], { encoding: 'utf8' });
  const m = text.match(/Requests\/sec:\s+([\d.]+)/);
  return m ? Number(m[1]) : null;
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function main() {
  const { startTestbed } = await import('../tests-js/testbed.mjs');
  const bed = await startTestbed({ threads: 1 });
  try {
    const rows = [];
    for (const name of ['fanio', 'fanio-mixed', 'undici', 'fetch']) {
      const r = runChild(name, bed.http);
      if (r.ok !== N) throw new Error(`${name}: ${r.ok} of ${N} requests succeeded`);
      rows.push({ name, rps: N / r.seconds, rss: r.peakRssMb, r });
    }
    const ceiling = quick ? null : wrk(bed.http);
    const fanio = rows[0].rps;
    console.log(`${N} x GET ${PATH}, ${IN_FLIGHT} in flight, HTTP/1.1 keep-alive, testbed --threads 1`);
    console.log('contender                       req/s   peak RSS   fanio/x');
    for (const { name, rps, rss } of rows) {
      const label = {
        fanio: 'fanio settle(limit 64)',
        'fanio-mixed': 'fanio settle(+100 functions)',
        undici: 'undici Pool(64) + p-limit',
        fetch: 'fetch + p-limit',
      }[name];
      console.log(
        `${label.padEnd(28)} ${rps.toFixed(0).padStart(8)} ${rss.toFixed(0).padStart(7)} MB   ${(fanio / rps).toFixed(2)}`,
      );
    }
    if (ceiling !== null)
      console.log(
        `${'wrk -c64 -t1 (ceiling)'.padEnd(28)} ${ceiling.toFixed(0).padStart(8)}         -    ${(fanio / ceiling).toFixed(2)}`,
      );
    else if (!quick) console.log('wrk not installed: no ceiling');
    const f = rows[0].r;
    console.log(
      `fanio: making ${N} ops ${f.makeMs.toFixed(1)} ms; turning ${N} outcomes into JS ${f.takeMs.toFixed(1)} ms; ` +
        `reading status+content of all ${f.readMs.toFixed(1)} ms; the whole batch ${(f.seconds * 1000).toFixed(0)} ms`,
    );
    console.log(`\nsequential: ${SEQ} awaits of one GET           p50 us    p99 us`);
    const seqRows = ['fanio-seq', 'undici-seq'].map((name) => [name, runChild(name, bed.http).latencies]);
    for (const [name, lat] of seqRows) {
      console.log(
        `${name.padEnd(40)} ${(pct(lat, 50) * 1000).toFixed(0).padStart(7)} ${(pct(lat, 99) * 1000).toFixed(0).padStart(9)}`,
      );
    }
    console.log(`fanio/undici p50: ${(pct(seqRows[0][1], 50) / pct(seqRows[1][1], 50)).toFixed(2)}`);
  } finally {
    await bed.close();
  }
}

const at = process.argv.indexOf('--contender');
if (at >= 0) await contender(process.argv[at + 1], process.argv[at + 2]);
else await main();
