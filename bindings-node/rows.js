'use strict';
// Rows of a database result, built from the columns the addon hands over in bulk
// (bindings-node/src/db/columns.rs says the layout): numbers, dates and offsets in one
// Float64Array of words, text and null flags in one Buffer. A Node-API call per cell
// cost more than the query; here one loop compiled per column list and kinds reads
// the typed arrays straight into row literals, which V8 builds far faster than
// properties assigned one by one (and faster than filling column arrays first).

/** Column kinds, as columns.rs numbers them. */
const NUMBER = 0;
const BIGINT = 1;
const BOOL = 2;
const DATE = 3;
const TEXT = 4;
const JSON_DOCS = 5;
const VALUES = 6;

/** A Date cannot be infinite: Postgres's infinities read as it writes them. */
const date = (ms) => (ms === Infinity ? 'infinity' : ms === -Infinity ? '-infinity' : new Date(ms));

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
    case NUMBER: v = at; break;
    case BIGINT: v = `g[a${i} + r]`; break;
    case BOOL: v = `${at} === 1`; break;
    case DATE: v = `date(${at})`; break;
    // utf8Slice copies (no string keeps the scratch alive) and skips the argument
    // checks of toString('utf8', start, end), which cost a third more here.
    case TEXT: return `(n${i} >= 0 && b[n${i} + r] === 1 ? null : b.utf8Slice(${at}, w[a${i} + r + 1]))`;
    default: return `c${i}[r]`; // JSON_DOCS, VALUES: nulls are in the array already
  }
  return `(n${i} >= 0 && b[n${i} + r] === 1 ? null : ${v})`;
}

/** The builder of rows with these names and column kinds. */
function compile(names, kinds) {
  const setup = kinds.map((kind, i) => {
    const from = `const a${i} = w[${3 * i + 1}], n${i} = w[${3 * i + 2}];`;
    // One JSON.parse of the column's documents as one array: `__proto__` keys become
    // own properties, as JSON.parse makes them.
    if (kind === JSON_DOCS) return `${from} const c${i} = parse(b.utf8Slice(w[a${i}], w[a${i} + 1]));`;
    if (kind === VALUES) return `const c${i} = v[${i}];`;
    return from;
  });
  // A view made per result, not kept: kept, it would pin a large result's memory.
  if (kinds.includes(BIGINT)) setup.push('const g = new BigInt64Array(w.buffer);');
  const cells = kinds.map(cell);
  const object = `{${names.map((n, i) => `${key(n)}: ${cells[i]}`).join(', ')}}`;
  const array = `[${cells.join(', ')}]`;
  // eslint-disable-next-line no-new-func
  return new Function('date', 'parse', `return function rows(w, b, v, count, asArrays, single) {
    ${setup.join('\n    ')}
    if (single) { const r = 0; return asArrays ? ${array} : ${object}; }
    const rows = new Array(count);
    if (asArrays) for (let r = 0; r < count; r++) rows[r] = ${array};
    else for (let r = 0; r < count; r++) rows[r] = ${object};
    return rows;
  };`)(date, JSON.parse);
}

/** The row builder of one column list (the addon caches it per statement); later
 * duplicate names win, as in pg. */
function makeShape(names) {
  const width = names.length;
  const compiled = new Map();
  return function build(words, bytes, values, count, asArrays, single) {
    let kinds = '';
    for (let c = 0; c < width; c++) kinds += words[3 * c];
    let rows = compiled.get(kinds);
    if (rows === undefined) {
      if (compiled.size >= KINDS_KEPT) compiled.clear();
      rows = compile(names, Array.from(kinds, Number));
      compiled.set(kinds, rows);
    }
    return rows(words, bytes, values, count, asArrays, single);
  };
}

module.exports = { makeShape };
