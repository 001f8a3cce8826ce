'use strict';
// Rows of a database result, built from the columns the addon hands over in bulk
// (bindings-node/src/db/columns.rs says the layout): numbers, dates and offsets in one
// Float64Array of words, text and null flags in one Buffer. A Node-API call per cell
// cost more than the query; here a column is one tight loop over a typed array, and a
// row is an object literal compiled per column list.

/** Column kinds, as columns.rs numbers them. */
const NUMBER = 0;
const BIGINT = 1;
const BOOL = 2;
const DATE = 3;
const TEXT = 4;
const JSON_DOCS = 5;

const parseJson = JSON.parse;

/** Column `c` as a JS array of its `count` values. */
function column(words, bytes, values, c, count) {
  const kind = words[3 * c];
  const at = words[3 * c + 1];
  const nullAt = words[3 * c + 2];
  let col;
  // One loop per kind keeps each loop's reads and writes of one type.
  switch (kind) {
    case NUMBER:
      col = new Array(count);
      for (let r = 0; r < count; r++) col[r] = words[at + r];
      break;
    case BIGINT: {
      // A view made per column, not kept: kept, it would pin a large result's memory.
      const bigs = new BigInt64Array(words.buffer);
      col = new Array(count);
      for (let r = 0; r < count; r++) col[r] = bigs[at + r];
      break;
    }
    case BOOL:
      col = new Array(count);
      for (let r = 0; r < count; r++) col[r] = words[at + r] === 1;
      break;
    case DATE:
      col = new Array(count);
      for (let r = 0; r < count; r++) {
        const ms = words[at + r];
        // A Date cannot be infinite: Postgres's infinities read as it writes them.
        col[r] = ms === Infinity ? 'infinity' : ms === -Infinity ? '-infinity' : new Date(ms);
      }
      break;
    case TEXT:
      col = new Array(count);
      // utf8Slice copies (no string keeps the scratch alive) and skips the argument
      // checks of toString('utf8', start, end), which cost a third more here.
      for (let r = 0; r < count; r++) col[r] = bytes.utf8Slice(words[at + r], words[at + r + 1]);
      break;
    case JSON_DOCS:
      // One parse of the column's documents as one array: `__proto__` keys become
      // own properties, as JSON.parse makes them.
      col = parseJson(bytes.utf8Slice(words[at], words[at + 1]));
      break;
    default:
      col = values[c];
  }
  if (nullAt >= 0) {
    for (let r = 0; r < count; r++) if (bytes[nullAt + r] === 1) col[r] = null;
  }
  return col;
}

/** A property key of a compiled literal: `__proto__` becomes a computed key, so it is
 * an own property and never the object's prototype. */
const key = (name) => (name === '__proto__' ? '["__proto__"]' : JSON.stringify(name));

/** The row builder of one column list (the addon caches it per statement). Literals
 * made by `new Function` are far faster for V8 than keys assigned in a loop; later
 * duplicate names win, as in pg. */
function makeShape(names) {
  const width = names.length;
  /* eslint-disable no-new-func */
  const object = new Function('c', 'r', `return {${names.map((n, i) => `${key(n)}: c[${i}][r]`).join(', ')}};`);
  const array = new Function('c', 'r', `return [${names.map((_, i) => `c[${i}][r]`).join(', ')}];`);
  /* eslint-enable no-new-func */
  return function build(words, bytes, values, count, asArrays, single) {
    const cols = new Array(width);
    for (let c = 0; c < width; c++) cols[c] = column(words, bytes, values, c, count);
    const row = asArrays ? array : object;
    if (single) return row(cols, 0);
    const rows = new Array(count);
    for (let r = 0; r < count; r++) rows[r] = row(cols, r);
    return rows;
  };
}

module.exports = { makeShape };
