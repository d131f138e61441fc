// Pools across the token's lifetime: tokens live 2 s (the servers check expiry); each test opens a
// connection through a pool, holds it, waits until that token has expired, then opens another
// connection through the same pool. With a fresh token per new connection the second login
// succeeds; with a token fixed at start-up (the anti-pattern) it is refused.
// Servers: scripts/pg-iam.sh and scripts/mysql-iam.sh (the stage script starts both and exports
// PGHOST, PGPORT, DBTOKEN_PG_* and DBTOKEN_MYSQL_*).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import knexFactory from 'knex';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { QueryTypes, Sequelize } from 'sequelize';
import { cjs as dbtoken } from './pkg.mjs';

const env = process.env;
for (const k of ['PGHOST', 'PGPORT', 'DBTOKEN_PG_SECRET_FILE', 'DBTOKEN_PG_HOST', 'DBTOKEN_PG_REGION',
  'DBTOKEN_MYSQL_PORT', 'DBTOKEN_MYSQL_CA', 'DBTOKEN_MYSQL_SECRET_FILE', 'DBTOKEN_MYSQL_HOST', 'DBTOKEN_MYSQL_REGION', 'DBTOKEN_MYSQL_DATABASE']) {
  if (!env[k]) throw new Error(`${k} is not set: start the servers with scripts/pg-iam.sh and scripts/mysql-iam.sh (scripts/stages/web.sh does)`);
}
const EXPIRES_IN = 2;

const PG = {
  host: env.PGHOST,
  port: Number(env.PGPORT),
  database: 'postgres',
  signer: {
    hostname: env.DBTOKEN_PG_HOST,
    port: Number(env.PGPORT),
    username: 'app_user',
    region: env.DBTOKEN_PG_REGION,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: readFileSync(env.DBTOKEN_PG_SECRET_FILE, 'utf8') },
    expiresIn: EXPIRES_IN,
  },
};
const MY = {
  host: '127.0.0.1',
  port: Number(env.DBTOKEN_MYSQL_PORT),
  database: env.DBTOKEN_MYSQL_DATABASE,
  ca: readFileSync(env.DBTOKEN_MYSQL_CA),
  signer: {
    hostname: env.DBTOKEN_MYSQL_HOST,
    port: Number(env.DBTOKEN_MYSQL_PORT),
    username: 'app_user',
    region: env.DBTOKEN_MYSQL_REGION,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: readFileSync(env.DBTOKEN_MYSQL_SECRET_FILE, 'utf8') },
    expiresIn: EXPIRES_IN,
  },
};

/** A Signer that records the tokens it hands out. */
function recording(config) {
  const signer = new dbtoken.Signer(config);
  const src = {
    tokens: [],
    async getAuthToken() {
      const t = await signer.getAuthToken();
      src.tokens.push(t);
      return t;
    },
  };
  return src;
}

/** Waits until `token` has expired (plus a little). */
async function pastExpiry(token) {
  const ms = dbtoken.inspectToken(token).expiresAt.getTime() + 250 - Date.now();
  assert.ok(ms < (EXPIRES_IN + 1) * 1000, 'the token lives longer than the test expects');
  if (ms > 0) await sleep(ms);
}

/**
 * The scenario: `first()` opens (and holds) a connection and returns its server-side id;
 * after the last token handed out so far has expired, `second()` must open another connection.
 */
async function acrossExpiry(src, first, second) {
  const id1 = await first();
  assert.ok(src.tokens.length >= 1, 'no token was signed for the first connection');
  const before = src.tokens.length;
  await pastExpiry(src.tokens.at(-1));
  const id2 = await second();
  assert.notEqual(id2, id1, 'the second query did not run on a new connection');
  assert.ok(src.tokens.length > before, 'no new token was signed after the first one expired');
  return [id1, id2];
}

const pgId = 'select pg_backend_pid() as id';
const myId = 'select connection_id() as id';
const pgRefused = /password authentication failed|PAM authentication failed|authentication failed/;
const myRefused = (e) => {
  assert.equal(e.code, 'ER_ACCESS_DENIED_ERROR', `${e.code}: ${e.message}`);
  return true;
};

describe('pools across the token lifetime (tokens live 2 s)', { concurrency: true }, () => {
  test('node-postgres Pool, password: () => signer.getAuthToken()', async () => {
    const src = recording(PG.signer);
    const pool = new pg.Pool({ host: PG.host, port: PG.port, database: PG.database, user: 'app_user', password: () => src.getAuthToken(), max: 2 });
    let c1;
    try {
      await acrossExpiry(src, async () => {
        c1 = await pool.connect();
        return (await c1.query(pgId)).rows[0].id;
      }, async () => (await pool.query(pgId)).rows[0].id);
    } finally {
      c1?.release();
      await pool.end();
    }
  });

  test('mysql2 pool with mysql2Options', async () => {
    const src = recording(MY.signer);
    const pool = mysql.createPool(dbtoken.mysql2Options(src, { host: MY.host, port: MY.port, user: 'app_user', database: MY.database, ssl: { ca: MY.ca }, connectionLimit: 2 }));
    let c1;
    try {
      await acrossExpiry(src, async () => {
        c1 = await pool.getConnection();
        return (await c1.query(myId))[0][0].id;
      }, async () => (await pool.query(myId))[0][0].id);
    } finally {
      c1?.release();
      await pool.end();
    }
  });

  // Knex calls a `connection` function again only when the `expirationChecker` it returned
  // says so; without one, the function runs once and its token is kept for good.
  function knexConnection(src, base, extra) {
    return async () => {
      const password = await src.getAuthToken();
      const expiresAt = dbtoken.inspectToken(password).expiresAt.getTime();
      return { ...base, password, ...extra, expirationChecker: () => Date.now() >= expiresAt - 500 };
    };
  }

  test('Knex (pg): connection function with expirationChecker', async () => {
    const src = recording(PG.signer);
    const knex = knexFactory({
      client: 'pg',
      connection: knexConnection(src, { host: PG.host, port: PG.port, database: PG.database, user: 'app_user' }),
      pool: { min: 0, max: 2 },
    });
    let trx;
    try {
      await acrossExpiry(src, async () => {
        trx = await knex.transaction();
        return (await trx.raw(pgId)).rows[0].id;
      }, async () => (await knex.raw(pgId)).rows[0].id);
    } finally {
      await trx?.rollback();
      await knex.destroy();
    }
  });

  test('Knex (mysql2): connection function with expirationChecker (enableCleartextPlugin, ssl)', async () => {
    const src = recording(MY.signer);
    const knex = knexFactory({
      client: 'mysql2',
      connection: knexConnection(src, { host: MY.host, port: MY.port, database: MY.database, user: 'app_user' }, { enableCleartextPlugin: true, ssl: { ca: MY.ca } }),
      pool: { min: 0, max: 2 },
    });
    let trx;
    try {
      await acrossExpiry(src, async () => {
        trx = await knex.transaction();
        return (await trx.raw(myId))[0][0].id;
      }, async () => (await knex.raw(myId))[0][0].id);
    } finally {
      await trx?.rollback();
      await knex.destroy();
    }
  });

  test('Knex (mysql2): static connection: mysql2Options(...)', async () => {
    const src = recording(MY.signer);
    const knex = knexFactory({
      client: 'mysql2',
      connection: dbtoken.mysql2Options(src, { host: MY.host, port: MY.port, user: 'app_user', database: MY.database, ssl: { ca: MY.ca } }),
      pool: { min: 0, max: 2 },
    });
    let trx;
    try {
      await acrossExpiry(src, async () => {
        trx = await knex.transaction();
        return (await trx.raw(myId))[0][0].id;
      }, async () => (await knex.raw(myId))[0][0].id);
    } finally {
      await trx?.rollback();
      await knex.destroy();
    }
  });

  async function sequelizeAcross(sequelize, src, sql) {
    let t;
    try {
      await acrossExpiry(src, async () => {
        t = await sequelize.transaction();
        return (await sequelize.query(sql, { transaction: t, type: QueryTypes.SELECT }))[0].id;
      }, async () => (await sequelize.query(sql, { type: QueryTypes.SELECT }))[0].id);
    } finally {
      await t?.rollback();
      await sequelize.close();
    }
  }

  test('Sequelize (postgres): beforeConnect hook', async () => {
    const src = recording(PG.signer);
    const sequelize = new Sequelize(PG.database, 'app_user', null, {
      dialect: 'postgres',
      host: PG.host,
      port: PG.port,
      logging: false,
      pool: { min: 0, max: 2 },
      hooks: {
        beforeConnect: async (config) => {
          config.password = await src.getAuthToken();
        },
      },
    });
    await sequelizeAcross(sequelize, src, pgId);
  });

  test('Sequelize (mysql): beforeConnect hook (enableCleartextPlugin, ssl)', async () => {
    const src = recording(MY.signer);
    const sequelize = new Sequelize(MY.database, 'app_user', null, {
      dialect: 'mysql',
      host: MY.host,
      port: MY.port,
      logging: false,
      pool: { min: 0, max: 2 },
      dialectOptions: { ssl: { ca: MY.ca }, enableCleartextPlugin: true },
      hooks: {
        beforeConnect: async (config) => {
          config.password = await src.getAuthToken();
        },
      },
    });
    await sequelizeAcross(sequelize, src, myId);
  });

  test('Sequelize (mysql): dialectOptions: mysql2Options(...), no hook', async () => {
    const src = recording(MY.signer);
    const sequelize = new Sequelize(MY.database, 'app_user', null, {
      dialect: 'mysql',
      host: MY.host,
      port: MY.port,
      logging: false,
      pool: { min: 0, max: 2 },
      dialectOptions: dbtoken.mysql2Options(src, { host: MY.host, ssl: { ca: MY.ca } }),
    });
    await sequelizeAcross(sequelize, src, myId);
  });

  describe('the anti-pattern: a token fixed at start-up', { concurrency: true }, () => {
    test('node-postgres Pool, password: a string', async () => {
      const src = recording(PG.signer);
      const token = await src.getAuthToken();
      const pool = new pg.Pool({ host: PG.host, port: PG.port, database: PG.database, user: 'app_user', password: token, max: 2 });
      let c1;
      try {
        c1 = await pool.connect();
        await c1.query(pgId);
        await pastExpiry(token);
        await assert.rejects(pool.query(pgId), pgRefused);
      } finally {
        c1?.release();
        await pool.end();
      }
    });

    test('mysql2 pool, password: a string with enableCleartextPlugin', async () => {
      const src = recording(MY.signer);
      const token = await src.getAuthToken();
      const pool = mysql.createPool({ host: MY.host, port: MY.port, database: MY.database, user: 'app_user', password: token, enableCleartextPlugin: true, ssl: { ca: MY.ca }, connectionLimit: 2 });
      let c1;
      try {
        c1 = await pool.getConnection();
        await c1.query(myId);
        await pastExpiry(token);
        await assert.rejects(pool.query(myId), myRefused);
      } finally {
        c1?.release();
        await pool.end();
      }
    });

    test('Knex (pg): connection function without expirationChecker (called once)', async () => {
      const src = recording(PG.signer);
      const knex = knexFactory({
        client: 'pg',
        connection: async () => ({ host: PG.host, port: PG.port, database: PG.database, user: 'app_user', password: await src.getAuthToken() }),
        pool: { min: 0, max: 2 },
        log: { warn() {}, error() {} }, // the refused login is expected
      });
      let trx;
      try {
        trx = await knex.transaction();
        await trx.raw(pgId);
        await pastExpiry(src.tokens.at(-1));
        await assert.rejects(knex.raw(pgId), pgRefused);
        assert.equal(src.tokens.length, 1, 'Knex called the connection function again');
      } finally {
        await trx?.rollback();
        await knex.destroy();
      }
    });

    test('Sequelize (postgres): password given to the constructor', async () => {
      const src = recording(PG.signer);
      const token = await src.getAuthToken();
      const sequelize = new Sequelize(PG.database, 'app_user', token, {
        dialect: 'postgres', host: PG.host, port: PG.port, logging: false, pool: { min: 0, max: 2 },
      });
      let t;
      try {
        t = await sequelize.transaction();
        await sequelize.query(pgId, { transaction: t, type: QueryTypes.SELECT });
        await pastExpiry(token);
        await assert.rejects(sequelize.query(pgId, { type: QueryTypes.SELECT }), pgRefused);
      } finally {
        await t?.rollback();
        await sequelize.close();
      }
    });
  });
});
