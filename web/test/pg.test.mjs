// A real driver: node-postgres (`pg`) with `password: () => signer.getAuthToken()` logs in to the
// local PostgreSQL whose PAM check is `dbtoken verify` (scripts/pg-iam.sh; the stage script
// starts it and exports PGHOST, PGPORT, DBTOKEN_PG_SECRET_FILE, DBTOKEN_PG_HOST, DBTOKEN_PG_REGION).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import pg from 'pg';
import { cjs as dbtoken } from './pkg.mjs';

const env = process.env;
for (const k of ['PGHOST', 'PGPORT', 'DBTOKEN_PG_SECRET_FILE', 'DBTOKEN_PG_HOST', 'DBTOKEN_PG_REGION']) {
  if (!env[k]) throw new Error(`${k} is not set: start the server with scripts/pg-iam.sh (scripts/stages/web.sh does)`);
}
const secretAccessKey = readFileSync(env.DBTOKEN_PG_SECRET_FILE, 'utf8');
const port = Number(env.PGPORT);
const hostname = env.DBTOKEN_PG_HOST;
const region = env.DBTOKEN_PG_REGION;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey };

async function login(password, user = 'iam_user') {
  const client = new pg.Client({ host: env.PGHOST, port, user, database: 'postgres', password, connectionTimeoutMillis: 20_000 });
  await client.connect();
  try {
    const r = await client.query('select current_user as u');
    return r.rows[0].u;
  } finally {
    await client.end();
  }
}

describe('node-postgres against IAM-auth PostgreSQL', () => {
  test('password: () => signer.getAuthToken() (the @aws-sdk/rds-signer idiom)', async () => {
    const signer = new dbtoken.Signer({ hostname, port, username: 'iam_user', region, credentials });
    assert.equal(await login(() => signer.getAuthToken()), 'iam_user');
  });
  test('an async credential provider, and a pg.Pool', async () => {
    const signer = new dbtoken.Signer({ hostname, port, username: 'app_user', region, credentials: async () => credentials });
    const pool = new pg.Pool({ host: env.PGHOST, port, user: 'app_user', database: 'postgres', password: () => signer.getAuthToken(), max: 2 });
    try {
      const rows = await Promise.all([1, 2, 3].map(() => pool.query('select current_user as u')));
      assert.deepEqual(rows.map((r) => r.rows[0].u), ['app_user', 'app_user', 'app_user']);
    } finally {
      await pool.end();
    }
  });
  test('a TokenCache token (synchronous password function)', async () => {
    const cache = new dbtoken.TokenCache();
    const password = () => cache.rdsToken({ hostname, port, username: 'iam_user', region, credentials });
    assert.equal(await login(password), 'iam_user');
    assert.equal(await login(password), 'iam_user');
  });
  test('a token signed with the wrong secret is refused', async () => {
    const wrong = dbtoken.rdsToken({ hostname, port, username: 'iam_user', region, credentials: { ...credentials, secretAccessKey: `${secretAccessKey}x` } });
    await assert.rejects(login(wrong), /authentication failed/);
  });
  test("a token for another user is refused", async () => {
    const other = dbtoken.rdsToken({ hostname, port, username: 'app_user', region, credentials });
    await assert.rejects(login(other, 'iam_user'), /authentication failed/);
  });
});
