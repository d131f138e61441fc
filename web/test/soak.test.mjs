// Soak: 8 async tasks share one TokenCache for 1,000,000 tokens (each task yields to the others
// every 500 tokens), with the credentials rotating the secret, the session token and the
// expiry, and each task's clock stepping backwards and forwards by hours; then 8 tasks share one
// Signer whose provider rotates the same way (one shared clock: tasks that call together share
// one provider call). Every 97th token is verified with the credentials it was asked for (never
// signed in the future, never expired, never inside the refresh margin); botocore's rds-basic
// vector is spot-checked; memory is measured (after a full collection) after a warm-up, between
// the two parts and at the end: the JS heap in use and the wasm memory must stay flat.
// Prints the figures recorded in RELIABILITY.md. DBTOKEN_SOAK_TOKENS changes the total.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { cjs, readVectors } from './pkg.mjs';

const TASKS = 8;
const TOTAL = Number(process.env.DBTOKEN_SOAK_TOKENS ?? 1_000_000);
const T0 = 1_705_322_096;
const HOST = 'prod-instance.abc123xyz.us-east-1.rds.amazonaws.com';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const ROTATED = `rotated/${SECRET}`;
const SESSION = 'IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/=';
// A full collection before each reading, so that RSS shows what is kept, not garbage.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const mem = () => {
  gc();
  return process.memoryUsage();
};

const STEPS = [0, 3 * 3600, -2 * 3600, 26 * 3600, -5 * 3600, -22 * 3600];

/** Task w's time and credentials for its i-th token. */
function at(w, i) {
  const now = T0 + 30 * 86400 + Math.floor(i / 20) + STEPS[(Math.floor(i / 10_000) + w) % STEPS.length];
  const exp = (s) => new Date(s * 1000);
  const base = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: SECRET, sessionToken: SESSION, expiration: exp(now + 3600) };
  switch ((Math.floor(i / 5_000) + w) % 4) {
    case 0:
      return [now, base];
    case 1:
      return [now, { ...base, secretAccessKey: ROTATED }];
    case 2:
      return [now, { ...base, sessionToken: `${SESSION}NEW` }];
    default: // inside the token's lifetime: clamped
      return [now, { ...base, expiration: exp(now + 400 + (i % 300)) }];
  }
}

function check(token, creds, now) {
  const info = cjs.verifyToken(token, creds.secretAccessKey, new Date(now * 1000));
  assert.ok(info.signingDate.getTime() <= now * 1000);
  assert.ok(info.expiresAt.getTime() > (now + 30) * 1000, 'inside the margin');
  assert.ok(info.expiresAt.getTime() <= creds.expiration.getTime());
  assert.ok(info.hasSessionToken);
}

test('8 tasks, one TokenCache and one Signer, a million tokens', async () => {
  const basic = readVectors('tokens.json').find((c) => c.id === 'rds-basic');
  const bc = basic.input.credentials;
  const basicCreds = { accessKeyId: bc.access_key_id, secretAccessKey: bc.secret_access_key };
  const cache = new cjs.TokenCache();
  let verified = 0;
  const task = async (w, from, to) => {
    for (let i = from; i < to; i++) {
      if (i % 500 === 0) await null; // let the other tasks run
      const [now, creds] = at(w, i);
      const token = cache.rdsToken({ hostname: HOST, port: 5432, username: 'iam_user', region: 'us-east-1', credentials: creds, signingDate: new Date(now * 1000) });
      if (i % 97 === 0) {
        check(token, creds, now);
        verified++;
      }
      if (i % 50_000 === 0) {
        const got = cache.rdsToken({ hostname: HOST, port: 5432, username: 'iam_user', region: 'us-east-1', credentials: basicCreds, signingDate: new Date(T0 * 1000) });
        assert.equal(got, basic.expected.token);
      }
    }
  };
  await Promise.all(Array.from({ length: TASKS }, (_, w) => task(w, 0, 2_000))); // warm-up
  const m0 = mem();
  let started = performance.now();
  const per = Math.floor(TOTAL / TASKS);
  await Promise.all(Array.from({ length: TASKS }, (_, w) => task(w, 2_000, 2_000 + per)));
  const cacheMs = performance.now() - started;
  const m1 = mem();

  // One Signer with a rotating provider, 8 tasks, one shared clock.
  let g = 0;
  let calls = 0;
  const realNow = Date.now;
  const signerTokens = Math.min(80_000, TOTAL);
  try {
    let current = at(0, 0);
    Date.now = () => current[0] * 1000;
    const provider = async () => {
      calls++;
      await null;
      return current[1];
    };
    const signer = new cjs.Signer({ hostname: HOST, port: 5432, username: 'iam_user', region: 'us-east-1', credentials: provider });
    started = performance.now();
    await Promise.all(
      Array.from({ length: TASKS }, async () => {
        for (let n = 0; n < signerTokens / TASKS; n++) {
          current = at(0, g++);
          const token = await signer.getAuthToken();
          // Other tasks move the clock and rotate while this one waits, and a provider call may
          // be shared: the token must verify, at its own signing time, with one of the secrets.
          if (n % 97 === 0) {
            const when = cjs.inspectToken(token).signingDate;
            const ok = [SECRET, ROTATED].filter((s) => {
              try {
                return cjs.verifyToken(token, s, when).hasSessionToken;
              } catch {
                return false;
              }
            });
            assert.equal(ok.length, 1, 'verifies with exactly one secret');
            verified++;
          }
        }
      }),
    );
  } finally {
    Date.now = realNow;
  }
  const signerMs = performance.now() - started;
  const m2 = mem();
  const kib = (b) => Math.round(b / 1024);
  const show = (k) => `${kib(m0[k])} -> ${kib(m1[k])} -> ${kib(m2[k])} KiB`;
  console.log(
    `js soak: ${per * TASKS} TokenCache tokens from ${TASKS} tasks in ${(cacheMs / 1000).toFixed(2)} s (${Math.round((cacheMs * 1e6) / (per * TASKS))} ns/token); ` +
      `${signerTokens} Signer tokens in ${(signerMs / 1000).toFixed(2)} s with ${calls} provider calls; ${verified} verified; ` +
      `start -> after TokenCache -> end: RSS ${show('rss')}, JS heap used ${show('heapUsed')}, external (wasm memory, buffers) ${show('external')}`,
  );
  assert.ok(calls < signerTokens, 'concurrent calls shared provider calls');
  // What is kept must stay flat. RSS is recorded but not bounded tightly: V8 keeps heap pages
  // it has used (it grows by a few MiB in steps and then plateaus).
  assert.ok(m2.heapUsed <= m0.heapUsed + 2 * 1024 * 1024, `JS heap grew: ${show('heapUsed')}`);
  assert.ok(m2.external <= m0.external + 1024 * 1024, `wasm memory grew: ${show('external')}`);
  assert.ok(m2.rss <= m0.rss + 64 * 1024 * 1024, `RSS grew: ${show('rss')}`);
});
