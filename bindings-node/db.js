'use strict';
// Databases for Node: `connect` and the `Database` / `Transaction` classes over the
// addon's database handle. Every call makes a lazy native op (it runs when awaited or
// settled, and in a native batch it runs wholly in Rust); this file only checks JS
// types and names options in camelCase and ms; rows.js builds the rows.

const util = require('node:util');

const { makeShape } = require('./rows.js');
const { wire } = require('./wire.js');

/** Kinds of the addon's `query`. */
const EXECUTE = wire('QUERY_EXECUTE');
const FETCH_ALL = wire('QUERY_FETCH_ALL');
const FETCH_ONE = wire('QUERY_FETCH_ONE');
const FETCH_OPTIONAL = wire('QUERY_FETCH_OPTIONAL');
const FETCH_VAL = wire('QUERY_FETCH_VAL');

const CONNECT_OPTIONS = ['maxConnections', 'minConnections', 'acquireTimeout', 'statementCacheSize'];
const ISOLATIONS = ['read_committed', 'repeatable_read', 'serializable'];

function install(kit) {
  const { native, nativeOp, invalid, toFanio, describe } = kit;

  /** Calls the addon, turning its thrown errors into FanioErrors. */
  function call(fn) {
    try {
      return fn();
    } catch (e) {
      throw toFanio(e);
    }
  }

  function checkSql(sql) {
    if (typeof sql !== 'string') throw invalid(`sql must be a string, got ${describe(sql)}`);
  }

  function options(opts, allowed, what) {
    if (opts === undefined || opts === null) return {};
    if (typeof opts !== 'object' || Array.isArray(opts))
      throw invalid(`${what} must be an object, got ${describe(opts)}`);
    for (const key of Object.keys(opts)) {
      if (!allowed.includes(key)) throw invalid(`unknown option ${key} for ${what} (known: ${allowed.join(', ')})`);
    }
    return opts;
  }

  function queryOptions(opts, rows) {
    const o = options(opts, rows ? ['rowMode', 'signal'] : ['signal'], 'query options');
    if (o.rowMode !== undefined && o.rowMode !== 'object' && o.rowMode !== 'array') {
      throw invalid(`rowMode must be 'object' or 'array', got ${describe(o.rowMode)}`);
    }
    return o;
  }

  /** What `Database` and `Transaction` share: the query calls, each a lazy op. */
  class Queries {
    constructor(handle) {
      Object.defineProperty(this, '_handle', { value: handle });
    }

    _query(kind, sql, params, opts, rows) {
      checkSql(sql);
      const o = queryOptions(opts, rows);
      const handle = call(() => this._handle.query(kind, sql, params, o.rowMode === 'array'));
      return nativeOp(handle, o.signal);
    }

    execute(sql, params, opts) {
      return this._query(EXECUTE, sql, params, opts, false);
    }

    fetchAll(sql, params, opts) {
      return this._query(FETCH_ALL, sql, params, opts, true);
    }

    fetchOne(sql, params, opts) {
      return this._query(FETCH_ONE, sql, params, opts, true);
    }

    fetchOptional(sql, params, opts) {
      return this._query(FETCH_OPTIONAL, sql, params, opts, true);
    }

    fetchVal(sql, params, opts) {
      return this._query(FETCH_VAL, sql, params, opts, false);
    }

    executeMany(sql, paramsList, opts) {
      checkSql(sql);
      const o = queryOptions(opts, false);
      if (!Array.isArray(paramsList)) throw invalid(`paramsList must be an array, got ${describe(paramsList)}`);
      return nativeOp(
        call(() => this._handle.executeMany(sql, paramsList)),
        o.signal,
      );
    }

    copyRecords(table, records, opts) {
      if (typeof table !== 'string') throw invalid(`table must be a string, got ${describe(table)}`);
      if (!Array.isArray(records)) throw invalid(`records must be an array, got ${describe(records)}`);
      const o = options(opts, ['columns', 'signal'], 'copyRecords options');
      let columns = o.columns;
      if (columns === undefined) {
        // Objects name their columns: those of the first record.
        const first = records[0];
        if (first === null || typeof first !== 'object' || Array.isArray(first)) {
          throw invalid('copyRecords needs `columns` unless the records are objects');
        }
        columns = Object.keys(first);
      }
      if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) {
        throw invalid(`columns must be an array of strings, got ${describe(columns)}`);
      }
      return nativeOp(
        call(() => this._handle.copyRecords(table, records, columns)),
        o.signal,
      );
    }

    toString() {
      return this._handle.label();
    }

    [util.inspect.custom]() {
      return this._handle.label();
    }
  }

  /** An open database: a pool of connections (Postgres) or of SQLite connections. */
  class Database extends Queries {
    /** Starts a transaction on a connection of its own; resolves to a `Transaction`. */
    begin(opts) {
      const o = options(opts, ['isolation', 'readOnly'], 'transaction options');
      if (o.isolation !== undefined && !ISOLATIONS.includes(o.isolation)) {
        throw invalid(`isolation must be one of ${ISOLATIONS.join(', ')}, got ${describe(o.isolation)}`);
      }
      if (o.readOnly !== undefined && typeof o.readOnly !== 'boolean') {
        throw invalid(`readOnly must be a boolean, got ${describe(o.readOnly)}`);
      }
      return nativeOp(call(() => this._handle.begin(o.isolation ?? null, o.readOnly === true)));
    }

    /** Runs `fn(tx)` in a transaction: commits when it resolves (and returns its value),
     * rolls back when it rejects (and rethrows its error). */
    async transaction(fn, opts) {
      if (typeof fn !== 'function') throw invalid(`transaction needs a function, got ${describe(fn)}`);
      const tx = await this.begin(opts);
      let value;
      try {
        value = await fn(tx);
      } catch (e) {
        // The callback's error is the one that matters; a failed rollback still frees
        // the connection in the core (it is discarded, never returned mid-transaction).
        if (!tx._ended) await tx.rollback().then(undefined, () => {});
        throw e;
      }
      if (!tx._ended) await tx.commit();
      return value;
    }

    /** Closes the pool: calls in flight end with E_CANCELLED, later calls with E_CLOSED. */
    close() {
      return nativeOp(call(() => this._handle.close()));
    }

    get closed() {
      return this._handle.isClosed();
    }

    [Symbol.asyncDispose]() {
      return this.close().then(() => undefined);
    }
  }

  /** An open transaction; it takes no more calls once committed or rolled back. */
  class Transaction extends Queries {
    constructor(handle) {
      super(handle);
      this._ended = false;
    }

    commit() {
      this._ended = true;
      return nativeOp(call(() => this._handle.end(true)));
    }

    rollback() {
      this._ended = true;
      return nativeOp(call(() => this._handle.end(false)));
    }
  }

  native.dbInit(
    makeShape,
    (handle) => new Database(handle),
    (handle) => new Transaction(handle),
    JSON.parse,
    JSON.stringify,
  );

  /** Opens a database (`postgres://`, `postgresql://`, `sqlite:///abs.db`,
   * `sqlite://rel.db`, `sqlite::memory:`); resolves to a `Database` once its first
   * connection works. A bad URL or option throws E_INVALID_ARGUMENT at once. */
  function connect(url, opts) {
    if (typeof url !== 'string') throw invalid(`url must be a string, got ${describe(url)}`);
    const o = options(opts, CONNECT_OPTIONS, 'connect options');
    for (const key of CONNECT_OPTIONS) {
      if (o[key] !== undefined && typeof o[key] !== 'number')
        throw invalid(`${key} must be a number, got ${describe(o[key])}`);
    }
    return nativeOp(call(() => native.dbConnect(url, o)));
  }

  return { connect, Database, Transaction };
}

module.exports = install;
