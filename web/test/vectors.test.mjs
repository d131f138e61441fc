// tests/vectors/*.json against the packed package, through both Node entries (CJS and ESM).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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
