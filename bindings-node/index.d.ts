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
}

/**
 * A lazy native operation: nothing runs until it is awaited or handed to `settle`,
 * `map` or `asSettled`, and it runs at most once; awaiting it again (or settling it in
 * another batch) gives the same outcome without running it again.
 */
export declare class Op<T> implements PromiseLike<T> {
  private constructor();
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

/** The value type a task settles with. */
export type TaskValue<K> = K extends Op<infer T>
  ? T
  : K extends (ctx: TaskContext) => infer R
    ? Awaited<R>
    : K extends PromiseLike<infer T>
      ? T
      : never;

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
  /** Cancels the batch: every task in flight is dropped and the call rejects with
   * E_CANCELLED. */
  signal?: AbortSignal;
  /** Draw a progress bar on stderr when it is a terminal. */
  progress?: boolean;
  /** Called with (done, total) at most ~10 times a second, and once at the end. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs every task under the options and resolves with exactly what
 * `Promise.allSettled` gives, in input order. Bad tasks or options reject with
 * E_INVALID_ARGUMENT before anything starts.
 */
export declare function settle<const K extends readonly Task<unknown>[]>(
  tasks: K,
  options?: SettleOptions,
): Promise<{ -readonly [I in keyof K]: PromiseSettledResult<TaskValue<K[I]>> }>;
export declare function settle<T>(tasks: Iterable<Task<T>>, options?: SettleOptions): Promise<PromiseSettledResult<T>[]>;

export interface MapOptions {
  /** Most mapper calls in flight at once; default unlimited. */
  concurrency?: number;
  /** true (default): the first rejection rejects the call with that error and starts
   * nothing new. false: every element runs; the call then rejects with an
   * AggregateError of all errors (input order) if any. */
  stopOnError?: boolean;
  /** Cancels the call: it rejects with E_CANCELLED. */
  signal?: AbortSignal;
}

/** p-map's semantics on fanio's engine: results in input order. */
export declare function map<E, R>(
  input: Iterable<E | PromiseLike<E>>,
  mapper: (element: E, index: number) => R | PromiseLike<R>,
  options?: MapOptions,
): Promise<R[]>;

export type StreamResult<T> =
  | { index: number; status: 'fulfilled'; value: T }
  | { index: number; status: 'rejected'; reason: any };

/**
 * Outcomes as tasks complete. `tasks` is any iterable (a generator too), pulled
 * lazily in chunks; no new task starts while more than `limit` outcomes wait unread.
 * Leaving the loop early (break, throw) drops every task still in flight.
 */
export declare function asSettled<T>(tasks: Iterable<Task<T>>, options?: SettleOptions): AsyncGenerator<StreamResult<T>, void, undefined>;

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

declare const fanio: {
  sleep: typeof sleep;
  fail: typeof fail;
  settle: typeof settle;
  map: typeof map;
  asSettled: typeof asSettled;
  opStats: typeof opStats;
  resetOpStats: typeof resetOpStats;
  FanioError: typeof FanioError;
  Op: typeof Op;
  codes: typeof codes;
};
export default fanio;
