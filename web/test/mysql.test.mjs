// mysql2 with `mysql2Options` logs in to the local MariaDB whose IAM users are checked by
// `dbtoken verify` (scripts/mysql-iam.sh: auth_pam asks for mysql_clear_password, the users are
// REQUIRE SSL, TLS with a throwaway CA). The stage script starts it and exports
// DBTOKEN_MYSQL_PORT, DBTOKEN_MYSQL_CA, DBTOKEN_MYSQL_SECRET_FILE, DBTOKEN_MYSQL_HOST,
// DBTOKEN_MYSQL_REGION, DBTOKEN_MYSQL_DATABASE.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import { cjs as dbtoken, esm } from './pkg.mjs';

const env = process.env;
for (const k of ['DBTOKEN_MYSQL_PORT', 'DBTOKEN_MYSQL_CA', 'DBTOKEN_MYSQL_SECRET_FILE', 'DBTOKEN_MYSQL_HOST', 'DBTOKEN_MYSQL_REGION', 'DBTOKEN_MYSQL_DATABASE']) {
  if (!env[k]) throw new Error(`${k} is not set: start the server with scripts/mysql-iam.sh (scripts/stages/web.sh does)`);
}
const secretAccessKey = readFileSync(env.DBTOKEN_MYSQL_SECRET_FILE, 'utf8');
const port = Number(env.DBTOKEN_MYSQL_PORT);
const hostname = env.DBTOKEN_MYSQL_HOST;
const region = env.DBTOKEN_MYSQL_REGION;
const database = env.DBTOKEN_MYSQL_DATABASE;
const ca = readFileSync(env.DBTOKEN_MYSQL_CA);
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey };
const signerConfig = { hostname, port, username: 'iam_user', region, credentials };
// Where to connect (the token names DBTOKEN_MYSQL_HOST, which may differ).
const server = { host: '127.0.0.1', port, database };

/** A token source that counts the tokens it hands out. */
function counting(config = signerConfig) {
  const signer = new dbtoken.Signer(config);
  const src = {
    calls: 0,
    getAuthToken() {
      src.calls++;
      return signer.getAuthToken();
    },
  };
  return src;
}

async function whoami(conn) {
  const [rows] = await conn.query("select current_user() as u, connection_id() as id, (select variable_value from information_schema.session_status where variable_name = 'Ssl_version') as tls");
  return rows[0];
}

/** Logs in with `token` as `user` through mysql2Options; resolves to current_user(). */
async function loginWith(token, user = 'iam_user') {
  const conn = await mysql.createConnection(dbtoken.mysql2Options({ getAuthToken: async () => token }, { ...server, user, ssl: { ca } }));
  try {
    return (await whoami(conn)).u;
  } finally {
    await conn.end();
  }
}

function refused(promise) {
  return assert.rejects(promise, (e) => {
    assert.equal(e.code, 'ER_ACCESS_DENIED_ERROR', `${e.code}: ${e.message}`);
    return true;
  });
}

describe('mysql2 + mysql2Options against IAM-auth MariaDB (mysql_clear_password, TLS)', () => {
  test('a connection logs in over TLS verified against the CA, host/port/user from the signer config', async () => {
    const opts = dbtoken.mysql2Options(signerConfig, { database, ssl: { ca } });
    assert.equal(opts.host, hostname);
    assert.equal(opts.port, port);
    assert.equal(opts.user, 'iam_user');
    assert.equal(opts.password, undefined);
    assert.equal(opts.enableCleartextPlugin, undefined);
    const conn = await mysql.createConnection({ ...opts, host: '127.0.0.1' });
    try {
      const me = await whoami(conn);
      assert.equal(me.u, 'iam_user@%');
      assert.match(me.tls, /^TLSv1\.[23]$/);
    } finally {
      await conn.end();
    }
  });

  test('the ESM entry exports the same helper', () => {
    assert.equal(esm.mysql2Options, dbtoken.mysql2Options);
  });

  test('an untrusted server certificate is refused before any token is signed', async () => {
    const src = counting();
    // ssl: {} trusts only the system CAs, not the server's throwaway CA.
    await assert.rejects(mysql.createConnection(dbtoken.mysql2Options(src, { ...server, user: 'iam_user', ssl: {} })), /certificate/i);
    assert.equal(src.calls, 0);
  });

  test('a pool signs a fresh token for every new connection', async () => {
    const src = counting({ ...signerConfig, username: 'app_user' });
    const pool = mysql.createPool(dbtoken.mysql2Options(src, { ...server, user: 'app_user', ssl: { ca }, connectionLimit: 3 }));
    try {
      const held = await Promise.all([1, 2, 3].map(() => pool.getConnection()));
      const ids = [];
      for (const c of held) {
        const me = await whoami(c);
        assert.equal(me.u, 'app_user@%');
        ids.push(me.id);
      }
      assert.equal(new Set(ids).size, 3);
      assert.equal(src.calls, 3);
      for (const c of held) c.release();
      // Reused connections log in no more.
      await Promise.all([1, 2, 3, 4, 5].map(() => pool.query('select 1')));
      assert.equal(src.calls, 3);
    } finally {
      await pool.end();
    }
  });

  test('works with the callback API (mysql2, not mysql2/promise) and an async credential provider', async () => {
    const { default: mysqlCb } = await import('mysql2');
    const opts = dbtoken.mysql2Options({ ...signerConfig, credentials: async () => credentials }, { ...server, ssl: { ca } });
    const conn = mysqlCb.createConnection(opts);
    const rows = await new Promise((resolve, reject) => conn.query('select current_user() as u', (e, r) => (e ? reject(e) : resolve(r))));
    await new Promise((resolve) => conn.end(resolve));
    assert.equal(rows[0].u, 'iam_user@%');
  });

  describe('refused logins', () => {
    const sign = (o = {}) => dbtoken.rdsToken({ ...signerConfig, ...o });
    test('control: the same helper with a good token logs in', async () => {
      assert.equal(await loginWith(sign()), 'iam_user@%');
    });
    test('a token for another user', () => refused(loginWith(sign({ username: 'app_user' }), 'iam_user')));
    test('a token for another host', () => refused(loginWith(sign({ hostname: 'db.example.com' }))));
    test('a token for another port', () => refused(loginWith(sign({ port: port === 65535 ? port - 1 : port + 1 }))));
    test('a token for another region', () => refused(loginWith(sign({ region: region === 'eu-west-1' ? 'us-west-2' : 'eu-west-1' }))));
    test('a token signed with another secret', () => refused(loginWith(sign({ credentials: { ...credentials, secretAccessKey: `${secretAccessKey}x` } }))));
    test('an expired token', () => refused(loginWith(sign({ expiresIn: 5, signingDate: new Date(Date.now() - 60_000) }))));
    test('a tampered token (last signature digit changed)', () => {
      const t = sign();
      const last = t.at(-1) === '0' ? '1' : '0';
      return refused(loginWith(t.slice(0, -1) + last));
    });
  });

  describe('without the helper', () => {
    test('plain mysql2 options with the token as password: mysql2 refuses the cleartext plugin', async () => {
      const token = dbtoken.rdsToken(signerConfig);
      await assert.rejects(mysql.createConnection({ ...server, user: 'iam_user', password: token, ssl: { ca } }), (e) => {
        assert.equal(e.code, 'MYSQL_CLEAR_PASSWORD_NOT_ENABLED');
        return true;
      });
    });
    test('the same token with enableCleartextPlugin: true logs in (only the plugin was missing)', async () => {
      const token = dbtoken.rdsToken(signerConfig);
      const conn = await mysql.createConnection({ ...server, user: 'iam_user', password: token, enableCleartextPlugin: true, ssl: { ca } });
      try {
        assert.equal((await whoami(conn)).u, 'iam_user@%');
      } finally {
        await conn.end();
      }
    });
  });

  describe('TLS is required', () => {
    test('mysql2Options without ssl throws a TypeError', () => {
      assert.throws(() => dbtoken.mysql2Options(signerConfig, { database }), TypeError);
      assert.throws(() => dbtoken.mysql2Options(signerConfig), TypeError);
    });
    test('ssl removed afterwards: the plugin signs nothing and the login fails', async () => {
      const src = counting();
      const opts = dbtoken.mysql2Options(src, { ...server, user: 'iam_user', ssl: { ca } });
      delete opts.ssl;
      await assert.rejects(mysql.createConnection(opts), (e) => {
        assert.equal(e.code, 'AUTH_SWITCH_PLUGIN_ERROR', `${e.code}: ${e.message}`);
        assert.match(e.message, /without TLS/);
        return true;
      });
      assert.equal(src.calls, 0);
    });
    test('password or enableCleartextPlugin in the options is a TypeError', () => {
      assert.throws(() => dbtoken.mysql2Options(signerConfig, { ssl: { ca }, password: 'x' }), TypeError);
      assert.throws(() => dbtoken.mysql2Options(signerConfig, { ssl: { ca }, enableCleartextPlugin: true }), TypeError);
    });
    test('a bad signer configuration is the Signer\'s error, at the first connection', async () => {
      assert.throws(() => dbtoken.mysql2Options(null, { ssl: { ca } }), TypeError);
      const opts = dbtoken.mysql2Options({ ...signerConfig, hostname: 'https://db.example.com' }, { ...server, ssl: { ca } });
      await assert.rejects(mysql.createConnection(opts), (e) => {
        assert.equal(e.code, 'AUTH_SWITCH_PLUGIN_ERROR', `${e.code}: ${e.message}`);
        assert.ok(dbtoken.isTokenError(e.cause), `${e.cause}`);
        assert.equal(e.cause.code, 'host_has_scheme');
        return true;
      });
    });
  });
});
