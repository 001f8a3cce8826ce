// Runs every scenario of tests-spec/http.json (the shared truth of what a request does;
// tests-py runs the same file) against the real testbed server.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { Client, opStats } from '../bindings-node/index.mjs';
import { startTestbed } from './testbed.mjs';

const SPEC = JSON.parse(readFileSync(new URL('../tests-spec/http.json', import.meta.url), 'utf8'));

let bed;
before(async () => {
  bed = await startTestbed();
});
after(() => bed?.close());

const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

let uniques = 0;

/** Replaces the placeholders in every string of `v` (longest names first: $https before $http). */
function fill(v, unique) {
  if (typeof v === 'string') {
    return v.replace(
      /\$(https|http|mtls|proxy|other_ca_pem|ca_pem|client_cert|client_key|closed|unique)/g,
      (_, name) => {
        if (name === 'closed') return 'http://127.0.0.1:1';
        if (name === 'unique') return unique;
        return bed[name];
      },
    );
  }
  if (Array.isArray(v)) return v.map((x) => fill(x, unique));
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, unique)]));
  return v;
}

/** Client options in Node's words: camelCase (retry's keys too); durations are ms already. */
function clientOptions(spec) {
  const o = {};
  for (const [k, v] of Object.entries(spec ?? {})) {
    o[camel(k)] = k === 'retry' ? Object.fromEntries(Object.entries(v).map(([rk, rv]) => [camel(rk), rv])) : v;
  }
  return o;
}

function requestOptions(r) {
  const o = {};
  for (const k of ['params', 'headers', 'json', 'form', 'content', 'timeout', 'error_for_status']) {
    if (k in r) o[camel(k)] = r[k];
  }
  return o;
}

/** The first value of `name` among the echoed [name, value] pairs. */
function echoed(echo, name) {
  const pair = echo.headers.find(([n]) => n === name.toLowerCase());
  return pair?.[1];
}

function checkEcho(res, want) {
  const echo = res.json();
  for (const [key, value] of Object.entries(want)) {
    if (key === 'headers') {
      for (const [name, v] of Object.entries(value)) assert.equal(echoed(echo, name), v, `echoed header ${name}`);
    } else if (key === 'header_prefix') {
      for (const [name, prefix] of Object.entries(value))
        assert.ok(echoed(echo, name)?.startsWith(prefix), `echoed header ${name}`);
    } else if (key === 'json_body') {
      assert.deepEqual(JSON.parse(echo.body), value);
    } else {
      assert.deepEqual(echo[key], value, `echo.${key}`);
    }
  }
}

function checkResponse(res, want) {
  for (const [key, value] of Object.entries(want)) {
    switch (key) {
      case 'status':
      case 'reason':
      case 'url':
      case 'attempts':
        assert.equal(res[key], value, key);
        break;
      case 'http_version':
        assert.equal(res.httpVersion, value);
        break;
      case 'body_len':
        assert.equal(res.content.length, value);
        break;
      case 'text':
        assert.equal(res.text(), value);
        break;
      case 'json':
        assert.deepEqual(res.json(), value);
        break;
      case 'json_has': {
        const doc = res.json();
        for (const [k, v] of Object.entries(value)) assert.deepEqual(doc[k], v, `json.${k}`);
        break;
      }
      case 'text_error':
        assert.throws(() => res.text(), { code: value });
        break;
      case 'json_error':
        assert.throws(() => res.json(), { code: value });
        break;
      case 'headers':
        for (const [name, v] of Object.entries(value)) assert.equal(res.headers.getAll(name)[0], v, `header ${name}`);
        break;
      case 'header_all':
        for (const [name, n] of Object.entries(value))
          assert.equal(res.headers.getAll(name).length, n, `header ${name}`);
        break;
      case 'echo':
        checkEcho(res, value);
        break;
      default:
        assert.fail(`unknown expectation ${key}`);
    }
  }
}

function checkError(e, want) {
  if (want.code_in) assert.ok(want.code_in.includes(e.code), `${e.code} not in ${want.code_in}`);
  else assert.equal(e.code, want.code);
  for (const [name, value] of Object.entries(want.fields ?? {})) assert.equal(e[name], value, `error field ${name}`);
  return true;
}

describe('tests-spec/http.json', () => {
  for (const raw of SPEC.scenarios) {
    test(raw.name, async () => {
      const scenario = fill(raw, `js-${process.pid}-${Date.now()}-${uniques++}`);
      const options = clientOptions(scenario.client);
      if (scenario.expect_client_error) {
        assert.throws(() => new Client(options), { code: scenario.expect_client_error });
        return;
      }
      const client = new Client(options);
      const started = performance.now();
      try {
        for (const r of scenario.requests) {
          const make = () => client.request(r.method, r.url, requestOptions(r));
          if (r.expect_error) {
            if (scenario.before_io) assert.throws(make, (e) => checkError(e, r.expect_error));
            else
              await assert.rejects(
                async () => make(),
                (e) => checkError(e, r.expect_error),
              );
          } else {
            const res = await make();
            checkResponse(res, r.expect ?? {});
          }
        }
      } finally {
        await client.close();
      }
      if (scenario.min_elapsed_ms) assert.ok(performance.now() - started >= scenario.min_elapsed_ms);
      assert.equal(opStats().running, 0);
    });
  }
});
