// tests/vectors/*.json against the packed package, through both Node entries (CJS and ESM).
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { cjs, esm, FN, readVectors, toOptions } from './pkg.mjs';

const tokens = readVectors('tokens.json');
const errors = readVectors('errors.json');

describe('tokens.json', () => {
  for (const c of tokens) {
    test(c.id, () => {
      const o = toOptions(c.kind, c.input);
      const t = cjs[FN[c.kind]](o);
      assert.equal(t, c.expected.token);
      assert.equal(esm[FN[c.kind]](o), c.expected.token, 'ESM entry');
      const info = cjs.inspectToken(t);
      assert.equal(info.kind, c.kind);
      assert.equal(info.signature, c.expected.signature);
      assert.equal(info.expiresAt.getTime(), c.expected.expires_at * 1000);
      assert.equal(info.signingDate.getTime(), c.input.signing_time * 1000);
      // The token verifies with its secret while it is valid.
      const v = cjs.verifyToken(t, c.input.credentials.secret_access_key, new Date(c.input.signing_time * 1000));
      assert.equal(v.signature, c.expected.signature);
    });
  }
});

// The same request signed at other times first: the module then only re-signs its last token
// (new dates, hashes and signature; a clamped X-Amz-Expires can change length). Signing at the
// vector's time must still give the vector.
describe('tokens.json, re-signed after other times', () => {
  const DAY = 86400;
  for (const c of tokens) {
    test(c.id, async () => {
      const t = c.input.signing_time;
      const o = toOptions(c.kind, c.input);
      for (const other of [t - 1, t - DAY, t + 3600, t - 366 * DAY, t + 40 * DAY]) {
        if (other < 0) continue;
        try {
          cjs[FN[c.kind]]({ ...o, signingDate: new Date(other * 1000) });
        } catch (e) {
          // Credentials with an expiry are expired at some of these times.
          assert.equal(e.code, 'credentials_expired');
        }
        assert.equal(cjs[FN[c.kind]](o), c.expected.token, `after ${other}`);
      }
      if (c.kind !== 'rds') return;
      // The drop-in Signer (it reads the clock) over the same times.
      const { signingDate, ...config } = o;
      const signer = new cjs.Signer(config);
      for (const now of [t - DAY - 1, t, t + 1, t].filter((x) => x >= 0)) {
        mock.timers.enable({ apis: ['Date'], now: now * 1000 });
        try {
          const got = await signer.getAuthToken().catch((e) => e);
          if (now === t) assert.equal(got, c.expected.token, 'Signer');
        } finally {
          mock.timers.reset();
        }
      }
    });
  }
});

describe('errors.json', () => {
  for (const c of errors) {
    const skip = 'buffer_len' in c ? 'buffer_len cases are Rust-only (JS has no caller-supplied buffer)' : false;
    test(c.id, { skip }, () => {
      let run;
      if (c.op === 'token') run = (api) => api[FN[c.kind]](toOptions(c.kind, c.input));
      else if (c.op === 'inspect') run = (api) => api.inspectToken(c.token);
      else if (c.op === 'verify') run = (api) => api.verifyToken(c.token, c.secret_access_key, new Date(c.now * 1000));
      else throw new Error(`unknown op ${c.op}`);
      for (const api of [cjs, esm]) {
        assert.throws(() => run(api), (e) => {
          assert.ok(api.isTokenError(e), `expected a TokenError, got ${e}`);
          assert.ok(e instanceof Error);
          assert.equal(e.name, 'TokenError');
          assert.equal(e.code, c.code);
          assert.ok(e.message.length > 0);
          return true;
        });
      }
    });
  }
});
