'use strict';
// The completion bridge: every native run reports back here, in bursts. The addon
// queues records (kind, id, value) and wakes this thread once per burst; each kind of
// record is handled by the module that owns it (`route`). Reasons of rejections and
// values of native ops travel beside the records and are converted only when a
// handler asks for them, in record order.

const native = require('./native.js');
const { wire } = require('./wire.js');

const RECORD_WIDTH = wire('RECORD_WIDTH');
const bridgeBuf = new Int32Array(RECORD_WIDTH * 8192);
/** Handlers by record kind: `(id, value, drained)`. */
const routes = new Map();

/** What the last drain brought beside its records, converted on first use. */
class Drained {
  constructor() {
    this.reasons = null;
    this.m = 0;
    this.values = null;
    this.v = 0;
  }

  /** The reason of the next rejected op. */
  reason() {
    if (this.reasons === null) this.reasons = native.drainReasons();
    return this.reasons[this.m++];
  }

  /** The value of the next fulfilled native op. */
  value() {
    if (this.values === null) this.values = native.drainValues();
    return this.values[this.v++];
  }
}

function onWake() {
  for (;;) {
    const n = native.drain(bridgeBuf);
    if (n === 0) return;
    const drained = new Drained();
    for (let k = 0; k < n; k++) {
      const at = RECORD_WIDTH * k;
      routes.get(bridgeBuf[at])(bridgeBuf[at + 1], bridgeBuf[at + 2], drained);
    }
  }
}
native.initBridge(onWake);

/** Records of `kind` (a RECORD_* name) go to `handler(id, value, drained)`. */
function route(kind, handler) {
  routes.set(wire(kind), handler);
}

module.exports = { route };
