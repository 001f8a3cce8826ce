'use strict';
// The HTTP client for Node. This file checks argument types (so a wrong type throws
// E_INVALID_ARGUMENT before any I/O, with a message naming the option), flattens
// headers, params and forms into string pairs, and adds the JS-side conveniences to the
// addon's Response class. Every rule about what a request does is the core's.

/** Options a request takes, besides `signal`. */
const REQUEST_KEYS = new Set(['params', 'headers', 'json', 'form', 'content', 'timeout', 'errorForStatus', 'signal']);
/** Keys of a `fetchAll` item given as an object. */
const ITEM_KEYS = new Set([...REQUEST_KEYS, 'method', 'url']);
ITEM_KEYS.delete('signal');

/** Client options by type; `headers` and `retry` are checked on their own. */
const CLIENT_OPTIONS = {
  baseUrl: 'string',
  timeout: 'number',
  connectTimeout: 'number',
  readTimeout: 'number',
  poolMaxIdlePerHost: 'number',
  maxConnections: 'number',
  maxConnectionsPerHost: 'number',
  http2: 'string',
  followRedirects: 'boolean',
  maxRedirects: 'number',
  verify: 'boolean',
  caCerts: 'string',
  clientCert: 'string',
  clientKey: 'string',
  proxy: 'string',
  cookies: 'boolean',
  userAgent: 'string',
  maxResponseSize: 'number',
  errorForStatus: 'boolean',
};
const RETRY_OPTIONS = {
  attempts: 'number',
  backoff: 'number',
  backoffMax: 'number',
  jitter: 'boolean',
  onConnectError: 'boolean',
  respectRetryAfter: 'boolean',
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

const HEADERS = Symbol('headers');
const CONTENT = Symbol('content');
const SIGNAL = Symbol('signal');

module.exports = function install(kit) {
  const { native, nativeOp, invalid, toFanio, describe, settle, FanioError } = kit;

  function isObject(v) {
    return v !== null && typeof v === 'object';
  }

  function checkType(value, type, name) {
    if (typeof value !== type) throw invalid(`${name} must be a ${type}, got ${describe(value)}`);
  }

  function checkKeys(obj, known, what) {
    for (const key in obj) {
      if (!known.has(key) && obj[key] !== undefined) throw invalid(`${what}: unknown option ${JSON.stringify(key)}`);
    }
  }

  function scalar(v, name) {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
    throw invalid(`${name} values must be strings, numbers or booleans, got ${describe(v)}`);
  }

  /** Name/value pairs from a plain object (array values repeat the name), a Headers,
   * URLSearchParams or Map, or an array of [name, value] pairs; flattened for the addon. */
  function flatPairs(v, name) {
    if (v == null) return undefined;
    if (!isObject(v)) {
      throw invalid(
        `${name} must be an object, a Headers, URLSearchParams or Map, or an array of [name, value] pairs, got ${describe(v)}`,
      );
    }
    const out = [];
    const entries = typeof v[Symbol.iterator] === 'function' ? v : Object.entries(v);
    for (const pair of entries) {
      if (!Array.isArray(pair) || pair.length !== 2)
        throw invalid(`${name}: each entry must be a [name, value] pair, got ${describe(pair)}`);
      const [key, value] = pair;
      if (typeof key !== 'string') throw invalid(`${name} names must be strings, got ${describe(key)}`);
      if (Array.isArray(value)) {
        for (const one of value) out.push(key, scalar(one, name));
      } else {
        out.push(key, scalar(value, name));
      }
    }
    return out;
  }

  function bytes(v) {
    if (typeof v === 'string') return Buffer.from(v);
    if (Buffer.isBuffer(v)) return v;
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    throw invalid(`content must be a string, a Buffer or a Uint8Array, got ${describe(v)}`);
  }

  function jsonText(v) {
    let text;
    try {
      text = JSON.stringify(v);
    } catch (e) {
      throw Object.assign(invalid(`json body cannot be serialized: ${e.message}`), { cause: e });
    }
    if (text === undefined) throw invalid(`json body cannot be serialized: ${describe(v)}`);
    return text;
  }

  function checkSignal(signal) {
    if (signal != null && !(signal instanceof AbortSignal))
      throw invalid(`signal must be an AbortSignal, got ${describe(signal)}`);
  }

  /** The addon's view of one request's options (undefined when there are none). */
  function requestConfig(o) {
    if (o.timeout != null) checkType(o.timeout, 'number', 'timeout');
    if (o.errorForStatus != null) checkType(o.errorForStatus, 'boolean', 'errorForStatus');
    return {
      params: flatPairs(o.params, 'params'),
      headers: flatPairs(o.headers, 'headers'),
      json: o.json === undefined || o.json === null ? undefined : jsonText(o.json),
      form: flatPairs(o.form, 'form'),
      content: o.content == null ? undefined : bytes(o.content),
      timeout: o.timeout ?? undefined,
      errorForStatus: o.errorForStatus ?? undefined,
    };
  }

  function checkUrl(url) {
    if (typeof url === 'string') return url;
    if (url instanceof URL) return url.href;
    throw invalid(`url must be a string or a URL, got ${describe(url)}`);
  }

  function clientConfig(options) {
    if (options == null) return {};
    if (!isObject(options) || Array.isArray(options))
      throw invalid(`options must be an object, got ${describe(options)}`);
    const config = {};
    for (const key in options) {
      const value = options[key];
      if (value === undefined) continue;
      if (key === 'headers') {
        config.headers = flatPairs(value, 'headers');
      } else if (key === 'retry') {
        config.retry = value === null ? undefined : retryConfig(value);
      } else if (key === 'timeout' && value === null) {
        // An explicit null: no total time limit (the default is 30 s).
        config.noTimeout = true;
      } else if (key === 'maxResponseSize' && value === null) {
        // An explicit null: no size limit (the core's default bounds bodies read whole).
        config.noMaxResponseSize = true;
      } else if (key in CLIENT_OPTIONS) {
        if (value === null) continue;
        checkType(value, CLIENT_OPTIONS[key], key);
        config[key] = value;
      } else {
        throw invalid(`Client: unknown option ${JSON.stringify(key)}`);
      }
    }
    return config;
  }

  function retryConfig(retry) {
    if (!isObject(retry) || Array.isArray(retry)) throw invalid(`retry must be an object, got ${describe(retry)}`);
    const config = {};
    for (const key in retry) {
      const value = retry[key];
      if (value == null) continue;
      if (key === 'onStatus') {
        if (!Array.isArray(value) || !value.every((s) => typeof s === 'number')) {
          throw invalid(`retry.onStatus must be an array of numbers, got ${describe(value)}`);
        }
        config.onStatus = value;
      } else if (key === 'methods') {
        if (!Array.isArray(value) || !value.every((m) => typeof m === 'string')) {
          throw invalid(`retry.methods must be an array of strings, got ${describe(value)}`);
        }
        config.methods = value;
      } else if (key in RETRY_OPTIONS) {
        checkType(value, RETRY_OPTIONS[key], `retry.${key}`);
        config[key] = value;
      } else {
        throw invalid(`retry: unknown option ${JSON.stringify(key)}`);
      }
    }
    return config;
  }

  /** Calls into the addon, turning its errors into FanioErrors. */
  function call(fn, ...args) {
    try {
      return fn(...args);
    } catch (e) {
      throw toFanio(e);
    }
  }

  class Client {
    #native;

    /** Builds the client; bad options throw E_INVALID_ARGUMENT. */
    constructor(options) {
      this.#native = call(native.httpClient, clientConfig(options));
    }

    /** A lazy op of one request. */
    request(method, url, options) {
      return this.#op(method, url, options, false);
    }

    /** Sends the request now and resolves at the response head; read the body from
     * `res.body` (the request's `signal` also stops the body) and `close()` it. */
    stream(method, url, options) {
      const signal = options?.signal ?? null;
      return this.#op(method, url, options, true).then((res) => {
        if (signal !== null) res[SIGNAL] = signal;
        return res;
      });
    }

    #op(method, url, options, stream) {
      if (typeof method !== 'string') throw invalid(`method must be a string, got ${describe(method)}`);
      url = checkUrl(url);
      let config;
      let signal = null;
      if (options != null) {
        if (!isObject(options) || Array.isArray(options))
          throw invalid(`options must be an object, got ${describe(options)}`);
        checkKeys(options, REQUEST_KEYS, 'request');
        checkSignal(options.signal);
        config = requestConfig(options);
        signal = options.signal ?? null;
      }
      let handle;
      try {
        handle = this.#native.request(method, url, config, stream);
      } catch (e) {
        throw toFanio(e);
      }
      return nativeOp(handle, signal);
    }

    /** The op of one item of `fetchAll`: a URL, or an object with `url` and request options. */
    #item(item, i) {
      if (typeof item === 'string' || item instanceof URL) return this.#op('GET', item, undefined, false);
      if (!isObject(item) || Array.isArray(item)) {
        throw invalid(`request ${i} must be a URL or an object with a url, got ${describe(item)}`);
      }
      checkKeys(item, ITEM_KEYS, `request ${i}`);
      const { method = 'GET', url, ...options } = item;
      return this.#op(method, url, options, false);
    }

    /** Sends every request under the batch options; resolves exactly like
     * `Promise.allSettled`, in input order. Bad items reject before anything is sent. */
    fetchAll(requests, options) {
      let ops;
      try {
        if (requests == null || typeof requests[Symbol.iterator] !== 'function' || typeof requests === 'string') {
          throw invalid(`requests must be an iterable, got ${describe(requests)}`);
        }
        ops = Array.from(requests, (item, i) => this.#item(item, i));
      } catch (e) {
        return Promise.reject(e);
      }
      return settle(ops, options);
    }

    /** New requests throw E_CLOSED from now on; requests in flight end with E_CANCELLED. */
    close() {
      this.#native.close();
      return Promise.resolve();
    }

    [Symbol.asyncDispose]() {
      return this.close();
    }

    get closed() {
      return this.#native.closed;
    }
  }

  for (const name of METHODS) {
    const method = name.toUpperCase();
    Object.defineProperty(Client.prototype, name, {
      value: function (url, options) {
        return this.request(method, url, options);
      },
      writable: true,
      configurable: true,
    });
  }

  /** Response headers: case-insensitive, multi-valued, in the order received (grouped
   * by name). Built from the response only when first read. */
  class ResponseHeaders {
    constructor(flat) {
      this._flat = flat;
      this._index = null;
    }

    _values(name) {
      if (this._index === null) {
        const index = new Map();
        const flat = this._flat;
        for (let i = 0; i < flat.length; i += 2) {
          const values = index.get(flat[i]);
          if (values === undefined) index.set(flat[i], [flat[i + 1]]);
          else values.push(flat[i + 1]);
        }
        this._index = index;
      }
      return this._index.get(String(name).toLowerCase());
    }

    /** The values of `name` joined with ', ' (as fetch's Headers does), or null. */
    get(name) {
      const values = this._values(name);
      return values === undefined ? null : values.join(', ');
    }

    /** Every value of `name`, in order (empty when absent). */
    getAll(name) {
      return [...(this._values(name) ?? [])];
    }

    has(name) {
      return this._values(name) !== undefined;
    }

    /** [name, value] per value received; names in lower case. */
    *entries() {
      const flat = this._flat;
      for (let i = 0; i < flat.length; i += 2) yield [flat[i], flat[i + 1]];
    }

    *keys() {
      for (const [name] of this.entries()) yield name;
    }

    *values() {
      for (const [, value] of this.entries()) yield value;
    }

    [Symbol.iterator]() {
      return this.entries();
    }

    get [Symbol.toStringTag]() {
      return 'ResponseHeaders';
    }
  }

  // The addon's Response (a napi class: its getters read the core's response) gets its
  // JS-side members here, on its prototype: one object per response, no wrapper.
  const Response = native.Response;

  async function* chunks(res) {
    try {
      if (!res._streamed) {
        const content = res.content;
        if (content.length > 0) yield content;
        return;
      }
      for (;;) {
        const chunk = await nativeOp(res._nextChunk(), res[SIGNAL] ?? null);
        if (chunk === null) return;
        yield chunk;
      }
    } finally {
      res._release();
    }
  }

  Object.defineProperties(Response.prototype, {
    headers: {
      get() {
        if (this[HEADERS] === undefined) this[HEADERS] = new ResponseHeaders(this._rawHeaders());
        return this[HEADERS];
      },
      configurable: true,
    },
    /** The whole body as a Buffer (empty for a streamed response). */
    content: {
      get() {
        if (this[CONTENT] === undefined) this[CONTENT] = this._content();
        return this[CONTENT];
      },
      configurable: true,
    },
    /** The body as an async iterable of Buffers (`ReadableStream.from(res.body)` makes
     * it a web stream); leaving the loop early releases the connection. */
    body: {
      get() {
        return chunks(this);
      },
      configurable: true,
    },
  });

  const methods = {
    /** The body as text, in the charset of the Content-Type (UTF-8 by default). */
    text() {
      return call(() => this._text());
    },
    /** JSON.parse of `text()`: integers past 2^53 lose precision as in JSON.parse. */
    json() {
      const text = this.text();
      try {
        return JSON.parse(text);
      } catch (e) {
        throw Object.assign(
          new FanioError('E_DECODE', `body is not valid JSON: ${e.message} (${this.url})`, { cause: e }),
          { url: this.url },
        );
      }
    },
    /** Throws E_HTTP_STATUS (with `status` and `url`) for a 4xx or 5xx response;
     * returns the response otherwise. */
    raiseForStatus() {
      call(() => this._checkStatus());
      return this;
    },
    /** Stops reading a streamed body and lets its connection go. */
    close() {
      this._release();
      return Promise.resolve();
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
    get [Symbol.toStringTag]() {
      return 'Response';
    },
  };
  for (const key of Reflect.ownKeys(methods)) {
    Object.defineProperty(Response.prototype, key, {
      ...Object.getOwnPropertyDescriptor(methods, key),
      enumerable: false,
    });
  }

  return { Client, Response, ResponseHeaders };
};
