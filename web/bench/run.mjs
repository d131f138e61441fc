// Measures the npm package against @aws-sdk/rds-signer, in one run, and prints a Markdown
// report (web/BENCHMARKS.md records one):
//   - tokens per second (same inputs, same process, alternating rounds);
//   - cold `node` start to first token (hyperfine when installed, else N timed spawns);
//   - sizes: the .wasm, the packed package, and what `npm install` brings for each.
// Run after `npm run build` (and `npm ci`) in web/:  node bench/run.mjs [--quick]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const require = createRequire(import.meta.url);
const dbtoken = require(join(web, 'dist', 'index.cjs'));
const { Signer: RdsSigner } = require('@aws-sdk/rds-signer');

const input = {
  hostname: 'prod-instance.abc123xyz.us-east-1.rds.amazonaws.com',
  port: 5432,
  username: 'iam_user',
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
};

// ---------------------------------------------------------------- throughput
// Async functions are awaited one at a time (as a connection pool would); synchronous ones are
// called in a plain loop (awaiting a non-promise would add a microtask per call).
async function rate(f, ms) {
  let n = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(ms) * 1_000_000n;
  let now = t0;
  const isAsync = f() instanceof Promise;
  while (now < end) {
    if (isAsync) for (let i = 0; i < 64; i++) await f();
    else for (let i = 0; i < 64; i++) f();
    n += 64;
    now = process.hrtime.bigint();
  }
  return (n * 1e9) / Number(now - t0);
}

// A different request at every call (64 users in turn): nothing of the previous token is reused
// but the signing key.
const users = Array.from({ length: 64 }, (_, i) => ({ ...input, username: `iam_user_${i}` }));
const cycle = (make) => {
  const fs = users.map(make);
  let i = 0;
  return () => fs[(i = (i + 1) & 63)]();
};

const contenders = {
  'dbtoken rdsToken() (sync)': () => dbtoken.rdsToken(input),
  'dbtoken Signer.getAuthToken() (async)': (() => {
    const s = new dbtoken.Signer(input);
    return () => s.getAuthToken();
  })(),
  '@aws-sdk/rds-signer Signer.getAuthToken()': (() => {
    const s = new RdsSigner(input);
    return () => s.getAuthToken();
  })(),
  'dbtoken Signer.getAuthToken(), 64 users in turn': cycle((o) => {
    const s = new dbtoken.Signer(o);
    return () => s.getAuthToken();
  }),
  '@aws-sdk/rds-signer Signer.getAuthToken(), 64 users in turn': cycle((o) => {
    const s = new RdsSigner(o);
    return () => s.getAuthToken();
  }),
  'dbtoken TokenCache.rdsToken() (cache hit)': (() => {
    const c = new dbtoken.TokenCache();
    return () => c.rdsToken(input);
  })(),
};
const rounds = quick ? 2 : 5;
const roundMs = quick ? 300 : 1000;
const best = {};
for (const f of Object.values(contenders)) await rate(f, 300); // warm-up (JIT, wasm tier-up, key caches)
for (let r = 0; r < rounds; r++) {
  for (const [name, f] of Object.entries(contenders)) best[name] = Math.max(best[name] ?? 0, await rate(f, roundMs));
}
const peer = best['@aws-sdk/rds-signer Signer.getAuthToken()'];

// ---------------------------------------------------------------- cold start
const work = mkdtempSync(join(tmpdir(), 'dbtoken-bench-'));
const coldOurs = join(work, 'cold-dbtoken.cjs');
const coldPeer = join(work, 'cold-rds-signer.cjs');
const inputJson = JSON.stringify(input);
writeFileSync(coldOurs, `const { rdsToken } = require(${JSON.stringify(join(web, 'dist', 'index.cjs'))});\nprocess.stdout.write(rdsToken(${inputJson}).slice(0, 8));\n`);
writeFileSync(coldPeer, `const { Signer } = require(${JSON.stringify(require.resolve('@aws-sdk/rds-signer'))});\nnew Signer(${inputJson}).getAuthToken().then((t) => process.stdout.write(t.slice(0, 8)));\n`);
const runs = quick ? 10 : 40;
let cold;
const hasHyperfine = spawnSync('hyperfine', ['--version']).status === 0;
if (hasHyperfine) {
  const out = join(work, 'hyperfine.json');
  execFileSync('hyperfine', ['-N', '--warmup', '3', '--runs', String(runs), '--export-json', out,
    '-n', 'dbtoken', `node ${coldOurs}`, '-n', '@aws-sdk/rds-signer', `node ${coldPeer}`, '-n', 'node (empty script)', 'node -e 0'],
  { stdio: ['ignore', 'ignore', 'inherit'] });
  cold = Object.fromEntries(JSON.parse(readFileSync(out, 'utf8')).results.map((r) => [r.command, { mean: r.mean * 1000, sd: r.stddev * 1000 }]));
  cold.tool = `hyperfine -N --warmup 3 --runs ${runs}`;
} else {
  const time = (args) => {
    const xs = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      spawnSync(process.execPath, args);
      xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { mean, sd: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
  };
  cold = { dbtoken: time([coldOurs]), '@aws-sdk/rds-signer': time([coldPeer]), 'node (empty script)': time(['-e', '0']), tool: `${runs} timed spawns` };
}

// ---------------------------------------------------------------- sizes
function du(dir) {
  let bytes = 0;
  let packages = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        bytes += statSync(p).size;
        if (e.name === 'package.json' && /node_modules\/(@[^/]+\/)?[^/]+$/.test(d)) packages++;
      }
    }
  };
  walk(dir);
  return { bytes, packages };
}
function installed(spec) {
  const dir = mkdtempSync(join(work, 'install-'));
  writeFileSync(join(dir, 'package.json'), '{"private":true}');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--prefer-offline', '--omit=dev', spec], { cwd: dir, stdio: 'ignore' });
  return du(join(dir, 'node_modules'));
}
const pack = JSON.parse(execFileSync('npm', ['pack', web, '--json', '--pack-destination', work], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))[0];
const wasmBytes = statSync(join(web, 'dist', 'dbtoken_wasm_bg.wasm')).size;
const peerVersion = JSON.parse(readFileSync(require.resolve('@aws-sdk/rds-signer/package.json'), 'utf8')).version;
const oursInstalled = installed(join(work, pack.filename));
const peerInstalled = installed(`@aws-sdk/rds-signer@${peerVersion}`);
rmSync(work, { recursive: true, force: true });

// ---------------------------------------------------------------- report
const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;
const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const fmt = (x) => Math.round(x).toLocaleString('en-US');
const lines = [];
lines.push(`Machine: ${cpus()[0].model}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; @aws-sdk/rds-signer ${peerVersion}.`);
lines.push(`Command: \`node bench/run.mjs${quick ? ' --quick' : ''}\` in web/ (after \`npm run build\`).`, '');
lines.push('| tokens per second (best of ' + rounds + ' rounds of ' + roundMs + ' ms) | tokens/s | × rds-signer |', '|---|---:|---:|');
for (const [name, r] of Object.entries(best)) lines.push(`| ${name} | ${fmt(r)} | ${(r / peer).toFixed(1)}× |`);
lines.push('', `| cold \`node script\` to first token (${cold.tool}) | mean ms | ± sd |`, '|---|---:|---:|');
for (const k of ['dbtoken', '@aws-sdk/rds-signer', 'node (empty script)']) lines.push(`| ${k} | ${cold[k].mean.toFixed(1)} | ${cold[k].sd.toFixed(1)} |`);
lines.push('', '| size | dbtoken | @aws-sdk/rds-signer |', '|---|---:|---:|');
lines.push(`| .wasm after wasm-opt -Oz | ${fmt(wasmBytes)} B (${kb(wasmBytes)}) | – |`);
lines.push(`| packed package (npm pack) | ${kb(pack.size)} packed, ${kb(pack.unpackedSize)} unpacked, ${pack.entryCount} files | – |`);
lines.push(`| \`npm install\` (production) | ${oursInstalled.packages} package, ${kb(oursInstalled.bytes)} | ${peerInstalled.packages} packages, ${mb(peerInstalled.bytes)} |`);
console.log(lines.join('\n'));
