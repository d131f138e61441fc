// Signers and TokenCache under faults: a failing credential provider (outage), many concurrent
// getAuthToken() calls (one provider call), rotation of one credential field at a time, and clock
// steps (Date.now replaced). Expected tokens come from tests/vectors/tokens.json (botocore) where
// a vector exists for the time and credentials; rotated tokens are verified with the new secret.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { cjs, esm, readVectors, repo, toOptions } from './pkg.mjs';

const tokens = readVectors('tokens.json');
const basic = tokens.find((t) => t.id === 'rds-basic');
const T0 = basic.input.signing_time;
const SECRET = basic.input.credentials.secret_access_key;
const CREDS = { accessKeyId: basic.input.credentials.access_key_id, secretAccessKey: SECRET };
const { hostname, port, username, region } = toOptions('rds', basic.input);
const SESSION = 'IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/=';

const realNow = Date.now;
let clock = T0;
const setClock = (t) => {
  clock = t;
  Date.now = () => clock * 1000;
};
afterEach(() => {
  Date.now = realNow;
});

/** A provider that counts its calls, can fail, and can take time. */
function flaky(creds = CREDS, delayMs = 0) {
  const p = async function flakyProvider() {
    p.calls++;
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    if (p.failing) throw p.failing;
    return p.creds;
  };
  p.calls = 0;
  p.failing = null;
  p.creds = creds;
  return p;
}

async function rejectsWith(promise, code) {
  try {
    await promise;
  } catch (e) {
    assert.ok(cjs.isTokenError(e), `expected TokenError ${code}, got ${e && e.stack}`);
    assert.equal(e.code, code);
    return e;
  }
  assert.fail(`no ${code}`);
}

describe('OUTAGE_FLOOR', () => {
  test('is the core constant, in both entries', () => {
    const src = readFileSync(join(repo, 'core', 'src', 'cache.rs'), 'utf8');
    const m = /pub const OUTAGE_FLOOR: u64 = (\d+);/.exec(src);
    assert.ok(m, 'core/src/cache.rs declares OUTAGE_FLOOR');
    assert.equal(cjs.OUTAGE_FLOOR, Number(m[1]));
    assert.equal(esm.OUTAGE_FLOOR, Number(m[1]));
  });
});

describe('provider outage', () => {
  test('Signer returns its last token while valid for the floor, then credentials_unavailable with the cause', async () => {
    const p = flaky();
    const signer = new cjs.Signer({ hostname, port, username, region, credentials: p });
    setClock(T0);
    const t0 = await signer.getAuthToken();
    assert.equal(t0, basic.expected.token);
    p.failing = new Error('ECONNREFUSED 169.254.169.254:80');
    for (const t of [T0 + 1, T0 + 880, T0 + 900 - cjs.OUTAGE_FLOOR]) {
      setClock(t);
      assert.equal(await signer.getAuthToken(), t0, `at +${t - T0}`);
    }
    const calls = p.calls;
    setClock(T0 + 900 - cjs.OUTAGE_FLOOR + 1);
    const e = await rejectsWith(signer.getAuthToken(), 'credentials_unavailable');
    assert.equal(e.cause, p.failing);
    assert.match(e.message, /flakyProvider/);
    assert.ok(!e.message.includes(SECRET));
    assert.equal(p.calls, calls + 1, 'the provider is tried again at every call');
    // Back: a new token at the current time.
    p.failing = null;
    setClock(T0 + 899);
    const t1 = await signer.getAuthToken();
    assert.equal(cjs.verifyToken(t1, SECRET, new Date((T0 + 899) * 1000)).signingDate.getTime(), (T0 + 899) * 1000);
  });

  test('nothing cached: credentials_unavailable; a token signed in the future is not served', async () => {
    const p = flaky();
    p.failing = new Error('SSO session expired');
    const signer = new esm.Signer({ hostname, port, username, region, credentials: p });
    setClock(T0);
    const e = await rejectsWith(signer.getAuthToken(), 'credentials_unavailable');
    assert.equal(e.cause.message, 'SSO session expired');
    p.failing = null;
    await signer.getAuthToken();
    p.failing = new Error('down');
    setClock(T0 - 3600);
    await rejectsWith(signer.getAuthToken(), 'credentials_unavailable');
  });

  test('DsqlSigner keeps one last token per action', async () => {
    const dsql = tokens.find((t) => t.id === 'dsql-connect-basic');
    const admin = tokens.find((t) => t.id === 'dsql-connect-admin-basic');
    const p = flaky({ accessKeyId: dsql.input.credentials.access_key_id, secretAccessKey: dsql.input.credentials.secret_access_key });
    const signer = new cjs.DsqlSigner({ hostname: dsql.input.hostname, region: dsql.input.region, credentials: p });
    setClock(dsql.input.signing_time);
    assert.equal(await signer.getDbConnectAuthToken(), dsql.expected.token);
    p.failing = new Error('down');
    setClock(dsql.input.signing_time + 10);
    assert.equal(await signer.getDbConnectAuthToken(), dsql.expected.token);
    await rejectsWith(signer.getDbConnectAdminAuthToken(), 'credentials_unavailable');
    p.failing = null;
    setClock(admin.input.signing_time);
    assert.equal(await signer.getDbConnectAdminAuthToken(), admin.expected.token);
  });

  test('a provider returning the wrong shape is a TypeError, not an outage', async () => {
    const signer = new cjs.Signer({ hostname, port, username, region, credentials: async () => 42 });
    await assert.rejects(signer.getAuthToken(), TypeError);
  });
});

describe('one provider call at a time', () => {
  test('concurrent getAuthToken() on a cold signer call the provider once', async () => {
    const p = flaky(CREDS, 50);
    const signer = new cjs.Signer({ hostname, port, username, region, credentials: p });
    setClock(T0);
    const out = await Promise.all(Array.from({ length: 32 }, () => signer.getAuthToken()));
    assert.equal(p.calls, 1);
    assert.deepEqual(new Set(out), new Set([basic.expected.token]));
    // Later calls call it again (rotation is seen at once).
    await signer.getAuthToken();
    assert.equal(p.calls, 2);
  });

  test('concurrent calls share one failure', async () => {
    const p = flaky(CREDS, 50);
    p.failing = new Error('down');
    const signer = new esm.DsqlSigner({ hostname: 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', credentials: p });
    setClock(T0);
    const out = await Promise.allSettled(Array.from({ length: 8 }, () => signer.getDbConnectAuthToken()));
    assert.equal(p.calls, 1);
    for (const r of out) {
      assert.equal(r.status, 'rejected');
      assert.equal(r.reason.code, 'credentials_unavailable');
      assert.equal(r.reason.cause, p.failing);
    }
  });
});

describe('rotation of one field', () => {
  const old = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: SECRET, sessionToken: SESSION, expiration: new Date((T0 + 3600) * 1000) };
  const rotations = {
    secret: { ...old, secretAccessKey: `rotated/${SECRET}` },
    sessionToken: { ...old, sessionToken: `${SESSION}NEW` },
    expiration: { ...old, expiration: new Date((T0 + 400) * 1000) },
  };
  for (const [field, next] of Object.entries(rotations)) {
    test(`${field}: Signer and TokenCache give a token for the new credentials`, async () => {
      const p = flaky(old);
      const signer = new cjs.Signer({ hostname, port, username, region, credentials: p });
      const cache = new cjs.TokenCache();
      const opts = (credentials, t) => ({ hostname, port, username, region, credentials, signingDate: new Date(t * 1000) });
      setClock(T0);
      const s0 = await signer.getAuthToken();
      const c0 = cache.rdsToken(opts(old, T0));
      assert.equal(cache.rdsToken(opts(old, T0 + 5)), c0);
      p.creds = next;
      setClock(T0 + 10);
      const s1 = await signer.getAuthToken();
      const c1 = cache.rdsToken(opts(next, T0 + 10));
      for (const [before, after] of [[s0, s1], [c0, c1]]) {
        assert.notEqual(after, before);
        const info = cjs.verifyToken(after, next.secretAccessKey, new Date((T0 + 10) * 1000));
        assert.equal(info.signingDate.getTime(), (T0 + 10) * 1000);
        assert.equal(info.expiresAt.getTime(), Math.min(T0 + 910, next.expiration.getTime() / 1000) * 1000);
        assert.ok(after.includes(`X-Amz-Security-Token=${encodeURIComponent(next.sessionToken).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)}&`));
      }
      if (field === 'secret') {
        assert.throws(() => cjs.verifyToken(s1, SECRET, new Date((T0 + 10) * 1000)), (e) => e.code === 'signature_mismatch');
      }
    });
  }
});

describe('clock steps', () => {
  test('never a token signed in the future or already expired (Signer, TokenCache)', async () => {
    const p = flaky();
    const signer = new cjs.Signer({ hostname, port, username, region, credentials: p });
    const cache = new esm.TokenCache();
    let t = T0;
    for (const step of [0, -3 * 3600, 5, 7 * 3600, -1, -26 * 3600, 899, 1, 400 * 86400, -400 * 86400]) {
      t += step;
      setClock(t);
      const now = new Date(t * 1000);
      for (const token of [await signer.getAuthToken(), cache.rdsToken({ hostname, port, username, region, credentials: CREDS, signingDate: now })]) {
        const info = cjs.verifyToken(token, SECRET, now); // throws when not yet valid or expired
        assert.ok(info.signingDate.getTime() <= t * 1000);
        assert.ok(info.expiresAt.getTime() > (t + 30) * 1000);
        if (info.signingDate.getTime() === T0 * 1000) assert.equal(token, basic.expected.token);
      }
    }
  });
});
