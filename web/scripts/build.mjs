// Builds the npm package into web/dist/:
//   1. cargo: the dbtoken-wasm crate for wasm32-unknown-unknown (size-tuned release profile,
//      set here on the command line because profiles live in the workspace's root Cargo.toml);
//   2. wasm-bindgen (exactly the Cargo.lock version): the CommonJS glue for Node and the ESM
//      glue for browsers, over one and the same .wasm;
//   3. wasm-opt -Oz from the npm `binaryen` package;
//   4. the JS wrapper (js/api.mjs, one source for every entry) as ESM and as CommonJS, the
//      entries and the type declarations.
// Environment: CARGO_TARGET_DIR (default <repo>/target), WASM_BINDGEN (path to the CLI; default:
// `wasm-bindgen` on PATH, else the one `scripts/tools.sh wasm` caches).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(web, '..');
const dist = join(web, 'dist');
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(repo, 'target');

function run(cmd, args, opts = {}) {
  console.log(`+ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit', ...opts });
}

function lockVersion(name) {
  const lock = readFileSync(join(repo, 'Cargo.lock'), 'utf8');
  const m = lock.match(new RegExp(`\\[\\[package\\]\\]\\nname = "${name}"\\nversion = "([^"]+)"`));
  if (!m) throw new Error(`${name} is not in Cargo.lock`);
  return m[1];
}

function findWasmBindgen(version) {
  const candidates = [];
  if (process.env.WASM_BINDGEN) candidates.push(process.env.WASM_BINDGEN);
  candidates.push('wasm-bindgen');
  const tools = process.env.DBTOKEN_TOOLS || join(homedir(), '.cache', 'dbtoken-tools');
  candidates.push(join(tools, `wasm-bindgen-${version}`, 'bin', 'wasm-bindgen'));
  for (const c of candidates) {
    try {
      const v = execFileSync(c, ['--version'], { encoding: 'utf8' }).trim();
      if (v === `wasm-bindgen ${version}`) return c;
      console.log(`(${c} is ${v}, need ${version})`);
    } catch {
      // not there
    }
  }
  throw new Error(`wasm-bindgen ${version} not found: run scripts/tools.sh wasm (or set WASM_BINDGEN)`);
}

// 1. cargo
const registry = join(process.env.CARGO_HOME || join(homedir(), '.cargo'), 'registry', 'src');
const remap = existsSync(registry)
  ? readdirSync(registry).map((d) => `--remap-path-prefix=${join(registry, d)}/=`)
  : [];
run('cargo', ['build', '--release', '-p', 'dbtoken-wasm', '--target', 'wasm32-unknown-unknown',
  // sha2 at opt-level 3 (the rest at "z"): a little faster and, after LTO, a little smaller.
  '--config', 'profile.release.package.sha2.opt-level=3'], {
  cwd: repo,
  env: {
    ...process.env,
    CARGO_TARGET_DIR: targetDir,
    CARGO_PROFILE_RELEASE_OPT_LEVEL: 'z',
    CARGO_PROFILE_RELEASE_LTO: 'fat',
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS: '1',
    CARGO_PROFILE_RELEASE_PANIC: 'abort',
    CARGO_PROFILE_RELEASE_DEBUG: '0',
    // Not `strip`: it drops the target_features section wasm-opt needs. wasm-opt strips.
    // simd128: sha2's SIMD SHA-256 (about 30% faster tokens than its software backends, and
    // 1.7 KB instead of the unrolled one's 8 KB). Every current browser and Node >= 16.4 has
    // WebAssembly SIMD. The cfg picks sha2's compact software SHA-256 should simd128 be dropped.
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS: ['-C', 'target-feature=+simd128', '--cfg', 'sha2_backend_soft="compact"', ...remap].join(' '),
  },
});
const rawWasm = join(targetDir, 'wasm32-unknown-unknown', 'release', 'dbtoken_wasm.wasm');

// 2. wasm-bindgen
const version = lockVersion('wasm-bindgen');
const bindgen = findWasmBindgen(version);
const tmp = join(tmpdir(), `dbtoken-web-build-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
for (const target of ['nodejs', 'web']) {
  run(bindgen, [
    '--target', target,
    '--no-typescript',
    '--experimental-reset-state-function',
    '--out-dir', join(tmp, target),
    rawWasm,
  ]);
}
const a = readFileSync(join(tmp, 'nodejs', 'dbtoken_wasm_bg.wasm'));
const b = readFileSync(join(tmp, 'web', 'dbtoken_wasm_bg.wasm'));
if (!a.equals(b)) throw new Error('wasm-bindgen produced different modules for nodejs and web');

// 3. wasm-opt
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const wasmOpt = join(web, 'node_modules', '.bin', 'wasm-opt');
if (!existsSync(wasmOpt)) throw new Error('node_modules/.bin/wasm-opt missing: run `npm ci` in web/ (binaryen)');
// --strip-target-features: the section only tells tools which features the code uses.
run(wasmOpt, ['-Oz', '--converge', '--strip-debug', '--strip-producers', '--strip-target-features',
  join(tmp, 'web', 'dbtoken_wasm_bg.wasm'), '-o', join(dist, 'dbtoken_wasm_bg.wasm')]);

// The glue files keep their own relative path to the .wasm (`dbtoken_wasm_bg.wasm` next to them).
// Plus `__memory()`: the wrapper passes strings and reads results through the module's memory
// (see web/src/lib.rs), and the glue keeps the current instance (which a reset replaces) private.
const nodeGlue = readFileSync(join(tmp, 'nodejs', 'dbtoken_wasm.js'), 'utf8');
const webGlue = readFileSync(join(tmp, 'web', 'dbtoken_wasm.js'), 'utf8');
if (!/\nlet wasm = wasmInstance\.exports;\n/.test(nodeGlue) || !/\nlet wasmModule, wasmInstance, wasm;\n/.test(webGlue)) {
  throw new Error('unexpected wasm-bindgen glue: expected its `wasm` exports variable');
}
writeFileSync(join(dist, 'wasm-node.cjs'), nodeGlue + 'exports.__memory = () => wasm.memory;\n');
writeFileSync(join(dist, 'wasm-web.mjs'), webGlue + 'export function __memory() {\n    return wasm.memory;\n}\n');
rmSync(tmp, { recursive: true, force: true });

// 4. wrapper, entries, types
const api = readFileSync(join(web, 'js', 'api.mjs'), 'utf8');
if (!api.includes('\nexport function makeApi(')) throw new Error('js/api.mjs: expected `export function makeApi(`');
writeFileSync(join(dist, 'api.mjs'), api);
writeFileSync(join(dist, 'api.cjs'),
  "'use strict';\n" + api.replace('\nexport function makeApi(', '\nfunction makeApi(') + '\nmodule.exports = { makeApi };\n');
for (const f of ['index.cjs', 'index.mjs', 'browser.mjs', 'mysql2.cjs']) copyFileSync(join(web, 'js', f), join(dist, f));
copyFileSync(join(web, 'js', 'index.d.ts'), join(dist, 'index.d.ts'));
copyFileSync(join(web, 'js', 'index.d.ts'), join(dist, 'index.d.mts'));
// The browser entry's declarations: index.d.ts without its Node-only tail (mysql2Options).
const dts = readFileSync(join(web, 'js', 'index.d.ts'), 'utf8');
const nodeOnly = dts.indexOf('\n// ---- Node only');
if (nodeOnly < 0) throw new Error('js/index.d.ts: expected the `// ---- Node only` marker');
writeFileSync(join(dist, 'browser.d.mts'), dts.slice(0, nodeOnly + 1));

const size = (f) => statSync(join(dist, f)).size;
console.log(`dist/dbtoken_wasm_bg.wasm: ${size('dbtoken_wasm_bg.wasm')} bytes (after wasm-opt -Oz)`);
