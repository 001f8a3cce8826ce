// The numbers the addon and the JS share are defined once in Rust (src/wire.rs) and read
// at load: every name the JS asks for exists, and no two of one family collide.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const require = createRequire(import.meta.url);
const { table } = require('../bindings-node/wire.js');
const dir = new URL('../bindings-node/', import.meta.url);

test('every shared number the JS reads is defined by the addon', () => {
  const asked = new Set();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js') && f !== 'native.js')) {
    for (const m of readFileSync(new URL(file, dir), 'utf8').matchAll(/\bwire\('([A-Z0-9_]+)'\)/g)) asked.add(m[1]);
  }
  assert.ok(asked.size >= 25, `the JS reads ${asked.size} shared numbers`);
  for (const name of asked) assert.equal(typeof table[name], 'number', name);
});

test('the numbers of one family are distinct', () => {
  const families = new Map();
  for (const [name, value] of Object.entries(table)) {
    if (name.endsWith('_WIDTH')) continue;
    const family = name.split('_')[0];
    if (!families.has(family)) families.set(family, new Map());
    const seen = families.get(family);
    assert.ok(!seen.has(value), `${name} and ${seen.get(value)} are both ${value}`);
    seen.set(value, name);
  }
  assert.deepEqual([...families.keys()].sort(), ['ACTION', 'COLUMN', 'IO', 'OP', 'QUERY', 'RECORD']);
});

test('no JS file mirrors a shared number by hand', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js') && f !== 'native.js')) {
    const src = readFileSync(new URL(file, dir), 'utf8');
    for (const name of Object.keys(table)) {
      assert.doesNotMatch(src, new RegExp(`\\b${name}\\s*=\\s*\\d`), `${file} sets ${name} itself`);
    }
  }
});
