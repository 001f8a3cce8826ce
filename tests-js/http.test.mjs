// The Node HTTP client against the real testbed server: batches, real connection caps,
// cancellation that closes sockets, close semantics, fetchAll, streaming, the Response
// API and argument checks that fail before any I/O.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { inspect } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';

import { Client, FanioError, Response, asSettled, opStats, resetOpStats, settle } from '../bindings-node/index.mjs';
import { until } from './helpers.mjs';
import { connections, resetConnections, startTestbed } from './testbed.mjs';

let bed;
before(async () => {
  bed = await startTestbed();
});
after(() => bed?.close());

const url = (path) => `${bed.http}${path}`;

/** A client closed when the test ends (Node 20 has no `await using`). */
function open(t, options) {
  const client = new Client(options);
  t.after(() => client.close());
  return client;
}

/** Waits until no connection is open (earlier tests' clients closed theirs), then
 * starts the server's counters over. */
async function freshCounters() {
  await serverUntil((c) => c.open === 0);
  return resetConnections(bed.http);
}

/** Polls the server's counters until `check(counters)` holds. */
async function serverUntil(check, ms = 5000) {
  const end = performance.now() + ms;
  for (;;) {
    const c = await connections(bed.http);
    if (check(c)) return c;
    if (performance.now() > end) assert.fail(`server counters never matched: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('batches and connection caps', () => {
  test('a native batch of 2,000 requests is all fulfilled', async (t) => {
    const client = open(t);
    const ops = Array.from({ length: 2000 }, (_, i) => client.get(url(`/bytes/${i % 50}`)));
    const results = await settle(ops, { limit: 64 });
    assert.equal(results.length, 2000);
    assert.ok(results.every((r) => r.status === 'fulfilled'));
    results.forEach((r, i) => {
      assert.equal(r.value.status, 200);
      assert.equal(r.value.content.length, i % 50);
    });
    assert.equal(opStats().running, 0);
  });

  test('maxConnectionsPerHost 4 never opens a fifth connection', async (t) => {
    const client = open(t, { maxConnectionsPerHost: 4 });
    await freshCounters();
    const results = await settle(Array.from({ length: 100 }, () => client.get(url('/slow?delay_ms=5'))));
    assert.ok(results.every((r) => r.status === 'fulfilled' && r.value.status === 200));
    const c = await connections(bed.http);
    assert.ok(c.peak <= 4, `peak ${c.peak}`);
    assert.ok(c.peak >= 1 && c.total >= 1);
  });
});

describe('cancellation and close', () => {
  test('aborting a request mid-flight closes its socket and drops its future', async (t) => {
    const client = open(t);
    await freshCounters();
    const controller = new AbortController();
    const pending = client.get(url('/never'), { signal: controller.signal });
    const outcome = assert.rejects(pending, (e) => e instanceof FanioError && e.code === 'E_CANCELLED');
    await serverUntil((c) => c.open === 1);
    assert.equal(opStats().running, 1);
    controller.abort();
    await outcome;
    await serverUntil((c) => c.open === 0);
    await until(() => opStats().running === 0);
  });

  test('an op whose signal already fired never starts', async (t) => {
    const client = open(t);
    await freshCounters();
    const op = client.get(url('/bytes/1'), { signal: AbortSignal.abort() });
    await assert.rejects(op, { code: 'E_CANCELLED' });
    assert.equal((await connections(bed.http)).total, 0);
  });

  test('close ends requests in flight with E_CANCELLED and refuses new ones with E_CLOSED', async () => {
    const client = new Client();
    const inFlight = assert.rejects(client.get(url('/never')), { code: 'E_CANCELLED' });
    const made = client.get(url('/bytes/1'));
    await serverUntil((c) => c.open >= 1);
    assert.equal(client.closed, false);
    await client.close();
    assert.equal(client.closed, true);
    await inFlight;
    // An op made before close and awaited after it is cut off as well.
    await assert.rejects(made, { code: 'E_CANCELLED' });
    assert.throws(() => client.get(url('/bytes/1')), { code: 'E_CLOSED' });
    assert.throws(
      () => client.request('POST', url('/echo')),
      (e) => e instanceof FanioError && e.code === 'E_CLOSED',
    );
    await assert.rejects(client.fetchAll([url('/bytes/1')]), { code: 'E_CLOSED' });
    await until(() => opStats().running === 0);
  });

  test('Symbol.asyncDispose (what `await using` calls) closes the client', async () => {
    const client = new Client();
    assert.equal((await client.get(url('/bytes/3'))).status, 200);
    await client[Symbol.asyncDispose]();
    assert.equal(client.closed, true);
    assert.throws(() => client.get(url('/bytes/1')), { code: 'E_CLOSED' });
  });
});

describe('fetchAll and asSettled', () => {
  test('fetchAll takes URLs and objects and settles like Promise.allSettled', async (t) => {
    const client = open(t, { baseUrl: bed.http });
    const results = await client.fetchAll([
      '/bytes/7',
      new URL(url('/status/404')),
      { url: '/status/500', errorForStatus: true },
      { method: 'POST', url: '/echo', json: { a: [1, 2] } },
      { method: 'put', url: '/echo', content: Buffer.from('xyz'), headers: { 'x-k': 'v' } },
    ]);
    assert.equal(results.length, 5);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    );
    assert.equal(results[0].value.content.length, 7);
    assert.equal(results[1].value.status, 404);
    assert.equal(results[2].reason.code, 'E_HTTP_STATUS');
    assert.equal(results[2].reason.status, 500);
    assert.ok(results[2].reason instanceof FanioError);
    assert.deepEqual(Object.keys(results[2]), ['status', 'reason']);
    assert.deepEqual(Object.keys(results[0]), ['status', 'value']);
    const echoed = results[3].value.json();
    assert.equal(echoed.method, 'POST');
    assert.deepEqual(JSON.parse(echoed.body), { a: [1, 2] });
    const put = results[4].value.json();
    assert.equal(put.method, 'PUT');
    assert.equal(put.body, 'xyz');
    assert.ok(put.headers.some(([n, v]) => n === 'x-k' && v === 'v'));
  });

  test('fetchAll respects its limit', async (t) => {
    const client = open(t);
    await freshCounters();
    resetOpStats();
    const results = await client.fetchAll(
      Array.from({ length: 40 }, () => url('/slow?delay_ms=20')),
      { limit: 5 },
    );
    assert.ok(results.every((r) => r.status === 'fulfilled'));
    const { peak } = opStats();
    assert.ok(peak <= 5 && peak >= 2, `op peak ${peak}`);
    const c = await connections(bed.http);
    assert.ok(c.peak <= 5, `connection peak ${c.peak}`);
  });

  test('fetchAll failFast cuts off the rest at the first failure', async (t) => {
    const client = open(t);
    const started = performance.now();
    const results = await client.fetchAll(
      [{ url: url('/status/404'), errorForStatus: true }, ...Array.from({ length: 10 }, () => url('/never'))],
      { failFast: true },
    );
    assert.ok(performance.now() - started < 10_000);
    assert.equal(results[0].reason.code, 'E_HTTP_STATUS');
    assert.ok(results.slice(1).every((r) => r.status === 'rejected' && r.reason.code === 'E_CANCELLED'));
    await until(() => opStats().running === 0);
  });

  test('fetchAll rejects bad items before sending anything', async (t) => {
    const client = open(t);
    await freshCounters();
    await assert.rejects(client.fetchAll([url('/bytes/1'), 42]), { code: 'E_INVALID_ARGUMENT' });
    await assert.rejects(client.fetchAll([{ url: url('/bytes/1'), bogus: 1 }]), { code: 'E_INVALID_ARGUMENT' });
    await assert.rejects(client.fetchAll([{ url: 'not a url' }]), { code: 'E_INVALID_ARGUMENT' });
    await assert.rejects(client.fetchAll('http://x/'), { code: 'E_INVALID_ARGUMENT' });
    await assert.rejects(client.fetchAll([url('/bytes/1')], { limit: 0 }), { code: 'E_INVALID_ARGUMENT' });
    assert.equal((await connections(bed.http)).total, 0);
  });

  test('asSettled streams request outcomes as they complete', async (t) => {
    const client = open(t);
    const paths = ['/slow?delay_ms=300', '/bytes/2', '/status/404', '/slow?delay_ms=100'];
    const seen = [];
    for await (const item of asSettled(
      paths.map((p) => client.get(url(p), { errorForStatus: p.includes('404') })),
      { limit: 4 },
    )) {
      seen.push(item);
    }
    assert.equal(seen.length, 4);
    assert.deepEqual(seen.map((s) => s.index).sort(), [0, 1, 2, 3]);
    assert.equal(seen.at(-1).index, 0);
    const byIndex = Object.fromEntries(seen.map((s) => [s.index, s]));
    assert.equal(byIndex[1].value.content.toString(), 'ab');
    assert.equal(byIndex[2].reason.code, 'E_HTTP_STATUS');
    assert.equal(byIndex[3].value.text(), 'ok');
  });
});

describe('streaming', () => {
  test('chunks come in order and the body ends', async (t) => {
    const client = open(t);
    const res = await client.stream('GET', url('/stream/5?size=100&delay_ms=5'));
    assert.ok(res instanceof Response);
    assert.equal(res.status, 200);
    assert.equal(res.content.length, 0);
    const chunks = [];
    for await (const chunk of res.body) {
      assert.ok(Buffer.isBuffer(chunk));
      chunks.push(chunk);
    }
    const all = Buffer.concat(chunks);
    assert.equal(all.length, 500);
    const one = Buffer.from(Array.from({ length: 100 }, (_, i) => 97 + (i % 26)));
    for (let k = 0; k < 5; k++) assert.deepEqual(all.subarray(100 * k, 100 * (k + 1)), one);
    await res.close();
  });

  test('ReadableStream.from(res.body) reads the whole body', async (t) => {
    const client = open(t);
    const res = await client.stream('GET', url('/stream/3?size=64'));
    let total = 0;
    for await (const chunk of ReadableStream.from(res.body)) total += chunk.length;
    assert.equal(total, 192);
  });

  test('leaving the loop early releases the connection', async (t) => {
    const client = open(t, { maxConnectionsPerHost: 1, timeout: 5000 });
    const res = await client.stream('GET', url('/stream/1000?size=1000&delay_ms=20'));
    let n = 0;
    for await (const chunk of res.body) {
      assert.equal(chunk.length, 1000);
      if (++n === 2) break;
    }
    assert.equal(n, 2);
    // With one connection allowed, this succeeds only if the stream let its slot go.
    const next = await client.get(url('/bytes/10'));
    assert.equal(next.content.length, 10);
    await assert.rejects(res.body.next(), { code: 'E_CLOSED' });
  });

  test('close() releases an unread body; the signal stops a body read', async (t) => {
    const client = open(t, { maxConnectionsPerHost: 1, timeout: 5000 });
    const res = await client.stream('GET', url('/stream/100?delay_ms=50'));
    await res.close();
    assert.equal((await client.get(url('/bytes/4'))).status, 200);

    const controller = new AbortController();
    const streamed = await client.stream('GET', url('/stream/100?delay_ms=1000'), { signal: controller.signal });
    const reading = (async () => {
      for await (const chunk of streamed.body) void chunk;
    })();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(reading, { code: 'E_CANCELLED' });
    assert.equal((await client.get(url('/bytes/4'))).status, 200);
    await until(() => opStats().running === 0);
  });
});

describe('collection', () => {
  test('an unread streamed body is released when its response is collected', async (t) => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    const client = open(t, { maxConnectionsPerHost: 1, timeout: 10_000 });
    await (async () => {
      const res = await client.stream('GET', url('/stream/1000?delay_ms=50'));
      assert.equal(res.status, 200);
    })();
    // The only connection allowed is held by the forgotten stream until it is collected.
    let done = false;
    const next = client.get(url('/bytes/4')).then((r) => {
      done = true;
      return r;
    });
    for (let i = 0; i < 100 && !done; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await next).status, 200);
  });
});

describe('Response', () => {
  test('fields, headers, text, json and raiseForStatus', async (t) => {
    const client = open(t);
    const res = await client.get(url('/cookies/set?a=1&b=2'));
    assert.ok(res instanceof Response);
    assert.equal(res.status, 200);
    assert.equal(res.reason, 'OK');
    assert.equal(res.url, url('/cookies/set?a=1&b=2'));
    assert.equal(res.httpVersion, 'HTTP/1.1');
    assert.equal(res.attempts, 1);
    assert.ok(res.elapsed > 0 && res.elapsed < 5000);
    assert.equal(res.headers.getAll('Set-Cookie').length, 2);
    assert.equal(res.headers.get('SET-COOKIE'), res.headers.getAll('set-cookie').join(', '));
    assert.ok(res.headers.has('set-cookie'));
    assert.equal(res.headers.has('x-missing'), false);
    assert.equal(res.headers.get('x-missing'), null);
    assert.deepEqual(res.headers.getAll('x-missing'), []);
    const entries = [...res.headers];
    assert.deepEqual(entries, [...res.headers.entries()]);
    assert.equal(entries.filter(([n]) => n === 'set-cookie').length, 2);
    assert.ok(entries.every(([n]) => n === n.toLowerCase()));
    assert.equal(res.headers, res.headers, 'the headers view is built once');
    assert.equal(res.raiseForStatus(), res);

    const json = await client.get(url('/json'));
    assert.ok(Buffer.isBuffer(json.content));
    assert.equal(json.content, json.content, 'the body is copied out once');
    assert.equal(json.json().raw_unicode, 'naïve ☕');
    assert.equal(typeof json.text(), 'string');
    assert.deepEqual(JSON.parse(json.text()), json.json());
    const bad = await client.get(url('/json/bad'));
    assert.throws(
      () => bad.json(),
      (e) => e instanceof FanioError && e.code === 'E_DECODE' && e.url === url('/json/bad'),
    );

    const missing = await client.get(url('/status/404'));
    assert.throws(
      () => missing.raiseForStatus(),
      (e) => e instanceof FanioError && e.code === 'E_HTTP_STATUS' && e.status === 404 && e.url === url('/status/404'),
    );
    // Each part of the body arrives once, also for a read body.
    const parts = [];
    for await (const part of json.body) parts.push(part);
    assert.deepEqual(Buffer.concat(parts), json.content);
  });

  test('a request op is lazy: nothing is sent until it is awaited', async (t) => {
    const client = open(t);
    await freshCounters();
    const op = client.get(url('/bytes/1'));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await connections(bed.http)).total, 0);
    assert.equal((await op).status, 200);
    assert.equal((await connections(bed.http)).total, 1);
  });
});

describe('argument checks', () => {
  test('every wrong type throws E_INVALID_ARGUMENT before any I/O', async (t) => {
    await freshCounters();
    const bad = [
      () => new Client(42),
      () => new Client({ timeout: '10' }),
      () => new Client({ timeout: -1 }),
      () => new Client({ maxConnections: 1.5 }),
      () => new Client({ maxConnectionsPerHost: 0 }),
      () => new Client({ http2: 'sometimes' }),
      () => new Client({ http2: 2 }),
      () => new Client({ followRedirects: 'yes' }),
      () => new Client({ headers: 'x: y' }),
      () => new Client({ headers: [['x']] }),
      () => new Client({ headers: { x: {} } }),
      () => new Client({ retry: 3 }),
      () => new Client({ retry: { attempts: '3' } }),
      () => new Client({ retry: { onStatus: ['503'] } }),
      () => new Client({ retry: { onStatus: [70000] } }),
      () => new Client({ retry: { methods: 'GET' } }),
      () => new Client({ retry: { bogus: 1 } }),
      () => new Client({ caCerts: '/nonexistent.pem' }),
      () => new Client({ clientCert: '/nonexistent.pem' }),
      () => new Client({ proxy: 'ftp://x' }),
      () => new Client({ baseUrl: 'nope' }),
      () => new Client({ userAgent: 'a\nb' }),
      () => new Client({ maxResponseSize: -5 }),
      () => new Client({ bogus: true }),
    ];
    for (const make of bad)
      assert.throws(make, (e) => e instanceof FanioError && e.code === 'E_INVALID_ARGUMENT', String(make));

    const client = open(t);
    const u = url('/echo');
    const badRequests = [
      () => client.get(42),
      () => client.get(undefined),
      () => client.request(1, u),
      () => client.request('GE T', u),
      () => client.get(u, 'opts'),
      () => client.get(u, { timeout: '5' }),
      () => client.get(u, { timeout: -1 }),
      () => client.get(u, { timeout: NaN }),
      () => client.get(u, { errorForStatus: 1 }),
      () => client.get(u, { params: 5 }),
      () => client.get(u, { params: { a: Symbol('x') } }),
      () => client.get(u, { headers: [[1, 'x']] }),
      () => client.get(u, { headers: { 'bad name': '1' } }),
      () => client.post(u, { json: 10n }),
      () => client.post(u, { json: () => 1 }),
      () => client.post(u, { content: 5 }),
      () => client.post(u, { content: { a: 1 } }),
      () => client.post(u, { json: 1, form: { a: 1 } }),
      () => client.get(u, { signal: {} }),
      () => client.get(u, { bogus: 1 }),
      () => client.stream(5, u),
      () => client.stream('GET', u, { content: [] }),
    ];
    for (const make of badRequests)
      assert.throws(make, (e) => e instanceof FanioError && e.code === 'E_INVALID_ARGUMENT', String(make));
    const cyclic = {};
    cyclic.self = cyclic;
    assert.throws(() => client.post(u, { json: cyclic }), { code: 'E_INVALID_ARGUMENT' });
    assert.equal((await connections(bed.http)).total, 0, 'nothing reached the server');
  });

  test('every accepted form of headers, params, form and content is sent', async (t) => {
    const client = open(t, { headers: new Headers({ 'x-h': '1' }) });
    const res = await client.post(url('/echo'), {
      params: new URLSearchParams([
        ['a', '1'],
        ['a', '2'],
      ]),
      headers: new Map([['x-m', 'm']]),
      form: { k: ['v1', 'v2'], n: 3, t: true },
    });
    const echo = res.json();
    assert.deepEqual(echo.args, { a: ['1', '2'] });
    assert.equal(echo.body, 'k=v1&k=v2&n=3&t=true');
    assert.ok(echo.headers.some(([n, v]) => n === 'x-h' && v === '1'));
    assert.ok(echo.headers.some(([n, v]) => n === 'x-m' && v === 'm'));
    const bytes = await client.put(url('/echo'), { content: new Uint8Array([104, 105]).subarray(1) });
    assert.equal(bytes.json().body, 'i');
  });
});

describe('proxies', () => {
  test('requests go through a SOCKS5 proxy, and it refuses other hosts', async () => {
    // socks5: the client resolves the host; socks5h: the proxy does ("localhost").
    const port = bed.http.split(':').pop();
    for (const [scheme, host] of [
      ['socks5', '127.0.0.1'],
      ['socks5h', 'localhost'],
    ]) {
      const before = (await connections(bed.http)).proxied;
      const client = new Client({ proxy: bed.socks.replace('socks5', scheme) });
      try {
        const res = await client.get(`http://${host}:${port}/echo`);
        assert.deepEqual([res.status, res.json().proxied], [200, false], scheme);
      } finally {
        await client.close();
      }
      assert.equal((await connections(bed.http)).proxied, before + 1, `${scheme}: one tunnel`);
    }
    const client = new Client({ proxy: bed.socks.replace('socks5', 'socks5h') });
    try {
      await assert.rejects(
        client.get('http://example.invalid/echo'),
        (e) => e instanceof FanioError && e.code === 'E_CONNECT',
      );
    } finally {
      await client.close();
    }
  });
});

describe('secrets, hostile URLs, bounded bodies', () => {
  const SECRET = 'pw5ecret';
  // Every way a password is written into a URL: plain, encoded, with the characters
  // that end an authority unencoded; each with an IPv4 and an IPv6 host.
  const PASSWORDS = [
    SECRET,
    `a%2F${SECRET}`,
    `a%3F${SECRET}`,
    `a%40${SECRET}`,
    `a@${SECRET}`,
    `a/${SECRET}`,
    `a?${SECRET}`,
  ];
  /** Everything an error tells: message, stack, inspection and every own property. */
  const shown = (e) => [e.message, e.stack, inspect(e), JSON.stringify({ ...e })].join(' ');

  test('a password in a request URL never shows in an error', async (t) => {
    const client = open(t);
    let connectErrors = 0;
    for (const password of PASSWORDS) {
      for (const host of ['127.0.0.1:1', '[::1]:1']) {
        let op;
        try {
          op = client.get(`http://user:${password}@${host}/x`);
        } catch (e) {
          assert.equal(e.code, 'E_INVALID_ARGUMENT');
          assert.ok(!shown(e).includes(SECRET), password);
          continue;
        }
        await assert.rejects(op, (e) => {
          assert.equal(e.code, 'E_CONNECT');
          assert.ok(!shown(e).includes(SECRET), password);
          assert.ok(e.url.includes('user:***@'));
          return true;
        });
        connectErrors += 1;
      }
    }
    assert.ok(connectErrors >= 8);
    const status = bed.http.replace('://', `://u:${SECRET}@`);
    await assert.rejects(client.get(`${status}/status/500`, { errorForStatus: true }), (e) => {
      assert.equal(e.status, 500);
      assert.ok(!shown(e).includes(SECRET));
      return true;
    });
  });

  test('a password in a bad proxy or baseUrl never shows', () => {
    for (const password of PASSWORDS) {
      for (const options of [
        { proxy: `http://u:${password}@[::1` },
        { proxy: `ftp://u:${password}@proxy` },
        { proxy: `u:${password}@proxy:3128` },
        { baseUrl: `http://u:${password}@h:port/` },
        { baseUrl: `ftp://u:${password}@h/` },
      ]) {
        assert.throws(
          () => new Client(options),
          (e) => e.code === 'E_INVALID_ARGUMENT' && !shown(e).includes(SECRET),
          JSON.stringify(options),
        );
      }
    }
  });

  test('CR, LF or NUL in a URL, baseUrl or proxy throws E_INVALID_ARGUMENT before any I/O', () => {
    resetOpStats();
    const client = new Client();
    const based = new Client({ baseUrl: 'http://127.0.0.1:1/' });
    for (const path of ['a\r\nX-Injected: 1', 'a?b=1\r\nc', 'a\x00b', 'a\nb']) {
      const invalid = (e) => e.code === 'E_INVALID_ARGUMENT';
      assert.throws(() => client.get(`http://127.0.0.1:1/${path}`), invalid, JSON.stringify(path));
      assert.throws(() => client.stream('GET', `http://127.0.0.1:1/${path}`), invalid, JSON.stringify(path));
      assert.throws(() => based.get(path), invalid, JSON.stringify(path));
    }
    assert.throws(
      () => client.get('http://127.0.\r\n0.1:1/a'),
      (e) => e.code === 'E_INVALID_ARGUMENT',
    );
    for (const options of [
      { baseUrl: 'http://127.0.0.1:1/\r\n' },
      { baseUrl: 'http://1\n27.0.0.1:1/' },
      { proxy: 'http://127.0.0.1:1\r\n' },
      { proxy: 'http://127.0.0.1:1/\x00' },
    ]) {
      assert.throws(
        () => new Client(options),
        (e) => e.code === 'E_INVALID_ARGUMENT',
        JSON.stringify(options),
      );
    }
    assert.equal(opStats().peak, 0);
    client.close();
    based.close();
  });

  test('a gzip bomb stops at the default maxResponseSize while it is decoded', async (t) => {
    const client = open(t, { baseUrl: bed.http });
    // Peak RSS from now on: writing 5 to clear_refs resets VmHWM to the current RSS.
    const status = (field) =>
      Number(readFileSync('/proc/self/status', 'utf8').match(new RegExp(`${field}:\\s+(\\d+)`))[1]);
    globalThis.gc?.();
    writeFileSync('/proc/self/clear_refs', '5');
    const before = status('VmRSS');
    let limit;
    await assert.rejects(client.get('/encoding/gzip/bomb'), (e) => {
      assert.equal(e.code, 'E_BODY_TOO_LARGE');
      limit = e.limit;
      return true;
    });
    const grownMb = (status('VmHWM') - before) / 1024;
    assert.equal(limit, 64 * 1024 * 1024);
    // The bomb expands to 200 MiB: held whole, the peak would grow by more than that.
    assert.ok(grownMb < (2 * limit) / 2 ** 20, `peak RSS grew ${grownMb.toFixed(0)} MB`);
  });

  test('maxResponseSize can be raised or lifted (null); streams are bounded only when it is given', async (t) => {
    const past = 64 * 1024 * 1024 + 1;
    const byDefault = open(t, { baseUrl: bed.http });
    await assert.rejects(byDefault.get(`/bytes/${past}`), (e) => e.code === 'E_BODY_TOO_LARGE');
    let read = 0;
    for await (const chunk of (await byDefault.stream('GET', `/bytes/${past}`)).body) read += chunk.length;
    assert.equal(read, past);
    for (const maxResponseSize of [null, past]) {
      const client = open(t, { baseUrl: bed.http, maxResponseSize });
      assert.equal((await client.get(`/bytes/${past}`)).content.length, past, String(maxResponseSize));
    }
    const small = open(t, { baseUrl: bed.http, maxResponseSize: 1000 });
    const res = await small.stream('GET', '/bytes/5000');
    await assert.rejects(
      (async () => {
        for await (const _ of res.body);
      })(),
      (e) => e.code === 'E_BODY_TOO_LARGE',
    );
  });

  test('a malformed chunked body is E_PROTOCOL', async (t) => {
    const client = open(t);
    await assert.rejects(client.get(url('/bad-chunking')), (e) => {
      assert.equal(e.code, 'E_PROTOCOL');
      assert.ok(e.url.endsWith('/bad-chunking'));
      return true;
    });
  });

  test('close closes every pooled socket at once', async () => {
    await freshCounters();
    const client = new Client({ baseUrl: bed.http });
    const results = await settle(Array.from({ length: 20 }, () => client.get('/slow?delay_ms=50')));
    assert.ok(results.every((r) => r.status === 'fulfilled'));
    assert.equal((await connections(bed.http)).open, 20);
    // An op made but never run still holds the client: close must not wait for it.
    const kept = client.get('/bytes/1');
    await client.close();
    await serverUntil((c) => c.open === 0);
    assert.ok(kept);
  });
});
