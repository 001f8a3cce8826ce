'use strict';
// Errors: one code per kind, learnt from the core. Every rejection from fanio is a
// FanioError whose `.code` is the core's code; the addon sends a status number and a
// reason, made into an error here only when JS needs it.

const native = require('./native.js');

const CODE_ROWS = native.codes();
/** Status number k (k >= 1) is the code CODES[k - 1]; 0 means fulfilled. */
const CODES = CODE_ROWS.map((row) => row[0]);
const STOPPED_MESSAGES = CODE_ROWS.map((row) => row[1]);
const STATUS = Object.fromEntries(CODES.map((code, i) => [code, i + 1]));
const S_CANCELLED = STATUS.E_CANCELLED;

/** Every rejection from fanio is a FanioError: an Error whose `.code` is the core's code. */
class FanioError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.code = code;
  }
}
Object.defineProperty(FanioError.prototype, 'name', { value: 'FanioError', configurable: true, writable: true });

/** The FanioError of a rejection: `reason` is what the addon sent (a message, or
 * `[message, fields]` when the error has fields such as `status` or `sqlstate`). */
function fromStatus(status, reason) {
  if (reason === undefined) return new FanioError(CODES[status - 1], STOPPED_MESSAGES[status - 1]);
  if (typeof reason === 'string') return new FanioError(CODES[status - 1], reason);
  return Object.assign(new FanioError(CODES[status - 1], reason[0]), reason[1]);
}

function invalid(message) {
  return new FanioError('E_INVALID_ARGUMENT', message);
}

/** The addon throws plain Errors with `.code` (and fields); callers get FanioErrors. */
function toFanio(e) {
  if (e instanceof FanioError || !(e instanceof Error) || typeof e.code !== 'string' || !e.code.startsWith('E_')) {
    return e;
  }
  const { code, message, stack, ...fields } = e;
  return Object.assign(new FanioError(code, message), fields);
}

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

module.exports = { CODES, S_CANCELLED, FanioError, fromStatus, invalid, toFanio, describe };
