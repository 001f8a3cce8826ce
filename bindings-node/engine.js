'use strict';
// The fan-out engine on the JS thread: settle, asSettled, map and mapIterable. A batch
// of fresh ops runs wholly in the addon (settleNative); any other batch is the core's
// Batch, whose actions a Run carries out here (starting and cancelling what JS runs,
// pulling the source, reporting progress) while its native ops run in Rust. Limits,
// rates, timeouts, deadlines, fail-fast and backpressure are all decided in the core.

const native = require('./native.js');
const { wire } = require('./wire.js');
const { route } = require('./bridge.js');
const { S_CANCELLED, fromStatus, invalid, toFanio, describe } = require('./errors.js');
const { Op, handOver, cancelledBy, kinds, states } = require('./op.js');

const { SLEEP, FAIL, NATIVE } = kinds;
const { FRESH, RUNNING, CLAIMED } = states;
/** An item of a host-driven batch that JS runs (see `feedBatch`). */
const HOST = wire('OP_HOST');

/** Native batches in flight by id. */
const nativeBatches = new Map();
let nextBatchId = 1;

route('RECORD_PROGRESS', (id, done) => {
  const batch = nativeBatches.get(id);
  if (batch !== undefined && batch.thrown === null) {
    batch.thrown = report(batch.onProgress, done, batch.total);
    if (batch.thrown !== null) native.abortBatch(id);
  }
});

route('RECORD_BATCH_DONE', (id, aborted) => {
  const batch = nativeBatches.get(id);
  if (batch !== undefined) {
    nativeBatches.delete(id);
    batch.done(aborted !== 0);
  }
});

route('RECORD_BATCH_WAKE', (id) => wakeRun(id));

/** Calls a user progress callback. Returns what it threw, wrapped (`{ error }`), or
 * null: the batch then rejects with that error and cancels what runs, rather than an
 * uncaught exception crashing the process while the batch goes on unobserved. */
function report(onProgress, done, total) {
  if (onProgress == null) return null;
  try {
    onProgress(done, total);
    return null;
  } catch (error) {
    return { error };
  }
}

// ---------------------------------------------------------------------------------
// Options and tasks: type checks here, every value check in the core.

function readOptions(options, limitKey) {
  if (options == null) options = {};
  if (typeof options !== 'object') throw invalid(`options must be an object, got ${describe(options)}`);
  const o = {};
  for (const [from, to] of [
    [limitKey, 'limit'],
    ['rate', 'rate'],
    ['timeout', 'timeout'],
    ['deadline', 'deadline'],
  ]) {
    const v = options[from];
    if (v == null) continue;
    if (typeof v !== 'number') throw invalid(`${from} must be a number, got ${describe(v)}`);
    o[to] = v;
  }
  if (options.failFast != null) o.failFast = Boolean(options.failFast);
  if (options.progress != null) o.progress = Boolean(options.progress);
  const { onProgress, signal } = options;
  if (onProgress != null && typeof onProgress !== 'function') {
    throw invalid(`onProgress must be a function, got ${describe(onProgress)}`);
  }
  if (
    signal != null &&
    !(typeof signal === 'object' && typeof signal.addEventListener === 'function' && 'aborted' in signal)
  ) {
    throw invalid(`signal must be an AbortSignal, got ${describe(signal)}`);
  }
  return { o, onProgress: onProgress ?? null, signal: signal ?? null };
}

function isThenable(v) {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function';
}

function checkTask(t, i) {
  if (t instanceof Op || typeof t === 'function' || isThenable(t)) return;
  throw invalid(`task ${i} must be a function, a fanio op or a promise, got ${describe(t)}`);
}

function toArray(tasks, what) {
  if (Array.isArray(tasks)) return tasks;
  if (tasks != null && typeof tasks[Symbol.iterator] === 'function' && typeof tasks !== 'string')
    return Array.from(tasks);
  throw invalid(`${what} must be an iterable, got ${describe(tasks)}`);
}

/** Why a batch's signal stopped it: its reason, as fetch and timers/promises reject
 * (an AbortError DOMException when abort() was given none). */
function abortReason(signal) {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Frees the core batch of a run that was dropped unfinished (an abandoned stream). */
const batches = new FinalizationRegistry((id) => native.batchFree(id));

/** A core Batch (by id); bad options throw E_INVALID_ARGUMENT here. */
function newBatch(o, limitName, stream, progress) {
  try {
    return native.batchNew(o, limitName, stream, progress);
  } catch (e) {
    throw toFanio(e);
  }
}

/** Hands `items` to batch `id`: a fresh op runs natively in the core (it is RUNNING
 * from now on, and settles when the batch says); anything else is run here, and so is
 * everything when `hostOnly` (map's elements). Returns the index of the first. */
function feedBatch(id, items, hostOnly) {
  const n = items.length;
  const kinds = new Uint8Array(n);
  const delays = new Float64Array(n);
  const messages = [];
  const handles = [];
  for (let i = 0; i < n; i++) {
    const t = items[i];
    if (!hostOnly && t instanceof Op && t._state === FRESH) {
      t._state = RUNNING;
      kinds[i] = t._kind;
      delays[i] = t._ms;
      if (t._kind === FAIL) messages.push(t._value);
      else if (t._kind === NATIVE) handles.push(t._value);
    } else {
      kinds[i] = HOST;
    }
  }
  return native.batchFeed(id, kinds, delays, messages, Uint32Array.from(handles));
}

// ---------------------------------------------------------------------------------
// Host-driven runs: the core's Batch decides and runs the native ops; a Run carries
// out the rest on the JS thread. One napi call per step (`batchStep`), which writes
// the next actions into this run's Int32Array.

// Layout of a run's io array, as engine/batch.rs writes it; actions follow the header
// as (tag, index, value) triples.
const IO_COUNT = wire('IO_COUNT');
const IO_MORE = wire('IO_MORE');
const IO_WAKE = wire('IO_WAKE');
const IO_ACCEPTED = wire('IO_ACCEPTED');
const IO_HEADER = wire('IO_HEADER');
const ACTION_WIDTH = wire('ACTION_WIDTH');
const ACTION_START = wire('ACTION_START');
const ACTION_CANCEL = wire('ACTION_CANCEL');
const ACTION_SKIP = wire('ACTION_SKIP');
const ACTION_SETTLED = wire('ACTION_SETTLED');
const ACTION_PULL = wire('ACTION_PULL');
const ACTION_PROGRESS = wire('ACTION_PROGRESS');

/** Host-driven runs by batch id, for the bridge's wake-ups. */
const hostRuns = new Map();

/** The one argument a task function gets. The AbortController is made only if the
 * task asks for its signal. */
class TaskContext {
  constructor() {
    this._controller = null;
    this._reason = undefined;
  }

  /** Fires when fail-fast, a timeout, the deadline or the batch's signal cuts the task off. */
  get signal() {
    if (this._controller === null) {
      this._controller = new AbortController();
      if (this._reason !== undefined) this._controller.abort(this._reason);
    }
    return this._controller.signal;
  }

  _abort(reason) {
    if (this._reason !== undefined) return;
    this._reason = reason;
    if (this._controller !== null) this._controller.abort(reason);
  }
}

class Run {
  /**
   * `id`: a core batch. `items`: the items by index, an array (settle) or a Map whose
   * entries are taken as they start (streams). hooks: invoke(element, i) -> its result,
   * map's mapper (null: the items are ops, functions or promises); sink(i, ok, value);
   * onProgress; pull(want) -> true if it handed items over now (streams); finish().
   */
  constructor(id, items, hooks) {
    this.id = id;
    this.items = items;
    this.hooks = hooks;
    this.io = new Int32Array(IO_HEADER + ACTION_WIDTH * 1024);
    /** What runs here, by index: its TaskContext, its Op, or null. */
    this.running = new Map();
    this.busy = false;
    this.deferred = [];
    this.timer = null;
    this.timerAt = Infinity;
    /** Ops this run cut off whose Rust future is not gone yet. */
    this.drops = 0;
    /** What onProgress threw (`{ error }`): the batch stopped and rejects with it. */
    this.thrown = null;
    this.finished = false;
    this.ended = false;
    this.reads = 0;
    hostRuns.set(id, this);
    batches.register(this, id, this);
  }

  _take(j) {
    const items = this.items;
    if (Array.isArray(items)) return items[j];
    const item = items.get(j);
    items.delete(j);
    return item;
  }

  /** Task `i` ended (`i` = -1: nothing ended, just advance). Re-entrant calls (a task
   * that ends synchronously, a signal listener) are queued until the current step ends. */
  advance(i, ok, value) {
    if (this.ended) return;
    if (this.busy) {
      this.deferred.push(i, ok, value);
      return;
    }
    this.busy = true;
    try {
      this._step(i, ok, value);
      while (this.deferred.length > 0 && !this.ended) {
        const queued = this.deferred;
        this.deferred = [];
        for (let k = 0; k < queued.length; k += 3) this._step(queued[k], queued[k + 1], queued[k + 2]);
      }
    } finally {
      this.busy = false;
    }
  }

  /** Stops the batch (its signal fired): the core cuts off what runs and skips the rest. */
  stop(status) {
    if (this.ended) return;
    native.batchStop(this.id, status);
    this.advance(-1, true, undefined);
  }

  /** The source failed, onProgress threw or the consumer left: stop as cancelled and
   * pull nothing more. */
  fail() {
    if (this.ended) return;
    native.batchFail(this.id);
    this.advance(-1, true, undefined);
  }

  _step(i, ok, value) {
    if (this.finished) return;
    const { io, hooks } = this;
    let reads = this.reads;
    this.reads = 0;
    for (;;) {
      const payloads = native.batchStep(this.id, io, i, !ok, reads);
      if (i >= 0 && io[IO_ACCEPTED] === 1) {
        this.running.delete(i);
        hooks.sink(i, ok, value);
      }
      i = -1;
      reads = 0;
      let again = false;
      let p = 0;
      const n = io[IO_COUNT];
      for (let k = 0; k < n; k++) {
        const at = IO_HEADER + ACTION_WIDTH * k;
        const tag = io[at];
        const j = io[at + 1];
        const v = io[at + 2];
        if (tag === ACTION_SETTLED) this._settled(j, v, payloads[p++]);
        else if (tag === ACTION_START) this._start(j);
        else if (tag === ACTION_CANCEL) this._cancel(j, v);
        else if (tag === ACTION_SKIP) this._skip(j, v);
        else if (tag === ACTION_PULL) again = hooks.pull(j) || again;
        else if (tag === ACTION_PROGRESS) {
          if (this.thrown === null) {
            this.thrown = report(hooks.onProgress, j, v);
            if (this.thrown !== null) {
              native.batchFail(this.id);
              again = true;
            }
          }
        } else {
          this.finished = true;
          if (this.timer !== null) clearTimeout(this.timer);
          this.timer = null;
          this._maybeEnd();
          return;
        }
      }
      if (!again && io[IO_MORE] === 0) break;
    }
    const wake = io[IO_WAKE];
    if (wake >= 0) this._arm(wake);
  }

  _arm(ms) {
    const at = performance.now() + ms;
    if (this.timer !== null) {
      if (this.timerAt <= at + 1) return;
      clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.advance(-1, true, undefined);
    }, ms);
  }

  _maybeEnd() {
    if (this.finished && this.drops === 0 && !this.ended) {
      this.ended = true;
      hostRuns.delete(this.id);
      batches.unregister(this);
      native.batchFree(this.id);
      this.hooks.finish();
    }
  }

  /** A native op of the batch settled in the core: `status` 0 with its value (a sleep
   * op keeps its own), else the reason. The op keeps that outcome. */
  _settled(j, status, payload) {
    const op = this._take(j);
    if (status === 0) {
      const value = op._kind === NATIVE ? payload : op._value;
      op._settle(true, value);
      this.hooks.sink(j, true, value);
    } else {
      const reason = fromStatus(status, payload);
      op._settle(false, reason);
      this.hooks.sink(j, false, reason);
    }
  }

  _start(j) {
    const hooks = this.hooks;
    const task = this._take(j);
    let result;
    if (hooks.invoke !== null) {
      this.running.set(j, null);
      try {
        result = isThenable(task)
          ? Promise.resolve(task).then((element) => hooks.invoke(element, j))
          : hooks.invoke(task, j);
      } catch (e) {
        this.advance(j, false, e);
        return;
      }
    } else if (task instanceof Op) {
      // An op already under way elsewhere (or given twice): awaited here.
      this.running.set(j, task);
      task._watch((ok, v) => this.advance(j, ok, v));
      return;
    } else if (typeof task === 'function') {
      const ctx = new TaskContext();
      this.running.set(j, ctx);
      try {
        result = task(ctx);
      } catch (e) {
        this.advance(j, false, e);
        return;
      }
    } else {
      // A promise given directly: it is already running, so it is only awaited here.
      this.running.set(j, null);
      result = task;
    }
    if (isThenable(result)) {
      try {
        result.then(
          (v) => this.advance(j, true, v),
          (e) => this.advance(j, false, e),
        );
      } catch (e) {
        this.advance(j, false, e);
      }
    } else {
      this.advance(j, true, result);
    }
  }

  _cancel(j, status) {
    const task = this.running.get(j);
    this.running.delete(j);
    const reason = fromStatus(status);
    if (task instanceof Op) {
      const awaitDrop = task._cancel(reason, () => {
        this.drops--;
        this._maybeEnd();
      });
      if (awaitDrop) this.drops++;
    } else if (task instanceof TaskContext) {
      task._abort(reason);
    }
    this.hooks.sink(j, false, reason);
  }

  _skip(j, status) {
    this._take(j);
    this.hooks.sink(j, false, fromStatus(status));
  }
}

/** The bridge says native ops of host-driven batch `id` ended. */
function wakeRun(id) {
  const run = hostRuns.get(id);
  if (run !== undefined) run.advance(-1, true, undefined);
}

// ---------------------------------------------------------------------------------
// settle

/** True when every task is a distinct fresh op: the batch can run wholly in Rust. The
 * ops are then CLAIMED (so a duplicate shows); otherwise they are left as they were. */
function claimFreshOps(list) {
  for (let i = 0; i < list.length; i++) {
    const t = list[i];
    if (!(t instanceof Op) || t._state !== FRESH) {
      for (let k = 0; k < i; k++) list[k]._state = FRESH;
      return false;
    }
    t._state = CLAIMED;
  }
  return true;
}

function settleNative(list, o, onProgress, signal) {
  const n = list.length;
  const kinds = new Uint8Array(n);
  const delays = new Float64Array(n);
  const messages = [];
  const handles = new Uint32Array(n);
  let h = 0;
  for (let i = 0; i < n; i++) {
    const op = list[i];
    kinds[i] = op._kind;
    delays[i] = op._ms;
    if (op._kind === FAIL) messages.push(op._value);
    else if (op._kind === NATIVE) handles[h++] = op._value;
  }
  const natives = handles.subarray(0, h);
  const id = nextBatchId;
  nextBatchId = nextBatchId >= 0x7fffffff ? 1 : nextBatchId + 1;
  try {
    native.settleNative(id, kinds, delays, messages, natives, o, onProgress !== null);
  } catch (e) {
    for (let i = 0; i < n; i++) list[i]._state = FRESH;
    return Promise.reject(toFanio(e));
  }
  // The batch runs on the runtime meanwhile: build the results now, as if every op
  // fulfils, so only rejections are left to patch when it ends.
  const results = new Array(n);
  for (let i = 0; i < n; i++) {
    const op = list[i];
    op._state = RUNNING;
    results[i] = { status: 'fulfilled', value: op._kind === SLEEP ? op._value : undefined };
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => native.abortBatch(id);
    if (signal !== null) signal.addEventListener('abort', onAbort, { once: true });
    nativeBatches.set(id, {
      total: n,
      onProgress,
      /** What onProgress threw (`{ error }`), which aborted the batch. */
      thrown: null,
      done(aborted) {
        if (signal !== null) signal.removeEventListener('abort', onAbort);
        if (aborted) {
          // Every op future was dropped: each op settles as cancelled, as in the core.
          const reason = this.thrown === null ? cancelledBy(signal) : fromStatus(S_CANCELLED);
          for (let i = 0; i < n; i++) list[i]._settle(false, reason);
          reject(this.thrown === null ? abortReason(signal) : this.thrown.error);
          return;
        }
        const statuses = new Uint8Array(n);
        const [rejections, values] = native.takeBatch(id, statuses, kinds);
        let m = 0;
        let v = 0;
        for (let i = 0; i < n; i++) {
          const op = list[i];
          if (statuses[i] === 0) {
            if (op._kind === NATIVE) {
              const value = values[v++];
              results[i].value = value;
              op._settle(true, value);
            } else {
              op._settle(true, op._value);
            }
          } else {
            const reason = fromStatus(statuses[i], rejections[m++]);
            op._settle(false, reason);
            results[i] = { status: 'rejected', reason };
          }
        }
        resolve(results);
      },
    });
  });
}

function settleHost(list, o, onProgress, signal) {
  const n = list.length;
  let id;
  try {
    id = newBatch(o, 'limit', false, onProgress !== null);
  } catch (e) {
    return Promise.reject(e);
  }
  feedBatch(id, list, false);
  native.batchPulled(id, true);
  return new Promise((resolve, reject) => {
    const results = new Array(n);
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      run.stop(S_CANCELLED);
    };
    const run = new Run(id, list, {
      invoke: null,
      sink(j, ok, value) {
        results[j] = ok ? { status: 'fulfilled', value } : { status: 'rejected', reason: value };
      },
      onProgress,
      pull: () => false,
      finish() {
        if (signal !== null) signal.removeEventListener('abort', onAbort);
        if (run.thrown !== null) reject(run.thrown.error);
        else if (aborted) reject(abortReason(signal));
        else resolve(results);
      },
    });
    if (signal !== null) signal.addEventListener('abort', onAbort, { once: true });
    run.advance(-1, true, undefined);
  });
}

/**
 * Runs every task under the options; resolves with exactly what Promise.allSettled
 * gives, in input order.
 */
async function settle(tasks, options) {
  const list = toArray(tasks, 'tasks');
  try {
    const { o, onProgress, signal } = readOptions(options, 'limit');
    for (let i = 0; i < list.length; i++) checkTask(list[i], i);
    if (signal?.aborted) {
      // Options are still checked first: a bad option is the caller's error either way.
      native.batchFree(newBatch(o, 'limit', false, false));
      throw abortReason(signal);
    }
    if (claimFreshOps(list)) return await settleNative(list, o, onProgress, signal);
    return await settleHost(list, o, onProgress, signal);
  } catch (e) {
    // Refused (or stopped): the ops it was handed are not the caller's to await any more.
    handOver(list);
    throw e;
  }
}

// ---------------------------------------------------------------------------------
// Streams: outcomes as they complete, from a source (an iterable or an async
// iterable) pulled lazily, one item per free slot. asSettled, map and mapIterable are
// the same stream read three ways.

/** An iterator over `input`, sync or async; anything else is E_INVALID_ARGUMENT. */
function openSource(input, what) {
  if (input != null && typeof input !== 'string') {
    if (typeof input[Symbol.asyncIterator] === 'function') return { it: input[Symbol.asyncIterator](), async: true };
    if (typeof input[Symbol.iterator] === 'function') return { it: input[Symbol.iterator](), async: false };
  }
  throw invalid(`${what} must be an iterable or an async iterable, got ${describe(input)}`);
}

/** One host-driven stream: the core's Batch decides, this carries out. */
class Stream {
  /**
   * `id`: a stream batch; `source`: from openSource; `invoke`: map's mapper (null: the
   * items are tasks); `check(item, i)`: throws for a bad item.
   */
  constructor(id, source, invoke, check, onProgress, signal) {
    this.id = id;
    this.source = source;
    this.check = check;
    this.signal = signal;
    this.out = [];
    this.outHead = 0;
    /** Items handed over so far (an item's index, for messages). */
    this.fed = 0;
    /** The iterator itself is done (or threw): it is not returned early. */
    this.exhausted = false;
    this.error = null;
    this.ended = false;
    this.wakeConsumer = null;
    this.ranOut = new Promise((resolve) => {
      this.endRun = resolve;
    });
    this.run = new Run(id, new Map(), {
      invoke,
      sink: (j, ok, value) => {
        this.out.push(ok ? { index: j, status: 'fulfilled', value } : { index: j, status: 'rejected', reason: value });
        this._wake();
      },
      onProgress,
      pull: (want) => this._pull(want),
      finish: () => {
        if (this.run.thrown !== null && this.error === null) this.error = this.run.thrown.error;
        this.ended = true;
        this.endRun();
        this._wake();
      },
    });
    this.onAbort = () => this.fail(abortReason(signal));
    if (signal !== null) signal.addEventListener('abort', this.onAbort, { once: true });
    this.run.advance(-1, true, undefined);
  }

  _wake() {
    const w = this.wakeConsumer;
    if (w !== null) {
      this.wakeConsumer = null;
      w();
    }
  }

  /** Hands `items` to the core (map's items are elements: all run here). */
  _feed(items) {
    const first = feedBatch(this.id, items, this.run.hooks.invoke !== null);
    for (let k = 0; k < items.length; k++) this.run.items.set(first + k, items[k]);
    this.fed += items.length;
  }

  /** Pulls up to `want` items, as the core asks; true if they were handed over now. */
  _pull(want) {
    if (this.source.async) {
      this._pullAsync(want);
      return false;
    }
    const items = [];
    let done = false;
    try {
      for (let k = 0; k < want; k++) {
        const step = this.source.it.next();
        if (step.done) {
          done = this.exhausted = true;
          break;
        }
        this.check(step.value, this.fed + k);
        items.push(step.value);
      }
    } catch (e) {
      this.exhausted = true;
      this._feed(items);
      this._failed(e);
      return true;
    }
    this._feed(items);
    native.batchPulled(this.id, done);
    return true;
  }

  /** An async source gives one item per `next()`; each is handed over as it comes. */
  async _pullAsync(want) {
    let done = false;
    try {
      for (let k = 0; k < want && !this.run.ended && this.error === null; k++) {
        const step = await this.source.it.next();
        if (this.run.ended) return;
        if (step.done) {
          done = this.exhausted = true;
          break;
        }
        this.check(step.value, this.fed);
        this._feed([step.value]);
        this.run.advance(-1, true, undefined);
      }
    } catch (e) {
      this.exhausted = true;
      if (!this.run.ended) this._failed(e);
      return;
    }
    if (this.run.ended) return;
    native.batchPulled(this.id, done);
    this.run.advance(-1, true, undefined);
  }

  /** The source threw: the stream stops with that error. */
  _failed(e) {
    if (this.error === null) this.error = toFanio(e);
    native.batchFail(this.id);
  }

  /** Stops the stream: every item in flight is dropped and every handed-over one skipped. */
  fail(e) {
    if (this.error === null) this.error = e;
    this.run.fail();
    this._wake();
  }

  /** The next outcome as it completes, or null at the end; throws what stopped the
   * stream. The consumer says it has read it with `read()`. */
  async next() {
    for (;;) {
      if (this.error !== null) throw this.error;
      if (this.outHead < this.out.length) {
        const item = this.out[this.outHead];
        this.out[this.outHead++] = undefined;
        if (this.outHead === this.out.length) {
          this.out.length = 0;
          this.outHead = 0;
        }
        return item;
      }
      if (this.ended) return null;
      await new Promise((resolve) => {
        this.wakeConsumer = resolve;
      });
    }
  }

  /** `n` outcomes were consumed: held-back items may start. */
  read(n) {
    this.run.reads += n;
    if (this.outHead === this.out.length) this.run.advance(-1, true, undefined);
  }

  /** The consumer is done (finished, left or failed): drop what runs and wait until the
   * native ops among it are gone; close the source if it was left unfinished. */
  async close() {
    if (this.signal !== null) this.signal.removeEventListener('abort', this.onAbort);
    if (!this.ended) {
      if (this.error === null) this.error = fromStatus(S_CANCELLED);
      this.run.fail();
      await this.ranOut;
    }
    if (!this.exhausted && typeof this.source.it.return === 'function') {
      try {
        await this.source.it.return();
      } catch {}
    }
  }
}

/** A stream batch for `options` (limit under `limitName`), or throws what is wrong. */
function openStream(input, what, options, limitName, invoke, check) {
  const source = openSource(input, what);
  const { o, onProgress, signal } = readOptions(options, limitName);
  const id = newBatch(o, limitName, true, onProgress !== null);
  if (signal?.aborted) {
    native.batchFree(id);
    throw abortReason(signal);
  }
  return new Stream(id, source, invoke, check, onProgress, signal);
}

async function* asSettled(tasks, options) {
  const stream = openStream(tasks, 'tasks', options, 'limit', null, checkTask);
  try {
    for (;;) {
      const item = await stream.next();
      if (item === null) return;
      yield item;
      // The consumer came back for more: it has read that outcome.
      stream.read(1);
    }
  } finally {
    await stream.close();
  }
}

// ---------------------------------------------------------------------------------
// map and mapIterable: p-map's pMap and pMapIterable on the same engine.

/** Returned by a mapper, leaves its element out of the results (p-map's pMapSkip). */
const mapSkip = Symbol('fanio.mapSkip');

function mapOptions(mapper, options, extra) {
  if (typeof mapper !== 'function') throw invalid(`mapper must be a function, got ${describe(mapper)}`);
  if (options != null && typeof options !== 'object') {
    throw invalid(`options must be an object, got ${describe(options)}`);
  }
  return { concurrency: options?.concurrency, signal: options?.signal, ...extra };
}

const anyItem = () => {};
/** p-map awaits an element that is a promise before it calls the mapper with it. */
const invoking = (mapper) => (element, j) =>
  isThenable(element) ? Promise.resolve(element).then((e) => mapper(e, j)) : mapper(element, j);

/** p-map's semantics: results in input order, input pulled lazily (an async iterable
 * too), `mapSkip` leaves an element out, stopOnError false collects an AggregateError. */
async function map(input, mapper, options) {
  const stopOnError = options?.stopOnError ?? true;
  const opts = mapOptions(mapper, options, { failFast: Boolean(stopOnError) });
  const stream = openStream(input, 'input', opts, 'concurrency', invoking(mapper), anyItem);
  const results = [];
  const errors = [];
  try {
    for (;;) {
      const item = await stream.next();
      if (item === null) break;
      stream.read(1);
      if (item.status === 'fulfilled') results[item.index] = item.value;
      else if (stopOnError) throw item.reason;
      else errors.push(item);
    }
  } finally {
    await stream.close();
  }
  if (errors.length > 0) {
    errors.sort((a, b) => a.index - b.index);
    throw new AggregateError(errors.map((e) => e.reason));
  }
  const out = [];
  for (let i = 0; i < results.length; i++) if (results[i] !== mapSkip) out.push(results[i]);
  return out;
}

/** p-map's pMapIterable: the mapper's results in input order as they become ready;
 * no new call starts while `backpressure` results (default: concurrency) wait
 * unconsumed. The first error is thrown when its turn comes. */
async function* mapIterable(input, mapper, options) {
  const opts = mapOptions(mapper, options, { failFast: true });
  const backpressure = options?.backpressure ?? options?.concurrency;
  if (backpressure != null && !(typeof backpressure === 'number' && backpressure >= (options?.concurrency ?? 1))) {
    throw invalid(`backpressure must be a number >= concurrency, got ${describe(backpressure)}`);
  }
  const stream = openStream(input, 'input', opts, 'concurrency', invoking(mapper), anyItem);
  if (backpressure != null && backpressure !== Infinity) native.batchUnreadBound(stream.id, backpressure);
  /** Completed out of order, by index, until their turn. */
  const ready = new Map();
  let turn = 0;
  try {
    for (;;) {
      while (ready.has(turn)) {
        const item = ready.get(turn);
        ready.delete(turn++);
        stream.read(1);
        if (item.status === 'rejected') throw item.reason;
        if (item.value !== mapSkip) yield item.value;
      }
      const item = await stream.next();
      if (item === null) return;
      ready.set(item.index, item);
    }
  } finally {
    await stream.close();
  }
}

module.exports = { settle, asSettled, map, mapIterable, mapSkip };
