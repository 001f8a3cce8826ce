'use strict';
// Rows of a database result, built from the columns the addon hands over in bulk
// (bindings-node/src/db/columns.rs says the layout): numbers, dates and offsets in one
// Float64Array of words, text and null flags in one Buffer. A Node-API call per cell
// cost more than the query; here one loop compiled per column list and kinds reads
// the typed arrays straight into row literals, which V8 builds far faster than
// properties assigned one by one (and faster than filling column arrays first).

const { wire } = require('./wire.js');

/** Column kinds, as columns.rs numbers them. */
const NUMBER = wire('COLUMN_NUMBER');
const BIGINT = wire('COLUMN_BIGINT');
const BOOL = wire('COLUMN_BOOL');
const DATE = wire('COLUMN_DATE');
const TEXT = wire('COLUMN_TEXT');
const JSON_DOCS = wire('COLUMN_JSON');
const VALUES = wire('COLUMN_VALUES');

// Taken once, as the addon's own calls were: a program that replaces Date or Buffer
// methods later does not change what rows are made of.
const NativeDate = Date;
const parse = JSON.parse;
// utf8Slice copies (no string keeps the scratch alive) and skips the argument checks
// of toString('utf8', start, end), which cost a third more here.
const { utf8Slice } = Buffer.prototype;

/** A Date cannot be infinite: Postgres's infinities read as it writes them. */
const date = (ms) => (ms === Infinity ? 'infinity' : ms === -Infinity ? '-infinity' : new NativeDate(ms));

/** A property key of a compiled literal: `__proto__` becomes a computed key, so it is
 * an own property and never the object's prototype. */
const key = (name) => (name === '__proto__' ? '["__proto__"]' : JSON.stringify(name));

/** Compiled builders kept per column list; more kinds than this for one statement
 * (SQLite columns that change type) start the cache afresh. */
const KINDS_KEPT = 8;

/** The source reading column `i` of row `r`: `w` the words, `b` the bytes, `a<i>` the
 * column's first word, `n<i>` where its null flags start (-1: none), `c<i>` a column
 * that arrives as a whole array. */
function cell(kind, i) {
  const at = `w[a${i} + r]`;
  let v;
  switch (kind) {
    case NUMBER:
      v = at;
      break;
    case BIGINT:
      v = `g[a${i} + r]`;
      break;
    case BOOL:
      v = `${at} === 1`;
      break;
    case DATE:
      v = `date(${at})`;
      break;
    case TEXT:
      return `(n${i} >= 0 && b[n${i} + r] === 1 ? null : slice.call(b, ${at}, w[a${i} + r + 1]))`;
    default:
      return `c${i}[r]`; // JSON_DOCS, VALUES: nulls are in the array already
  }
  return `(n${i} >= 0 && b[n${i} + r] === 1 ? null : ${v})`;
}

/** The builder of rows with these names and column kinds. */
function compile(names, kinds) {
  const setup = kinds.map((kind, i) => {
    const from = `const a${i} = w[${3 * i + 1}], n${i} = w[${3 * i + 2}];`;
    // One JSON.parse of the column's documents as one array: `__proto__` keys become
    // own properties, as JSON.parse makes them.
    if (kind === JSON_DOCS) return `${from} const c${i} = parse(slice.call(b, w[a${i}], w[a${i} + 1]));`;
    if (kind === VALUES) return `const c${i} = v[${i}];`;
    return from;
  });
  // A view made per result, not kept: kept, it would pin a large result's memory.
  if (kinds.includes(BIGINT)) setup.push('const g = new BigInt64Array(w.buffer);');
  const cells = kinds.map(cell);
  const object = `{${names.map((n, i) => `${key(n)}: ${cells[i]}`).join(', ')}}`;
  const array = `[${cells.join(', ')}]`;
  // eslint-disable-next-line no-new-func
  return new Function(
    'date',
    'parse',
    'slice',
    `return function compiled(w, b, v, count, asArrays, single) {
    ${setup.join('\n    ')}
    if (single) { const r = 0; return asArrays ? ${array} : ${object}; }
    const rows = new Array(count);
    if (asArrays) for (let r = 0; r < count; r++) rows[r] = ${array};
    else for (let r = 0; r < count; r++) rows[r] = ${object};
    return rows;
  };`,
  )(date, parse, utf8Slice);
}

/** The row builder of one column list (the addon caches it per statement); later
 * duplicate names win, as in pg. */
function makeShape(names) {
  const width = names.length;
  const byKinds = new Map();
  return function build(words, bytes, values, count, asArrays, single) {
    let kinds = '';
    for (let c = 0; c < width; c++) kinds += words[3 * c];
    let make = byKinds.get(kinds);
    if (make === undefined) {
      if (byKinds.size >= KINDS_KEPT) byKinds.clear();
      make = compile(names, Array.from(kinds, Number));
      byKinds.set(kinds, make);
    }
    return make(words, bytes, values, count, asArrays, single);
  };
}

module.exports = { makeShape };
