'use strict';
// Ops: lazy thenables. Plain JS objects, so making 100,000 of them is cheap; the addon
// reads their kind and delay once, when a batch (or an await) starts them. An op
// awaited alone is started here, in bursts (one addon call per microtask burst), and
// hears of its end through the bridge.

const native = require('./native.js');
const { wire } = require('./wire.js');
const { route } = require('./bridge.js');
const { fromStatus, invalid, toFanio, describe, FanioError } = require('./errors.js');

const SLEEP = wire('OP_SLEEP');
const FAIL = wire('OP_FAIL');
/** An op the addon made (a request, a query): `_value` holds its handle (a number). */
const NATIVE = wire('OP_NATIVE');
const FRESH = 0;
const RUNNING = 1;
const FULFILLED = 2;
const REJECTED = 3;
/** Taken by the batch being checked (duplicates in one batch make it a host batch). */
const CLAIMED = 4;

/** What a started or awaited op needs; fresh ops in a native batch never get one. */

/** Running single ops by slot; a slot is reused only once the addon reports it ended. */
const slotOps = [];
const freeSlots = [];
/** Starts not yet handed to the addon: flushed once per microtask burst. */
const stage = {
  n: 0,
  slots: new Int32Array(1024),
  kinds: new Uint8Array(1024),
  delays: new Float64Array(1024),
  messages: [],
  natives: [],
};
let flushQueued = false;

// A single run ended (or, after `_cancel`, was dropped): its slot is free again.
route('RECORD_OP_DONE', (slot, status, drained) => {
  const op = slotOps[slot];
  slotOps[slot] = undefined;
  freeSlots.push(slot);
  let result;
  if (status !== 0) result = drained.reason();
  else if (op._kind === NATIVE) result = drained.value();
  op._ended(status, result);
});

function growStage() {
  const size = stage.slots.length * 2;
  const slots = new Int32Array(size);
  slots.set(stage.slots);
  const kinds = new Uint8Array(size);
  kinds.set(stage.kinds);
  const delays = new Float64Array(size);
  delays.set(stage.delays);
  stage.slots = slots;
  stage.kinds = kinds;
  stage.delays = delays;
}

function startSingle(op) {
  const slot = freeSlots.length > 0 ? freeSlots.pop() : slotOps.length;
  slotOps[slot] = op;
  op._record().slot = slot;
  const n = stage.n;
  if (n === stage.slots.length) growStage();
  stage.slots[n] = slot;
  stage.kinds[n] = op._kind;
  stage.delays[n] = op._ms;
  if (op._kind === FAIL) stage.messages.push(op._value);
  else if (op._kind === NATIVE) stage.natives.push(op._value);
  stage.n = n + 1;
  if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flushStarts);
  }
}

function flushStarts() {
  flushQueued = false;
  const n = stage.n;
  if (n === 0) return;
  stage.n = 0;
  const { messages, natives } = stage;
  stage.messages = [];
  stage.natives = [];
  native.startOps(n, stage.slots, stage.kinds, stage.delays, messages, Uint32Array.from(natives));
}

class OpRun {
  constructor() {
    this.promise = null;
    this.resolve = null;
    this.reject = null;
    this.watchers = null;
    /** Its slot in the bridge while a single native run is under way. */
    this.slot = -1;
    this.onDrop = null;
    /** Runs once the op settles (removes an abort listener). */
    this.cleanup = null;
  }
}

class Op {
  constructor(kind, ms, payload) {
    this._kind = kind;
    this._ms = ms;
    /** Until it settles: the value of a sleep op, the message of a fail op. Then: its
     * value or its reason. (Five fields: a batch makes 100,000 of these at once.) */
    this._value = payload;
    this._state = FRESH;
    this._run = null;
  }

  then(onFulfilled, onRejected) {
    return this._settled().then(onFulfilled, onRejected);
  }

  catch(onRejected) {
    return this._settled().then(undefined, onRejected);
  }

  finally(onFinally) {
    return this._settled().finally(onFinally);
  }

  get [Symbol.toStringTag]() {
    return 'FanioOp';
  }

  _record() {
    if (this._run === null) this._run = new OpRun();
    return this._run;
  }

  /** The op's one promise, made on first use; starts the op if it is fresh. */
  _settled() {
    const run = this._record();
    if (run.promise === null) {
      if (this._state === FULFILLED) {
        run.promise = Promise.resolve(this._value);
      } else if (this._state === REJECTED) {
        run.promise = Promise.reject(this._value);
      } else {
        run.promise = new Promise((resolve, reject) => {
          run.resolve = resolve;
          run.reject = reject;
        });
        if (this._state === FRESH) this._start();
      }
    }
    return run.promise;
  }

  _start() {
    this._state = RUNNING;
    startSingle(this);
  }

  /** A host batch awaits the op: `fn(ok, result)` once it settles (never synchronously). */
  _watch(fn) {
    if (this._state === FULFILLED || this._state === REJECTED) {
      queueMicrotask(() => fn(this._state === FULFILLED, this._value));
      return;
    }
    const run = this._record();
    if (run.watchers === null) run.watchers = [];
    run.watchers.push(fn);
    if (this._state === FRESH) this._start();
  }

  _settle(ok, result) {
    if (this._state === FULFILLED || this._state === REJECTED) return;
    this._state = ok ? FULFILLED : REJECTED;
    this._value = result;
    const run = this._run;
    if (run === null) return;
    if (run.cleanup !== null) {
      run.cleanup();
      run.cleanup = null;
    }
    if (run.resolve !== null) {
      if (ok) run.resolve(result);
      else run.reject(result);
      run.resolve = run.reject = null;
    }
    const watchers = run.watchers;
    if (watchers !== null) {
      run.watchers = null;
      for (const fn of watchers) fn(ok, result);
    }
  }

  /** The addon says the native run ended (or, after `_cancel`, that it was dropped):
   * `result` is the reason of a rejection or the value of a fulfilled NATIVE op. */
  _ended(status, result) {
    const run = this._run;
    run.slot = -1;
    if (status === 0) this._settle(true, this._kind === NATIVE ? result : this._value);
    else this._settle(false, fromStatus(status, result));
    const onDrop = run.onDrop;
    if (onDrop !== null) {
      run.onDrop = null;
      onDrop();
    }
  }

  /** A host batch cut the op off: it settles with `reason` now; `onDrop` runs once its
   * Rust future is gone. Returns whether a drop is awaited. */
  _cancel(reason, onDrop) {
    let awaitDrop = false;
    const run = this._run;
    if (run !== null && run.slot >= 0) {
      run.onDrop = onDrop;
      if (stage.n > 0) flushStarts();
      native.cancelOp(run.slot);
      awaitDrop = true;
    }
    this._settle(false, reason);
    return awaitDrop;
  }
}

function checkDelay(ms) {
  if (typeof ms === 'number' && ms >= 0 && ms < Infinity) return;
  if (typeof ms !== 'number') throw invalid(`ms must be a number, got ${describe(ms)}`);
  try {
    native.checkDelay(ms, 'ms');
  } catch (e) {
    throw toFanio(e);
  }
}

/** An op that resolves with `value` after `ms` (0: one trip through the runtime). */
function sleep(ms, value) {
  checkDelay(ms);
  return new Op(SLEEP, ms, value);
}

/** An op that rejects after `ms` with a FanioError of code E_FAILED and `message`. */
function fail(ms, message) {
  checkDelay(ms);
  if (typeof message === 'string') return new Op(FAIL, ms, message);
  // String() of an array nested thousands deep overflows the stack (a RangeError), and
  // a toString may throw: either way the caller's value is bad, not the library.
  let text;
  try {
    text = String(message);
  } catch (e) {
    throw Object.assign(invalid(`message cannot be made a string: ${describe(message)}`), { cause: e });
  }
  return new Op(FAIL, ms, text);
}

function opStats() {
  return native.opStats();
}

function resetOpStats() {
  native.resetOpStats();
}

function cancelledBy(signal, what = 'the batch') {
  return new FanioError('E_CANCELLED', `${what} was cancelled by its signal`, { cause: signal.reason });
}

/** Handles of collected native ops, released in one call per burst of collections. */
let released = [];
let warnedUnawaited = false;
function releaseHandles() {
  const handles = Uint32Array.from(released);
  released = [];
  const unawaited = native.releaseNative(handles);
  // As Python warns of a coroutine never awaited: `client.get(url)` without `await` or a
  // batch is a bug, not a silent no-op. Once per process, as Node warns of other misuse.
  if (unawaited > 0 && !warnedUnawaited) {
    warnedUnawaited = true;
    process.emitWarning(
      `a fanio op (an HTTP request or a query) was collected without being awaited or settled (${unawaited} so far); await it or pass it to settle`,
      { type: 'FanioWarning', code: 'FANIO_OP_NEVER_AWAITED' },
    );
  }
}

/** A call took charge of these native ops without running them (a batch skipped them,
 * or refused its arguments): they are not reported as never awaited. */
function handOver(tasks) {
  for (const t of tasks) {
    if (t instanceof Op && t._kind === NATIVE && (t._state === FRESH || t._state === CLAIMED)) {
      native.handOverNative(t._value);
    }
  }
}
const nativeOps = new FinalizationRegistry((handle) => {
  if (released.length === 0) queueMicrotask(releaseHandles);
  released.push(handle);
});

/** An op of kind NATIVE around the handle of an op the addon made (a request, a
 * query); the addon keeps that op until this one is garbage. Aborting `signal` cancels
 * it in the core wherever it runs (alone or in a batch): a fresh op never starts, a
 * running one has its Rust future (and socket) dropped. */
function nativeOp(handle, signal) {
  const op = new Op(NATIVE, 0, handle);
  nativeOps.register(op, handle);
  if (signal == null) return op;
  if (!(signal instanceof AbortSignal)) throw invalid(`signal must be an AbortSignal, got ${describe(signal)}`);
  const onAbort = () => {
    if (op._state === FULFILLED || op._state === REJECTED) return;
    native.cancelNative(handle);
    // A running op ends through the bridge or its batch, as E_CANCELLED.
    if (op._state === FRESH) op._settle(false, cancelledBy(signal, 'the operation'));
  };
  if (signal.aborted) {
    onAbort();
    return op;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  op._record().cleanup = () => signal.removeEventListener('abort', onAbort);
  return op;
}

module.exports = {
  Op,
  sleep,
  fail,
  opStats,
  resetOpStats,
  nativeOp,
  handOver,
  cancelledBy,
  kinds: { SLEEP, FAIL, NATIVE },
  states: { FRESH, RUNNING, CLAIMED },
};
