// Builds the addon (`npm install` / `npm run build` at the repo root run this): napi's
// CLI when the dev dependencies are there (it also regenerates native.js/native.d.ts),
// else plain cargo, so installing the repo as a dependency (no dev deps) still works;
// a packed tarball (`npm pack`) ships the built addon and skips the build.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const require = createRequire(import.meta.url);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// Installed from a package that ships the built addon but not the Rust sources: done.
if (!existsSync(join(root, 'Cargo.toml'))) {
  const shipped = readdirSync(here).some(
    (f) => f.startsWith(`fanio.${process.platform}-${process.arch}`) && f.endsWith('.node'),
  );
  if (shipped) process.exit(0);
  console.error('fanio: no prebuilt addon for this platform and no Rust sources to build one');
  process.exit(1);
}

let napiCli = null;
try {
  napiCli = require.resolve('@napi-rs/cli/package.json', { paths: [root] });
} catch {}

if (napiCli) {
  run(process.execPath, [
    join(dirname(napiCli), 'dist', 'cli.js'),
    'build',
    '--manifest-path',
    'bindings-node/Cargo.toml',
    '--package-json-path',
    'package.json',
    '--output-dir',
    'bindings-node',
    '--platform',
    '--release',
    '--js',
    'native.js',
    '--dts',
    'native.d.ts',
  ]);
} else {
  run('cargo', ['build', '--release', '-p', 'fanio-node', '--manifest-path', join(root, 'Cargo.toml')]);
  const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
  const lib = join(target, 'release', process.platform === 'darwin' ? 'libfanio_node.dylib' : 'libfanio_node.so');
  const abi =
    process.platform === 'linux' ? (process.report?.getReport().header.glibcVersionRuntime ? '-gnu' : '-musl') : '';
  const out = join(here, `fanio.${process.platform}-${process.arch}${abi}.node`);
  if (!existsSync(lib)) {
    console.error(`fanio: built library not found at ${lib}`);
    process.exit(1);
  }
  copyFileSync(lib, out);
}
