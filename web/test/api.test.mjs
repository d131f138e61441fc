// The JavaScript API of the packed package: errors, bad input from JS, credentials from the
// environment and from async providers, TokenCache, redaction, the trap guard, the package
// contents. Expected tokens come from tests/vectors/tokens.json (botocore), never from dbtoken.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { cjs, esm, pkgDir, readVectors, repo, toOptions } from './pkg.mjs';

const tokens = readVectors('tokens.json');
const vector = (id) => {
  const c = tokens.find((t) => t.id === id);
  assert.ok(c, `no vector ${id}`);
  return c;
};
const basic = vector('rds-basic');
const basicOptions = () => toOptions('rds', basic.input);
const SECRET = basic.input.credentials.secret_access_key;

function throwsTokenError(f, code) {
  assert.throws(f, (e) => {
    assert.ok(cjs.isTokenError(e), `expected TokenError ${code}, got ${e && e.stack}`);
    assert.equal(e.code, code);
    return true;
  });
}
function throwsTypeError(f) {
  assert.throws(f, (e) => {
    assert.ok(e instanceof TypeError, `expected a TypeError, got ${e && e.stack}`);
    return true;
  });
}

describe('TokenError', () => {
  test('is a real Error with name, code and a static message', () => {
    try {
      cjs.rdsToken({ ...basicOptions(), hostname: 'postgres://secret-host.example.com' });
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof Error);
      assert.ok(e instanceof cjs.TokenError);
      assert.equal(e.name, 'TokenError');
      assert.equal(e.code, 'host_has_scheme');
      assert.match(String(e), /^TokenError: /);
      assert.ok(!e.message.includes('secret-host'), 'the message must not echo input');
      assert.ok(typeof e.stack === 'string');
    }
  });
  test('CJS and ESM entries share one instance', () => {
    assert.equal(cjs.TokenError, esm.TokenError);
    assert.equal(cjs.rdsToken, esm.rdsToken);
  });
  test('isTokenError', () => {
    assert.equal(cjs.isTokenError(new Error('x')), false);
    assert.equal(cjs.isTokenError('host_has_scheme'), false);
    assert.equal(cjs.isTokenError(undefined), false);
    assert.equal(cjs.isTokenError({ name: 'TokenError', code: 'x' }), false, 'not an Error');
  });
  test('the TypeScript union is exactly the core codes plus internal', () => {
    const dts = readFileSync(join(pkgDir, 'dist', 'index.d.ts'), 'utf8');
    const union = dts.slice(dts.indexOf('export type TokenErrorCode ='), dts.indexOf(';', dts.indexOf('export type TokenErrorCode =')));
    const ts = [...union.matchAll(/\| '([a-z_]+)'/g)].map((m) => m[1]).sort();
    const rs = readFileSync(join(repo, 'core', 'src', 'error.rs'), 'utf8');
    const codeFn = rs.slice(rs.indexOf('pub const fn code'), rs.indexOf('pub const fn message'));
    const core = [...codeFn.matchAll(/=> "([a-z_]+)"/g)].map((m) => m[1]);
    assert.ok(core.length >= 20, 'parsed the core codes');
    assert.deepEqual(ts, [...core, 'internal'].sort());
    // and errors.json uses only these codes
    for (const c of readVectors('errors.json')) assert.ok(ts.includes(c.code), c.code);
  });
});

describe('bad input from JavaScript', () => {
  const base = basicOptions;
  test('wrong types and undefined are TypeErrors', () => {
    throwsTypeError(() => cjs.rdsToken());
    throwsTypeError(() => cjs.rdsToken(null));
    throwsTypeError(() => cjs.rdsToken('host'));
    throwsTypeError(() => cjs.rdsToken({ ...base(), hostname: undefined }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), hostname: 42 }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), hostname: new String('db.example.com') }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), username: undefined }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), username: ['u'] }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), port: undefined }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), port: '5432' }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), port: 5432n }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), region: 1 }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), expiresIn: '900' }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), expiresIn: 1.5 }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), expiresIn: NaN }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), expiresIn: Infinity }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), signingDate: 1705322096 }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), signingDate: new Date(NaN) }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), credentials: 'AKID:secret' }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), credentials: async () => ({}) }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), credentials: { accessKeyId: 'AKID' } }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), credentials: { accessKeyId: 1, secretAccessKey: 'x' } }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), credentials: { ...base().credentials, sessionToken: 7 } }));
    throwsTypeError(() => cjs.rdsToken({ ...base(), credentials: { ...base().credentials, expiration: '2030-01-01' } }));
    throwsTypeError(() => cjs.dsqlToken({ hostname: 'x.dsql.us-east-1.on.aws', admin: 'yes', credentials: base().credentials }));
    throwsTypeError(() => cjs.elastiCacheToken({ cacheName: 'c', userId: 'u', serverless: 1, region: 'us-east-1', credentials: base().credentials }));
    throwsTypeError(() => cjs.memoryDbToken({ clusterName: 'c', region: 'us-east-1', credentials: base().credentials }));
    throwsTypeError(() => cjs.inspectToken(undefined));
    throwsTypeError(() => cjs.verifyToken(basic.expected.token, undefined));
    throwsTypeError(() => new cjs.TokenCache({ refreshMargin: -1 }));
    throwsTypeError(() => new cjs.TokenCache({ refreshMargin: NaN }));
  });
  test('NaN, negative, fractional and huge ports are TypeErrors; port 0 is invalid_port', () => {
    for (const port of [NaN, -1, -5432, 1.5, 65536, 2 ** 32 + 5432, 1e300, Infinity, -Infinity]) {
      throwsTypeError(() => cjs.rdsToken({ ...base(), port }));
    }
    throwsTokenError(() => cjs.rdsToken({ ...base(), port: 0 }), 'invalid_port');
  });
  test('negative and huge expiries are expiry_out_of_range', () => {
    for (const expiresIn of [0, -1, 901, 2 ** 32, 2 ** 32 + 900, Number.MAX_SAFE_INTEGER]) {
      throwsTokenError(() => cjs.rdsToken({ ...base(), expiresIn }), 'expiry_out_of_range');
    }
  });
  test('signing dates before 1970 or after 9999 are invalid_signing_time', () => {
    throwsTokenError(() => cjs.rdsToken({ ...base(), signingDate: new Date(-1000) }), 'invalid_signing_time');
    throwsTokenError(() => cjs.rdsToken({ ...base(), signingDate: new Date('+010000-01-01T00:00:00Z') }), 'invalid_signing_time');
  });
  test('lone surrogates are TypeErrors (never silently replaced)', () => {
    for (const bad of ['\ud800', 'user\udfff', 'a\ud83d', '\udc00\ud800']) {
      throwsTypeError(() => cjs.rdsToken({ ...base(), username: bad }));
      throwsTypeError(() => cjs.rdsToken({ ...base(), hostname: bad }));
      throwsTypeError(() => cjs.rdsToken({ ...base(), region: bad }));
      throwsTypeError(() => cjs.rdsToken({ ...base(), credentials: { ...base().credentials, secretAccessKey: bad } }));
      throwsTypeError(() => cjs.inspectToken(bad));
    }
    // a surrogate pair is fine
    assert.match(cjs.rdsToken({ ...base(), username: 'u😀' }), /DBUser=u%F0%9F%98%80&/);
  });
  test('1 MB strings: a token or a TokenError, never a crash', () => {
    const mb = 'a'.repeat(1 << 20);
    throwsTokenError(() => cjs.rdsToken({ ...base(), hostname: ' '.repeat(1 << 20) }), 'host_has_whitespace');
    throwsTokenError(() => cjs.rdsToken({ ...base(), region: mb }), 'invalid_region');
    throwsTokenError(() => cjs.rdsToken({ ...base(), hostname: `${mb}:5432` }), 'host_has_port');
    throwsTokenError(() => cjs.inspectToken(mb), 'malformed_token');
    throwsTokenError(() => cjs.verifyToken(mb, SECRET), 'malformed_token');
    // A 1 MB user name (3 MB encoded) is a valid request: the token carries it intact.
    const user = '用'.repeat(1 << 20);
    const t = cjs.rdsToken({ ...base(), username: user });
    assert.equal(cjs.inspectToken(t).user, user);
    assert.equal(cjs.verifyToken(t, SECRET, new Date(basic.input.signing_time * 1000)).user, user);
    // and the module still works afterwards
    assert.equal(cjs.rdsToken(base()), basic.expected.token);
  });
});

describe('options', () => {
  test('region is read from the endpoint', () => {
    const c = vector('rds-instance-region-inferred');
    const o = toOptions('rds', c.input);
    assert.equal(o.region, undefined);
    assert.equal(cjs.rdsToken(o), c.expected.token);
  });
  test('Node: region_required falls back to AWS_REGION', () => {
    const o = { ...basicOptions(), hostname: '127.0.0.1', region: undefined };
    const saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION };
    try {
      delete process.env.AWS_REGION;
      delete process.env.AWS_DEFAULT_REGION;
      throwsTokenError(() => cjs.rdsToken(o), 'region_required');
      process.env.AWS_REGION = 'eu-west-3';
      assert.equal(cjs.inspectToken(cjs.rdsToken(o)).region, 'eu-west-3');
      // an endpoint's own region wins over the environment (no region_mismatch)
      assert.equal(cjs.rdsToken({ ...basicOptions(), region: undefined }), basic.expected.token);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  });
  test('Node: credentials default to the AWS_* environment variables', () => {
    const c = vector('rds-credentials-expire-before-token-clamped');
    const o = toOptions('rds', c.input);
    const keys = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION'];
    const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
    try {
      for (const k of keys) delete process.env[k];
      throwsTokenError(() => cjs.rdsToken({ ...o, credentials: undefined }), 'empty_access_key_id');
      process.env.AWS_ACCESS_KEY_ID = o.credentials.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = o.credentials.secretAccessKey;
      process.env.AWS_SESSION_TOKEN = o.credentials.sessionToken;
      process.env.AWS_CREDENTIAL_EXPIRATION = o.credentials.expiration.toISOString();
      assert.equal(cjs.rdsToken({ ...o, credentials: undefined }), c.expected.token);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  });
  test('credentials already expired are credentials_expired', () => {
    const o = basicOptions();
    o.credentials.expiration = new Date(basic.input.signing_time * 1000);
    throwsTokenError(() => cjs.rdsToken(o), 'credentials_expired');
    o.credentials.expiration = new Date(-5000);
    throwsTokenError(() => cjs.rdsToken(o), 'credentials_expired');
  });
  test('every kind', () => {
    for (const id of ['dsql-connect-admin-basic', 'elasticache-serverless']) {
      const c = vector(id);
      const f = { dsql: cjs.dsqlToken, elasticache: cjs.elastiCacheToken }[c.kind];
      assert.equal(f(toOptions(c.kind, c.input)), c.expected.token);
    }
    const m = tokens.find((t) => t.kind === 'memorydb');
    assert.equal(cjs.memoryDbToken(toOptions('memorydb', m.input)), m.expected.token);
  });
  test('interleaved requests: strings kept in wasm memory are reused only for the same request', () => {
    // The one-off signer skips re-encoding the strings of the previous request: every vector,
    // twice in a row, then all of them again in reverse order (each one differs from the last in
    // one or more strings), interleaved with inspect/verify (which overwrite the buffer).
    const cases = tokens.filter((t) => t.kind === 'rds' && !t.input.credentials.expires_at);
    assert.ok(cases.length > 20);
    const fns = { rds: cjs.rdsToken };
    for (const c of [...cases, ...cases.slice().reverse()]) {
      const o = toOptions(c.kind, c.input);
      assert.equal(fns[c.kind](o), c.expected.token, c.id);
      assert.equal(fns[c.kind](o), c.expected.token, `${c.id} (again)`);
      assert.equal(cjs.inspectToken(c.expected.token).signature, c.expected.token.slice(-64));
    }
  });
});

describe('inspectToken: percent-decoded fields that are not UTF-8', () => {
  // Invalid sequences become U+FFFD, one per maximal subpart (the Unicode Standard's
  // recommended practice, which Rust's String::from_utf8_lossy and the WHATWG decoder both
  // follow; the expected strings are written out by hand from that rule). The same byte strings
  // are in the core's display_is_lossy_utf8_like_std test.
  const cases = [
    ['%C3%41', '\uFFFDA'],
    ['%6F%6B%E2%82', 'ok\uFFFD'],
    ['%F0%9F%98%80%20smile', '\u{1F600} smile'],
    ['%80%80abc%FF', '\uFFFD\uFFFDabc\uFFFD'],
    ['%E2%E2%E2', '\uFFFD\uFFFD\uFFFD'],
    ['a%ED%A0%80b', 'a\uFFFD\uFFFD\uFFFDb'],
    ['%F4%90%80%80z', '\uFFFD\uFFFD\uFFFD\uFFFDz'],
    ['%22q%5C%0A', '"q\\\n'],
  ];
  for (const [encoded, want] of cases) {
    test(encoded, () => {
      const t = basic.expected.token.replace(/DBUser=[^&]*&/, `DBUser=${encoded}&`);
      assert.notEqual(t, basic.expected.token);
      assert.equal(cjs.inspectToken(t).user, want);
      const k = basic.expected.token.replace(/X-Amz-Credential=[^%]*%2F/, `X-Amz-Credential=${encoded}%2F`);
      assert.equal(cjs.inspectToken(k).accessKeyId, want);
    });
  }
});

describe('Signer (drop-in for @aws-sdk/rds-signer)', () => {
  const { hostname, port, username, region } = basicOptions();
  const now = () => Math.floor(Date.now() / 1000);

  test('object credentials: a token for now that verifies', async () => {
    const credentials = basicOptions().credentials;
    const t = await new cjs.Signer({ hostname, port, username, region, credentials }).getAuthToken();
    const info = cjs.verifyToken(t, SECRET);
    assert.ok(Math.abs(info.signingDate.getTime() / 1000 - now()) <= 2);
    assert.equal(info.expiresIn, 900);
    assert.equal(info.user, username);
  });
  test('async provider; refreshed once when it expires before the token', async () => {
    const calls = [];
    const provider = async (props) => {
      calls.push(props);
      const expiration = new Date(Date.now() + (calls.length === 1 ? 60_000 : 3_600_000));
      return { ...basicOptions().credentials, expiration };
    };
    const t = await new cjs.Signer({ hostname, port, username, region, credentials: provider }).getAuthToken();
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[1], { forceRefresh: true });
    assert.equal(cjs.inspectToken(t).expiresIn, 900);
  });
  test('async provider still short after the refresh: the token is clamped to the credentials', async () => {
    let calls = 0;
    const expiration = new Date((now() + 120) * 1000);
    const provider = async () => {
      calls++;
      return { ...basicOptions().credentials, expiration };
    };
    const t = await new cjs.Signer({ hostname, port, username, region, credentials: provider }).getAuthToken();
    assert.equal(calls, 2);
    const info = cjs.inspectToken(t);
    assert.ok(info.expiresIn <= 120 && info.expiresIn >= 115, `expiresIn ${info.expiresIn}`);
    assert.equal(info.expiresAt.getTime(), expiration.getTime());
  });
  test('a provider that fails on refresh: the first credentials, clamped', async () => {
    let calls = 0;
    const provider = async () => {
      if (++calls > 1) throw new Error('refresh failed');
      return { ...basicOptions().credentials, expiration: new Date((now() + 300) * 1000) };
    };
    const t = await new cjs.Signer({ hostname, port, username, region, credentials: provider }).getAuthToken();
    assert.ok(cjs.inspectToken(t).expiresIn <= 300);
  });
  test('errors reject the promise (TokenError / TypeError), never a string', async () => {
    await assert.rejects(new cjs.Signer({ hostname: 'https://x', port, username, region, credentials: basicOptions().credentials }).getAuthToken(), (e) => cjs.isTokenError(e) && e.code === 'host_has_scheme');
    await assert.rejects(new cjs.Signer({ hostname, port: '5432', username, region, credentials: basicOptions().credentials }).getAuthToken(), TypeError);
    await assert.rejects(new cjs.Signer({ hostname, port, username, region, credentials: async () => null }).getAuthToken(), TypeError);
    assert.throws(() => new cjs.Signer({ hostname, port, username, profile: 'dev' }), TypeError);
    assert.throws(() => new cjs.Signer(), TypeError);
  });
  test('inspect/console.log of a Signer or a TokenCache shows no secret', () => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'very-secret-key', sessionToken: 'very-secret-session' };
    const s = new cjs.Signer({ hostname, port, username, region, credentials });
    const d = new cjs.DsqlSigner({ hostname: 'x.dsql.us-east-1.on.aws', credentials });
    const cache = new cjs.TokenCache();
    cache.rdsToken({ hostname, port, username, region, credentials });
    for (const o of [s, d, cache]) {
      const shown = inspect(o, { showHidden: true, depth: 10 }) + JSON.stringify(o) + String(o);
      assert.ok(!shown.includes('very-secret'), shown);
    }
  });
  test('DsqlSigner', async () => {
    const c = vector('dsql-connect-admin-basic');
    const o = toOptions('dsql', c.input);
    const s = new cjs.DsqlSigner({ hostname: o.hostname, region: o.region, credentials: o.credentials, expiresIn: 3600 });
    const admin = cjs.inspectToken(await s.getDbConnectAdminAuthToken());
    const plain = cjs.inspectToken(await s.getDbConnectAuthToken());
    assert.equal(admin.action, 'DbConnectAdmin');
    assert.equal(plain.action, 'DbConnect');
    assert.equal(plain.expiresIn, 3600);
  });
});

describe('TokenCache', () => {
  test('reuses a token until the refresh margin, then signs a new one', () => {
    const cache = new cjs.TokenCache({ refreshMargin: 60 });
    assert.equal(cache.refreshMargin, 60);
    const o = basicOptions();
    const t0 = basic.input.signing_time;
    const at = (s) => cache.rdsToken({ ...o, signingDate: new Date(s * 1000) });
    assert.equal(at(t0), basic.expected.token);
    assert.equal(at(t0 + 839), basic.expected.token);
    const t1 = at(t0 + 840);
    assert.notEqual(t1, basic.expected.token);
    assert.equal(cjs.inspectToken(t1).signingDate.getTime(), (t0 + 840) * 1000);
    // another request is another token
    assert.notEqual(cache.rdsToken({ ...o, username: 'other', signingDate: new Date((t0 + 841) * 1000) }), t1);
    cache.clear();
    assert.equal(at(t0), basic.expected.token);
  });
  test('default margin 30 s; a token never outlives its credentials', () => {
    const cache = new cjs.TokenCache();
    assert.equal(cache.refreshMargin, 30);
    const c = vector('rds-credentials-expire-before-token-clamped');
    const o = toOptions('rds', c.input);
    assert.equal(cache.rdsToken(o), c.expected.token);
    throwsTokenError(() => cache.rdsToken({ ...o, signingDate: o.credentials.expiration }), 'credentials_expired');
  });
});

describe('the WebAssembly trap guard', () => {
  // A trap cannot be provoked through the real module (nothing panics), so the shared wrapper
  // of the package is driven with a stand-in glue whose call traps once.
  test('a WebAssembly.RuntimeError becomes TokenError internal and the module is reloaded', () => {
    const { makeApi } = createRequire(import.meta.url)(join(pkgDir, 'dist', 'api.cjs'));
    let resets = 0;
    let trap = true;
    // The module's protocol: strings in through an input buffer (at 0: its 8-byte header, then
    // the strings); a call returns the result's address and writes its length into the header.
    const memory = new WebAssembly.Memory({ initial: 2 });
    const result = (text) => {
      const b = new TextEncoder().encode(text);
      const m = new Uint8Array(memory.buffer);
      m.set(b, 65536);
      new DataView(memory.buffer).setUint32(0, b.length, true);
      return 65536;
    };
    const glue = {
      __memory: () => memory,
      __wbg_reset_state() {
        resets++;
      },
      Cache: class {
        input() {
          return 0;
        }
        get() {
          if (trap) {
            trap = false;
            throw new WebAssembly.RuntimeError('unreachable');
          }
          return result('db.example.com:5432/?Action=connect');
        }
        inspect() {
          return result('\u0000malformed_token\nthe text is not a token');
        }
        verify() {
          return result('{}');
        }
        free() {}
      },
    };
    const api = makeApi(glue, {});
    const o = basicOptions();
    assert.throws(() => api.rdsToken(o), (e) => api.isTokenError(e) && e.code === 'internal' && e instanceof Error);
    assert.equal(resets, 1);
    assert.equal(api.rdsToken(o), 'db.example.com:5432/?Action=connect');
    assert.throws(() => api.inspectToken('x'), (e) => e.code === 'malformed_token' && e.message === 'the text is not a token');
  });
});

describe('package', () => {
  test('explicit files; the wasm module is shared by both glues', () => {
    const pj = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    assert.equal(pj.name, 'dbtoken');
    assert.ok(Array.isArray(pj.files));
    assert.ok(pj.exports['.'].node.import);
    assert.ok(pj.exports['.'].node.require);
    assert.ok(pj.exports['.'].browser);
    const node = readFileSync(join(pkgDir, 'dist', 'wasm-node.cjs'), 'utf8');
    const web = readFileSync(join(pkgDir, 'dist', 'wasm-web.mjs'), 'utf8');
    assert.match(node, /dbtoken_wasm_bg\.wasm/);
    assert.match(web, /dbtoken_wasm_bg\.wasm/);
    assert.ok(!pj.dependencies, 'no runtime dependencies');
  });
});
