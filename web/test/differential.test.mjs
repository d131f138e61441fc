// Differential test against the AWS SDK for JavaScript v3 (`@aws-sdk/rds-signer`,
// `@aws-sdk/dsql-signer`, devDependencies) on thousands of random inputs, with the clock frozen
// (node:test mock timers: the SDK signs at `new Date()`). The SDK writes the query parameters
// in another order, so the tokens are compared as authority + the SET of `name=value` pairs
// (exact encodings included), which contains the signature.
//
// Inputs the SDK handles differently by design (see core/src/lib.rs, "Decisions where the AWS
// SDKs disagree") are not generated: port 443 (the SDK signs `host:443`), upper-case hosts (it
// signs them as written), empty session tokens, and credentials that expire before the token.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { Signer as RdsSigner } from '@aws-sdk/rds-signer';
import { DsqlSigner } from '@aws-sdk/dsql-signer';
import { cjs as dbtoken } from './pkg.mjs';

const N_RDS = Number(process.env.DBTOKEN_DIFF_N ?? 3000);
const N_DSQL = Math.ceil(N_RDS / 2);
const SEED = Number(process.env.DBTOKEN_DIFF_SEED ?? (Date.now() % 2 ** 31));

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const R = rng(SEED);
const int = (lo, hi) => lo + Math.floor(R() * (hi - lo + 1));
const pick = (xs) => xs[int(0, xs.length - 1)];
const chars = (pool, lo, hi) => Array.from({ length: int(lo, hi) }, () => pick(pool)).join('');

const LOWER = [...'abcdefghijklmnopqrstuvwxyz'];
const ALNUM = [...'abcdefghijklmnopqrstuvwxyz0123456789'];
const B64 = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/='];
const USER = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', ...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~ ', 'é', 'ß', 'ö', '用', '户', '😀', '🦀', '\u00a0', '\u2028'];
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-3', 'eu-central-1', 'ap-southeast-2', 'sa-east-1', 'cn-north-1', 'us-gov-west-1', 'il-central-1'];

function label() {
  const s = chars(ALNUM, 1, 12);
  return R() < 0.2 && s.length > 2 ? `${s.slice(0, 1)}-${s.slice(1)}` : s;
}
function randomCredentials() {
  const temporary = R() < 0.5;
  const c = {
    accessKeyId: (temporary ? 'ASIA' : 'AKIA') + chars([...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'], 16, 16),
    secretAccessKey: chars(B64, 40, 40),
  };
  if (temporary) c.sessionToken = chars(B64, 16, 400);
  return c;
}
const randomDate = () => new Date(int(946684800, 4102444799) * 1000); // 2000 .. 2099

function parse(token) {
  const i = token.indexOf('/?');
  assert.ok(i > 0, `no '/?' in ${token}`);
  const params = token.slice(i + 2).split('&').sort();
  return { authority: token.slice(0, i), params };
}
function same(ours, theirs, what) {
  const a = parse(ours);
  const b = parse(theirs);
  assert.equal(a.authority, b.authority, `${what}: authority`);
  assert.deepEqual(a.params, b.params, `${what}: parameter set`);
}

test(`rds: ${N_RDS} random inputs against @aws-sdk/rds-signer (seed ${SEED})`, async () => {
  for (let n = 0; n < N_RDS; n++) {
    const region = pick(REGIONS);
    const hostname = R() < 0.5
      ? `${label()}.${chars(LOWER, 6, 12)}.${region}.rds.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`.replace(`.${region}.rds.amazonaws.com.cn`, `.rds.${region}.amazonaws.com.cn`)
      : Array.from({ length: int(1, 4) }, label).join('.');
    let port = int(1, 65535);
    if (port === 443) port = 5432;
    const username = chars(USER, 1, 40);
    const credentials = randomCredentials();
    const date = randomDate();
    const what = `case ${n} (seed ${SEED}): ${JSON.stringify({ hostname, port, username, region, date })}`;
    mock.timers.enable({ apis: ['Date'], now: date.getTime() });
    try {
      const theirs = await new RdsSigner({ hostname, port, username, region, credentials }).getAuthToken();
      const ours = dbtoken.rdsToken({ hostname, port, username, region, credentials, signingDate: new Date(date) });
      same(ours, theirs, what);
      if (n === 0) {
        // The comparison can fail: a token signed a second later is not the same.
        const later = dbtoken.rdsToken({ hostname, port, username, region, credentials, signingDate: new Date(date.getTime() + 1000) });
        assert.throws(() => same(later, theirs, what), assert.AssertionError);
      }
      // The drop-in Signer gives the same token at the same (frozen) time.
      assert.equal(await new dbtoken.Signer({ hostname, port, username, region, credentials }).getAuthToken(), ours, what);
    } finally {
      mock.timers.reset();
    }
  }
});

test(`rds: one target, credentials changing one field at a time, against @aws-sdk/rds-signer (seed ${SEED})`, async () => {
  // The one-off signer keeps the previous request's strings in wasm memory and skips writing
  // them again when they are the same: a new secret (same length) or session token alone must
  // still give the token for the new credentials.
  const target = { hostname: 'prod-instance.abc123xyz.us-east-1.rds.amazonaws.com', port: 5432, username: 'iam_user', region: 'us-east-1' };
  const date = randomDate();
  mock.timers.enable({ apis: ['Date'], now: date.getTime() });
  try {
    let credentials = randomCredentials();
    for (let n = 0; n < 300; n++) {
      const what = `case ${n} (seed ${SEED})`;
      const theirs = await new RdsSigner({ ...target, credentials }).getAuthToken();
      same(dbtoken.rdsToken({ ...target, credentials, signingDate: new Date(date) }), theirs, what);
      same(dbtoken.rdsToken({ ...target, credentials, signingDate: new Date(date) }), theirs, `${what} (again)`);
      const next = { ...credentials };
      if (n % 3 === 0) next.secretAccessKey = chars(B64, 40, 40);
      else if (n % 3 === 1) next.sessionToken = R() < 0.7 ? chars(B64, 16, 400) : undefined;
      else next.accessKeyId = (R() < 0.5 ? 'ASIA' : 'AKIA') + chars([...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'], 16, 16);
      credentials = next;
    }
  } finally {
    mock.timers.reset();
  }
});

test(`rds: one Signer re-signing across time, two targets alternating, against @aws-sdk/rds-signer (seed ${SEED})`, async () => {
  // The module keeps its last token and only re-signs it when the request repeats: seconds,
  // hours, days and years later (new signing keys), and back in time.
  for (let n = 0; n < 40; n++) {
    const region = pick(REGIONS);
    const targets = [0, 1].map(() => ({
      hostname: `${label()}.${chars(LOWER, 6, 12)}.${region}.rds.amazonaws.com`.replace(/^(.*)\.(cn-[a-z]+-\d)\.rds\.amazonaws\.com$/, '$1.rds.$2.amazonaws.com.cn'),
      port: int(1024, 65535),
      username: chars(USER, 1, 40),
      region,
      credentials: randomCredentials(),
    }));
    const ours = targets.map((t) => new dbtoken.Signer(t));
    const theirs = targets.map((t) => new RdsSigner(t));
    let now = randomDate().getTime();
    for (let k = 0; k < 60; k++) {
      now += pick([1000, 59_000, 3_600_000, 86_400_000, 366 * 86_400_000, -86_400_000, -1000]);
      const i = k % 7 < 5 ? 0 : 1;
      mock.timers.enable({ apis: ['Date'], now });
      try {
        const what = `target ${n}.${i}, step ${k} (seed ${SEED}): ${JSON.stringify({ ...targets[i], credentials: undefined, now: new Date(now) })}`;
        const want = await theirs[i].getAuthToken();
        same(await ours[i].getAuthToken(), want, what);
        same(dbtoken.rdsToken({ ...targets[i], signingDate: new Date(now) }), want, `${what} (rdsToken)`);
      } finally {
        mock.timers.reset();
      }
    }
  }
});

test(`dsql: ${N_DSQL} random inputs against @aws-sdk/dsql-signer (seed ${SEED})`, async () => {
  for (let n = 0; n < N_DSQL; n++) {
    const region = pick(REGIONS);
    const hostname = R() < 0.6 ? `${chars(LOWER, 26, 26)}.dsql.${region}.on.aws` : Array.from({ length: int(1, 4) }, label).join('.');
    const expiresIn = R() < 0.3 ? 900 : int(1, 604800);
    const admin = R() < 0.5;
    const credentials = randomCredentials();
    const date = randomDate();
    const what = `case ${n} (seed ${SEED}): ${JSON.stringify({ hostname, region, expiresIn, admin, date })}`;
    mock.timers.enable({ apis: ['Date'], now: date.getTime() });
    try {
      const peer = new DsqlSigner({ hostname, region, credentials, expiresIn });
      const theirs = await (admin ? peer.getDbConnectAdminAuthToken() : peer.getDbConnectAuthToken());
      const ours = dbtoken.dsqlToken({ hostname, admin, region, credentials, expiresIn, signingDate: new Date(date) });
      same(ours, theirs, what);
      const drop = new dbtoken.DsqlSigner({ hostname, region, credentials, expiresIn });
      assert.equal(await (admin ? drop.getDbConnectAdminAuthToken() : drop.getDbConnectAuthToken()), ours, what);
    } finally {
      mock.timers.reset();
    }
  }
});
