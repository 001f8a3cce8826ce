// Runs the prebuilt testbed server (crate `testbed/`) for the node:test files. Nothing
// is built here: the binary comes from env FANIO_TESTBED or target/release/testbed
// (`cargo build --release -p testbed`). The server exits when its stdin closes, so a
// test process that dies never leaves it behind.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export function binaryPath() {
  return process.env.FANIO_TESTBED || `${ROOT}target/release/testbed`;
}

/**
 * Starts the testbed. Resolves to `{http, https, mtls, proxy, socks, pg_tls,
 * pg_tls_other_name, ca_pem, client_cert, client_key, other_ca_pem, close()}`; `close()` resolves once the server exited.
 */
export async function startTestbed({ threads = 1 } = {}) {
  const binary = binaryPath();
  if (!existsSync(binary)) {
    throw new Error(`${binary} not found: run \`cargo build --release -p testbed\` or set FANIO_TESTBED`);
  }
  const child = spawn(binary, ['--threads', String(threads)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const lines = createInterface({ input: child.stdout });
  const line = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('error', reject);
    exited.then((code) => reject(new Error(`testbed exited before printing its URLs (code ${code})`)));
  });
  lines.close();
  // A forgotten close() must not keep Node alive: when Node exits, the pipe closes and
  // the server stops by itself.
  child.unref();
  child.stdin.unref?.();
  child.stdout.unref?.();
  const urls = JSON.parse(line);
  return {
    ...urls,
    close() {
      if (child.exitCode === null && child.signalCode === null) child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      return exited.finally(() => clearTimeout(timer));
    },
  };
}

function control(url, method) {
  return new Promise((resolve, reject) => {
    // agent: false opens a fresh connection whose first request is to /__connections,
    // so the server leaves it out of every number it reports.
    const req = http.request(url, { method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** `{open, total, peak, pending, proxied}` from GET /__connections (all listeners). */
export function connections(baseUrl) {
  return control(`${baseUrl.replace(/\/$/, '')}/__connections`, 'GET');
}

/** POST /__connections/reset: total, peak and proxied start over; resolves the counters. */
export function resetConnections(baseUrl) {
  return control(`${baseUrl.replace(/\/$/, '')}/__connections/reset`, 'POST');
}
