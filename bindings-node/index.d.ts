// Public typings of fanio for Node (handwritten; the raw addon's generated typings are
// native.d.ts). Durations are milliseconds.

/** The codes every fanio rejection carries in `.code`; the same in Python. */
export type ErrorCode =
  | 'E_INVALID_ARGUMENT'
  | 'E_TIMEOUT'
  | 'E_CANCELLED'
  | 'E_CLOSED'
  | 'E_FAILED'
  | 'E_CONNECT'
  | 'E_TLS'
  | 'E_HTTP_STATUS'
  | 'E_PROTOCOL'
  | 'E_DECODE'
  | 'E_BODY_TOO_LARGE'
  | 'E_DB'
  | 'E_POOL_TIMEOUT'
  | 'E_NO_ROWS'
  | (string & {});

/** Every rejection from fanio: an Error whose `code` says what kind of failure it is. */
export declare class FanioError extends Error {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown });
  readonly code: ErrorCode;
  /** HTTP: the status of an E_HTTP_STATUS response. */
  readonly status?: number;
  /** HTTP: the URL the failure is about. */
  readonly url?: string;
  /** HTTP E_TIMEOUT: which time ran out, 'connect' | 'read' | 'total'. */
  readonly phase?: string;
  /** HTTP: how many attempts a retry policy made. */
  readonly attempts?: number;
  /** Databases (E_DB): the SQLSTATE and the details Postgres gives. */
  readonly sqlstate?: string;
  readonly constraint?: string;
  readonly table?: string;
  readonly column?: string;
  readonly detail?: string;
  /** SQLite (E_DB): the extended result code (2067 unique, 1299 not null, ...) and its C name. */
  readonly sqlite_code?: number;
  readonly sqlite_name?: string;
  /** E_INVALID_ARGUMENT of a query: the parameter that did not fit ($1 is 1), or as
   * `parameter` the name of a named SQLite parameter (or a record's column); `row` is
   * the parameter set / record (0-based) of executeMany and copyRecords. Field names
   * are the core's, snake_case in both languages. */
  readonly index?: number;
  readonly parameter?: string;
  readonly row?: number;
}

/**
 * A lazy native operation: nothing runs until it is awaited or handed to `settle`,
 * `map` or `asSettled`, and it runs at most once; awaiting it again (or settling it in
 * another batch) gives the same outcome without running it again.
 */
export declare class Op<T> implements PromiseLike<T> {
  private constructor();
  // Only fanio makes ops (the engine tells them from other thenables with instanceof):
  // a private member keeps a Promise from passing for an Op, so its reason stays `any`.
  private readonly op: never;
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2>;
  catch<R = never>(onrejected?: ((reason: any) => R | PromiseLike<R>) | null): Promise<T | R>;
  finally(onfinally?: (() => void) | null): Promise<T>;
  readonly [Symbol.toStringTag]: string;
}

/** Resolves with `value` after `ms` (0: one round trip through the runtime). Throws
 * E_INVALID_ARGUMENT for a negative or non-finite `ms`. */
export declare function sleep(ms: number): Op<undefined>;
export declare function sleep<T>(ms: number, value: T): Op<T>;

/** Rejects after `ms` with a FanioError of code E_FAILED and `message`. */
export declare function fail(ms: number, message: string): Op<never>;

/** The one argument a task function is called with. */
export interface TaskContext {
  /** Fires when fail-fast, a timeout, the deadline or the batch's own signal cuts the
   * task off; its `reason` is a FanioError (E_CANCELLED or E_TIMEOUT). */
  readonly signal: AbortSignal;
}

/**
 * A task: a fanio op, or a function called (with one `{signal}` argument) only when
 * its turn comes, returning a value or a promise. A promise given directly is accepted
 * but is already running when it is handed over: the limit, rate and timeouts cannot
 * hold it back, only its outcome is collected (a timeout or fail-fast settles it as
 * rejected without stopping it).
 */
export type Task<T> = Op<T> | ((ctx: TaskContext) => T | PromiseLike<T>) | PromiseLike<T>;

/** How a fanio op settles: what `Promise.allSettled` gives, with the reason typed, since
 * an op rejects only with a FanioError. */
export type OpSettledResult<T> = PromiseFulfilledResult<T> | OpRejectedResult;
export interface OpRejectedResult extends PromiseRejectedResult {
  reason: FanioError;
}

/** The value type a task settles with. */
export type TaskValue<K> =
  K extends Op<infer T>
    ? T
    : K extends (ctx: TaskContext) => infer R
      ? Awaited<R>
      : K extends PromiseLike<infer T>
        ? T
        : never;

/** How a task settles in `settle`: an op's reason is a FanioError; a function or a
 * promise may reject with anything. */
export type TaskSettledResult<K> = K extends Op<infer T> ? OpSettledResult<T> : PromiseSettledResult<TaskValue<K>>;

export interface SettleOptions {
  /** Most tasks in flight at once (a positive integer); default unlimited. */
  limit?: number;
  /** Most task starts per second, spaced evenly with no initial burst. */
  rate?: number;
  /** On the first rejection, cut off every task in flight and skip the rest: they
   * settle as rejected with E_CANCELLED. */
  failFast?: boolean;
  /** Per-task time limit in ms: the task settles as rejected with E_TIMEOUT. */
  timeout?: number;
  /** Time limit of the whole batch in ms: what is left settles with E_TIMEOUT. */
  deadline?: number;
  /** Cancels the batch: every task in flight is dropped (settling E_CANCELLED) and the
   * call rejects with `signal.reason` (an AbortError by default), as fetch does. */
  signal?: AbortSignal;
  /** Draw a progress bar on stderr when it is a terminal. */
  progress?: boolean;
  /** Called with (done, total) at most ~10 times a second, and once at the end. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs every task under the options and resolves with exactly what
 * `Promise.allSettled` gives, in input order. Bad tasks or options reject with
 * E_INVALID_ARGUMENT before anything starts. The results are typed per task: a tuple
 * keeps each position's type, a list may mix ops of any kind (HTTP, queries, sleep),
 * and an op's `reason` is a FanioError, so `r.reason.code` is typed.
 */
export declare function settle<const K extends readonly Task<unknown>[]>(
  tasks: K,
  options?: SettleOptions,
): Promise<{ -readonly [I in keyof K]: TaskSettledResult<K[I]> }>;
export declare function settle<K extends Task<unknown>>(
  tasks: Iterable<K>,
  options?: SettleOptions,
): Promise<TaskSettledResult<K>[]>;
/** With the value type given explicitly: `settle<number>(tasks)`. */
export declare function settle<T>(
  tasks: Iterable<Task<T>>,
  options?: SettleOptions,
): Promise<PromiseSettledResult<T>[]>;

export interface MapOptions {
  /** Most mapper calls in flight at once; default unlimited. */
  concurrency?: number;
  /** true (default): the first rejection rejects the call with that error and starts
   * nothing new. false: every element runs; the call then rejects with an
   * AggregateError of all errors (input order) if any. */
  stopOnError?: boolean;
  /** Cancels the call: it rejects with `signal.reason` (an AbortError by default), as p-map does. */
  signal?: AbortSignal;
}

/** p-map's semantics on fanio's engine: results in input order. */
export declare function map<E, R>(
  input: Iterable<E | PromiseLike<E>> | AsyncIterable<E | PromiseLike<E>>,
  mapper: (element: E, index: number) => R | typeof mapSkip | PromiseLike<R | typeof mapSkip>,
  options?: MapOptions,
): Promise<R[]>;

/** Returned by a mapper, leaves its element out of the results (p-map's `pMapSkip`). */
export declare const mapSkip: unique symbol;

export interface MapIterableOptions {
  /** Most mapper calls in flight (default: unlimited). */
  concurrency?: number;
  /** Most results waiting unconsumed before new calls wait (default: concurrency). */
  backpressure?: number;
  /** Cancels the iteration: it throws `signal.reason`. */
  signal?: AbortSignal;
}

/** p-map's `pMapIterable`: the mapper's results in input order as they become ready;
 * the input (an iterable or an async iterable) is pulled lazily. */
export declare function mapIterable<E, R>(
  input: Iterable<E | PromiseLike<E>> | AsyncIterable<E | PromiseLike<E>>,
  mapper: (element: E, index: number) => R | typeof mapSkip | PromiseLike<R | typeof mapSkip>,
  options?: MapIterableOptions,
): AsyncGenerator<R, void, undefined>;

/** An outcome of `asSettled`, with the task's `index`; `E` is what it may reject with. */
export type StreamResult<T, E = any> =
  | { index: number; status: 'fulfilled'; value: T }
  | { index: number; status: 'rejected'; reason: E };

/** How a task comes out of `asSettled`: an op's reason is a FanioError. */
export type TaskStreamResult<K> = K extends Op<infer T> ? StreamResult<T, FanioError> : StreamResult<TaskValue<K>>;

/**
 * Outcomes as tasks complete. `tasks` is any iterable (a generator too), pulled
 * lazily in chunks; no new task starts while more than `limit` outcomes wait unread.
 * Leaving the loop early (break, throw) drops every task still in flight.
 */
export declare function asSettled<K extends Task<unknown>>(
  tasks: Iterable<K> | AsyncIterable<K>,
  options?: SettleOptions,
): AsyncGenerator<TaskStreamResult<K>, void, undefined>;
/** With the value type given explicitly: `asSettled<number>(tasks)`. */
export declare function asSettled<T>(
  tasks: Iterable<Task<T>> | AsyncIterable<Task<T>>,
  options?: SettleOptions,
): AsyncGenerator<StreamResult<T>, void, undefined>;

export interface OpStats {
  /** Native op futures alive now. */
  running: number;
  /** The most alive at once since the last `resetOpStats()`. */
  peak: number;
}

/** Native ops running now and the most at once since the last reset. */
export declare function opStats(): OpStats;
/** Starts a new peak measurement from what runs now. */
export declare function resetOpStats(): void;

/** The codes the core knows, in its order. */
export declare const codes: readonly ErrorCode[];

// ---------------------------------------------------------------------------------
// Databases: PostgreSQL and SQLite on the core's runtime.

/** A column value, by type:
 * bool -> boolean; int2/int4 -> number; int8 -> bigint; float4/float8 -> number;
 * numeric -> string (exact, 'NaN' / 'Infinity' too); text, varchar, char, name, citext,
 * enum labels -> string; bytea -> Buffer; uuid -> string; json/jsonb -> parsed JSON;
 * date -> 'YYYY-MM-DD' ('infinity' / '-infinity'; 'YYYY-MM-DD BC' before year 1);
 * time -> 'HH:MM:SS[.ffffff]'; timestamp (read as UTC) and timestamptz -> Date, to the
 * millisecond (microseconds are floored), the infinities as the strings 'infinity' /
 * '-infinity'; interval -> Interval; inet/cidr -> string ('10.0.0.1', '10.0.0.0/8');
 * arrays -> nested arrays (lower bounds dropped); domains -> their base type.
 * SQLite: INTEGER -> number, or bigint beyond 2^53; REAL -> number; TEXT -> string;
 * BLOB -> Buffer; NULL -> null. */
export type DbValue = null | boolean | number | bigint | string | Buffer | Date | Interval | DbJson | DbValue[];

/** What json/jsonb columns hold once parsed. */
export type DbJson = null | boolean | number | string | DbJson[] | { [key: string]: DbJson };

/** A Postgres interval; `microseconds` is exact up to about 285 years. */
export interface Interval {
  months: number;
  days: number;
  microseconds: number;
}

/** A parameter value. The statement's parameter type decides how it is sent; a value
 * that does not fit is E_INVALID_ARGUMENT with the parameter's `index`.
 * number (integral ones fit int columns), bigint (64-bit), string (also for numeric,
 * uuid, json, enums, and, in Postgres's own text syntax, date, time, timestamp,
 * interval, inet and cidr: '2024-02-29', 'infinity', '1 day', '10.0.0.0/8'), boolean,
 * null, Buffer/Uint8Array, Date (timestamp/timestamptz; SQLite refuses it), arrays
 * (Postgres arrays; nested arrays must be rectangular), plain objects (json/jsonb, or
 * an Interval for an interval). `undefined` is refused: pass null. */
export type DbParam =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Date
  | readonly DbParam[]
  | { readonly [key: string]: unknown };

/** Positional parameters ($1 / ?), or for SQLite named ones (`:name`, `@name`, `$name`;
 * a bare key means `:name`). */
export type DbParams = readonly DbParam[] | { readonly [name: string]: DbParam };

/** A row as an object by column name (later duplicate names win). */
export type Row = Record<string, DbValue>;

export interface ConnectOptions {
  /** Most connections open at once (SQLite file: one writer plus readers). Default 10. */
  maxConnections?: number;
  /** Connections opened by connect and kept open (Postgres). Default 1. */
  minConnections?: number;
  /** ms a call waits for a free connection before E_POOL_TIMEOUT. Default 30,000. */
  acquireTimeout?: number;
  /** Prepared statements kept per connection (LRU); 0 disables. Default 100. */
  statementCacheSize?: number;
}

export interface QueryOptions {
  /** Cancels the query in the core; on Postgres the server cancels it too. */
  signal?: AbortSignal;
}

export interface FetchOptions<M extends 'object' | 'array' = 'object' | 'array'> extends QueryOptions {
  /** 'object' (default): rows by column name; 'array': rows as arrays in column order. */
  rowMode?: M;
}

export interface CopyOptions extends QueryOptions {
  /** The columns the records fill; needed for array records, else the first object's keys. */
  columns?: readonly string[];
}

export interface TransactionOptions {
  /** Default: the server's. */
  isolation?: 'read_committed' | 'repeatable_read' | 'serializable';
  readOnly?: boolean;
}

/** The query calls of a pool and of a transaction; each returns a lazy Op that runs
 * when awaited or settled (in `settle`, natively in Rust). `fetchOne<UserRow>(...)`
 * (and `fetchAll`, `fetchOptional`) types object rows as you declare them, an
 * `interface` included; as with pg's `query<T>`, nothing checks it at run time. */
export interface Queries {
  /** Runs a statement; resolves to the rows affected. */
  execute(sql: string, params?: DbParams | null, options?: QueryOptions): Op<number>;
  fetchAll(
    sql: string,
    params: DbParams | null | undefined,
    options: FetchOptions<'array'> & { rowMode: 'array' },
  ): Op<DbValue[][]>;
  fetchAll<R extends object = Row>(sql: string, params?: DbParams | null, options?: FetchOptions<'object'>): Op<R[]>;
  /** The first row; E_NO_ROWS if there is none. */
  fetchOne(
    sql: string,
    params: DbParams | null | undefined,
    options: FetchOptions<'array'> & { rowMode: 'array' },
  ): Op<DbValue[]>;
  fetchOne<R extends object = Row>(sql: string, params?: DbParams | null, options?: FetchOptions<'object'>): Op<R>;
  /** The first row, or null. */
  fetchOptional(
    sql: string,
    params: DbParams | null | undefined,
    options: FetchOptions<'array'> & { rowMode: 'array' },
  ): Op<DbValue[] | null>;
  fetchOptional<R extends object = Row>(
    sql: string,
    params?: DbParams | null,
    options?: FetchOptions<'object'>,
  ): Op<R | null>;
  /** The first column of the first row; E_NO_ROWS if there is none. */
  fetchVal<V extends DbValue = DbValue>(sql: string, params?: DbParams | null, options?: QueryOptions): Op<V>;
  /** Runs `sql` once per parameter set, all in one transaction; resolves to the total rows
   * affected. On Postgres a plain `INSERT ... VALUES ($1, ...)` is sent as multi-row INSERTs.
   * Every value is checked before anything is sent; a failure names its `row`. */
  executeMany(sql: string, paramsList: readonly DbParams[], options?: QueryOptions): Op<number>;
  /** Loads records (COPY FROM STDIN BINARY on Postgres, prepared INSERTs in one
   * transaction on SQLite); `table` may be `schema.table`. Resolves to the rows loaded. */
  copyRecords(
    table: string,
    records: readonly (readonly DbParam[])[] | readonly { readonly [column: string]: DbParam }[],
    options?: CopyOptions,
  ): Op<number>;
  /** `Database(url)` with the password replaced by `***`. */
  toString(): string;
}

/** An open database: a pool of connections. `util.inspect` and String show its URL
 * without the password. */
export interface Database extends Queries {}
export declare class Database {
  private constructor();
  /** Starts a transaction on a connection of its own. */
  begin(options?: TransactionOptions): Op<Transaction>;
  /** Runs `fn(tx)` in a transaction: commits when it resolves (returning its value),
   * rolls back when it rejects (rethrowing its error). */
  transaction<T>(fn: (tx: Transaction) => T | PromiseLike<T>, options?: TransactionOptions): Promise<T>;
  /** Closes the pool: calls in flight end with E_CANCELLED, later ones with E_CLOSED. */
  close(): Op<null>;
  get closed(): boolean;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A transaction; after commit or rollback its calls reject with E_CLOSED. Dropped
 * without either, it is rolled back. */
export interface Transaction extends Queries {}
export declare class Transaction {
  private constructor();
  commit(): Op<null>;
  rollback(): Op<null>;
}

/** Opens a database: 'postgres://user:pass@host:port/db?sslmode=...' (or postgresql://),
 * 'sqlite:///abs/path.db', 'sqlite://relative.db', 'sqlite::memory:'. Resolves once
 * its first connection works (E_CONNECT otherwise). A bad URL or option throws
 * E_INVALID_ARGUMENT at once. */
export declare function connect(url: string, options?: ConnectOptions): Op<Database>;

// HTTP

/** Header or query pairs: a plain object (an array value repeats the name), a
 * Headers, URLSearchParams or Map, or an array of [name, value] pairs. */
export type PairsInit =
  | Record<string, string | number | boolean | readonly (string | number | boolean)[]>
  | Iterable<readonly [string, string | number | boolean]>;

/** When and how a client tries a request again. Durations in ms. */
export interface Retry {
  /** Most tries in all, retries included (default 3). */
  attempts?: number;
  /** Wait before the first retry, doubled for each further one (default 100). */
  backoff?: number;
  /** Longest wait between two tries, for the backoff and Retry-After alike (default 10000). */
  backoffMax?: number;
  /** Wait a random time between half the backoff and all of it (default true). */
  jitter?: boolean;
  /** Statuses that are retried (default [429, 502, 503, 504]). */
  onStatus?: number[];
  /** Retry when no connection could be made (default true). */
  onConnectError?: boolean;
  /** Wait what a Retry-After header says, capped by backoffMax (default true). */
  respectRetryAfter?: boolean;
  /** Methods that are retried (default GET, HEAD, OPTIONS, PUT, DELETE, TRACE). */
  methods?: string[];
}

export interface ClientOptions {
  /** Relative request URLs are joined onto this one (keep a trailing '/' to append). */
  baseUrl?: string;
  /** Sent with every request; a request's header of the same name replaces it. */
  headers?: PairsInit;
  /** Total time of a request in ms, retries and body included (default 30000); null: none. */
  timeout?: number | null;
  /** Time to establish a connection (TCP, TLS, proxy), ms. */
  connectTimeout?: number;
  /** Most time between two reads of the socket, ms. */
  readTimeout?: number;
  /** Idle connections kept per host. */
  poolMaxIdlePerHost?: number;
  /** Most sockets open at once, all hosts together (a real cap). */
  maxConnections?: number;
  /** Most sockets open at once to one host. */
  maxConnectionsPerHost?: number;
  /** 'auto' (ALPN over TLS, default), 'prior_knowledge' (h2c too) or 'never'. */
  http2?: 'auto' | 'prior_knowledge' | 'never';
  followRedirects?: boolean;
  /** Redirects followed before the request fails with E_PROTOCOL (default 10). */
  maxRedirects?: number;
  /** Verify server certificates (default true; false for tests only). */
  verify?: boolean;
  /** Extra trusted roots: a PEM file path or PEM text. */
  caCerts?: string;
  /** Client certificate for mTLS (PEM path or text); needs clientKey. */
  clientCert?: string;
  clientKey?: string;
  /** Every request goes through this proxy: http://, https://, socks5:// or socks5h://. */
  proxy?: string;
  /** Keep cookies the server sets and send them back (default true). */
  cookies?: boolean;
  userAgent?: string;
  retry?: Retry;
  /** Largest response body accepted, in bytes once decoded; more is E_BODY_TOO_LARGE.
   * Default 64 MiB for bodies read whole (a streamed body is bounded only when this is
   * given); `null`: no limit. */
  maxResponseSize?: number | null;
  /** Turn 4xx and 5xx responses into E_HTTP_STATUS errors (default false). */
  errorForStatus?: boolean;
}

export interface RequestOptions {
  /** Appended to the URL's query, in order. */
  params?: PairsInit;
  headers?: PairsInit;
  /** Sent as JSON (JSON.stringify), Content-Type application/json unless set. */
  json?: unknown;
  /** Sent URL-encoded, Content-Type application/x-www-form-urlencoded unless set. */
  form?: PairsInit;
  /** Sent as is (a string as UTF-8). At most one of json, form and content. */
  content?: string | Buffer | Uint8Array;
  /** Replaces the client's total timeout, ms. */
  timeout?: number;
  /** Replaces the client's errorForStatus. */
  errorForStatus?: boolean;
  /** Cancels the request in the core: its connection is dropped, it rejects with E_CANCELLED. */
  signal?: AbortSignal;
}

/** One item of `fetchAll`: a URL, or a request as an object. */
export type FetchItem = string | URL | ({ method?: string; url: string | URL } & Omit<RequestOptions, 'signal'>);

/** Response headers: case-insensitive, multi-valued. */
export declare class ResponseHeaders implements Iterable<[string, string]> {
  private constructor();
  /** The values of `name` joined with ', ' (as fetch's Headers), or null when absent. */
  get(name: string): string | null;
  /** Every value of `name`, in order; empty when absent. */
  getAll(name: string): string[];
  has(name: string): boolean;
  /** One [name, value] per value received, names in lower case, grouped by name. */
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

/** An HTTP response. Its fields are read from the native response when asked. */
export declare class Response {
  private constructor();
  readonly status: number;
  /** The canonical reason phrase, '' for unknown statuses. */
  readonly reason: string;
  readonly headers: ResponseHeaders;
  /** The final URL, after redirects. */
  readonly url: string;
  /** 'HTTP/1.1', 'HTTP/2', ... */
  readonly httpVersion: string;
  /** ms from the start of the request to the body read (to the head when streamed). */
  readonly elapsed: number;
  /** Tries made (1 unless retried). */
  readonly attempts: number;
  /** The whole body (empty for a streamed response). */
  readonly content: Buffer;
  /** The body in chunks; for a streamed response read from the socket as it comes.
   * `ReadableStream.from(res.body)` makes it a web stream. Leaving the loop early
   * releases the connection. */
  readonly body: AsyncIterable<Buffer>;
  /** The body as text in the charset of the Content-Type (UTF-8 by default); E_DECODE
   * when invalid. */
  text(): string;
  /** JSON.parse of `text()`: integers past 2^53 lose precision as in JSON.parse;
   * E_DECODE when invalid. */
  json(): any;
  /** Throws E_HTTP_STATUS (with status and url) for 4xx and 5xx; returns the response. */
  raiseForStatus(): this;
  /** Releases a streamed body's connection (a read body has nothing to release). */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface FetchAllOptions extends SettleOptions {}

/** An HTTP client: one connection pool, cookie jar and set of limits, shared by every
 * request made through it. Requests are lazy ops: nothing is sent until awaited or
 * settled. Bad input throws E_INVALID_ARGUMENT when the op is made. */
export declare class Client {
  constructor(options?: ClientOptions);
  request(method: string, url: string | URL, options?: RequestOptions): Op<Response>;
  get(url: string | URL, options?: RequestOptions): Op<Response>;
  post(url: string | URL, options?: RequestOptions): Op<Response>;
  put(url: string | URL, options?: RequestOptions): Op<Response>;
  patch(url: string | URL, options?: RequestOptions): Op<Response>;
  delete(url: string | URL, options?: RequestOptions): Op<Response>;
  head(url: string | URL, options?: RequestOptions): Op<Response>;
  options(url: string | URL, options?: RequestOptions): Op<Response>;
  /** Sends now and resolves at the response head; read `res.body`, then `close()` it. */
  stream(method: string, url: string | URL, options?: RequestOptions): Promise<Response>;
  /** Sends every request under the batch options; resolves exactly like
   * Promise.allSettled, in input order. */
  fetchAll(requests: Iterable<FetchItem>, options?: FetchAllOptions): Promise<OpSettledResult<Response>[]>;
  /** New requests throw E_CLOSED; requests in flight end with E_CANCELLED. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  readonly closed: boolean;
}

declare const fanio: {
  sleep: typeof sleep;
  fail: typeof fail;
  settle: typeof settle;
  map: typeof map;
  mapIterable: typeof mapIterable;
  mapSkip: typeof mapSkip;
  asSettled: typeof asSettled;
  opStats: typeof opStats;
  resetOpStats: typeof resetOpStats;
  FanioError: typeof FanioError;
  Op: typeof Op;
  codes: typeof codes;
  connect: typeof connect;
  Database: typeof Database;
  Transaction: typeof Transaction;
  Client: typeof Client;
  Response: typeof Response;
  ResponseHeaders: typeof ResponseHeaders;
};
export default fanio;
