// The browser build (dist/browser.mjs: ESM, top-level-await initialisation) of the packed
// package, loaded by a page served on 127.0.0.1 in headless Chromium (Debian `chromium`, driven
// by npm `playwright-core`). The page signs every tokens.json vector; the tokens must equal
// botocore's.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { pkgDir, readVectors, vectorsDir } from './pkg.mjs';

const CHROMIUM = process.env.DBTOKEN_CHROMIUM || '/usr/bin/chromium';
const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

const PAGE = `<!doctype html><meta charset="utf-8"><title>dbtoken</title>
<script type="module">
import * as dbtoken from '/pkg/dist/browser.mjs';
const FN = { rds: 'rdsToken', dsql: 'dsqlToken', elasticache: 'elastiCacheToken', memorydb: 'memoryDbToken' };
function options(kind, input) {
  const c = input.credentials;
  const credentials = { accessKeyId: c.access_key_id, secretAccessKey: c.secret_access_key };
  if (c.session_token != null) credentials.sessionToken = c.session_token;
  if (c.expires_at != null) credentials.expiration = new Date(c.expires_at * 1000);
  const o = { credentials, expiresIn: input.expires_in, signingDate: new Date(input.signing_time * 1000) };
  if (input.region != null) o.region = input.region;
  if (kind === 'rds') Object.assign(o, { hostname: input.hostname, port: input.port, username: input.username });
  if (kind === 'dsql') Object.assign(o, { hostname: input.hostname, admin: input.admin });
  if (kind === 'elasticache') Object.assign(o, { cacheName: input.cache_name, userId: input.user_id, serverless: input.serverless });
  if (kind === 'memorydb') Object.assign(o, { clusterName: input.cluster_name, user: input.user });
  return o;
}
try {
  const cases = (await (await fetch('/vectors/tokens.json')).json()).cases;
  const tokens = cases.map((c) => ({ id: c.id, token: dbtoken[FN[c.kind]](options(c.kind, c.input)) }));
  let error;
  try { dbtoken.rdsToken({ ...options('rds', cases[0].input), hostname: 'https://x' }); } catch (e) {
    error = { isError: e instanceof Error, name: e.name, code: e.code, guard: dbtoken.isTokenError(e) };
  }
  let noCredentials;
  try { dbtoken.rdsToken({ hostname: 'db.example.com', port: 5432, username: 'u', region: 'us-east-1' }); } catch (e) { noCredentials = e.code; }
  const info = dbtoken.inspectToken(tokens[0].token);
  const signer = await new dbtoken.Signer({ ...options('rds', cases[0].input), credentials: async () => options('rds', cases[0].input).credentials }).getAuthToken();
  window.result = { exports: Object.keys(dbtoken), tokens, error, noCredentials, info: { kind: info.kind, signature: info.signature }, signer: dbtoken.verifyToken(signer, cases[0].input.credentials.secret_access_key).kind };
} catch (e) {
  window.result = { failure: String(e && e.stack || e) };
}
</script>`;

let server;
let base;
before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file;
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      return;
    } else if (url.pathname.startsWith('/pkg/')) file = join(pkgDir, normalize(url.pathname.slice(5)));
    else if (url.pathname.startsWith('/vectors/')) file = join(vectorsDir, normalize(url.pathname.slice(9)));
    if (!file || !existsSync(file) || (!file.startsWith(pkgDir) && !file.startsWith(vectorsDir))) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}/`;
});
after(() => server && server.close());

test('headless Chromium: the browser build signs every tokens.json vector like botocore', { timeout: 120_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: scripts/tools.sh apt chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'dbtoken-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    const logs = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(String(e)));
    await page.goto(base);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 60_000 });
    const result = await page.evaluate(() => window.result);
    assert.equal(result.failure, undefined, `${result.failure}\n${logs.join('\n')}`);
    const expected = readVectors('tokens.json');
    assert.equal(result.tokens.length, expected.length);
    for (const [i, c] of expected.entries()) {
      assert.equal(result.tokens[i].id, c.id);
      assert.equal(result.tokens[i].token, c.expected.token, c.id);
    }
    assert.deepEqual(result.error, { isError: true, name: 'TokenError', code: 'host_has_scheme', guard: true });
    assert.equal(result.noCredentials, 'empty_access_key_id', 'no environment in a browser');
    assert.deepEqual(result.info, { kind: expected[0].kind, signature: expected[0].expected.signature });
    assert.equal(result.signer, 'rds');
    assert.ok(result.exports.includes('rdsToken'));
    assert.ok(!result.exports.includes('mysql2Options'), 'mysql2Options is Node only');
    console.log(`chromium ${browser.browser()?.version() ?? ''}: ${result.tokens.length} tokens equal to the vectors`);
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
