'use strict';
// The numbers the addon and this package share (record kinds, op kinds, the io layout
// of a host-driven batch, action tags, query and column kinds), read from the addon
// once at load: bindings-node/src/wire.rs defines each of them once. Asking for a name
// the addon does not define throws here, at load, rather than misreading a buffer later.

const table = require('./native.js').wire();

/** The shared number `name`. */
function wire(name) {
  const value = table[name];
  if (typeof value !== 'number') throw new Error(`fanio: the addon defines no shared number ${name}`);
  return value;
}

module.exports = { wire, table };
