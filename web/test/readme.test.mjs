// Every ```js test block of web/README.md runs, as a CommonJS script inside the consumer project
// (so `require('dbtoken')` is the packed package), and must exit 0. Blocks tagged ```js test pg
// or ```js test mysql connect to the local IAM-auth servers (scripts/pg-iam.sh,
// scripts/mysql-iam.sh, started by scripts/stages/web.sh): they get the endpoint in DB_HOST,
// DB_PORT, DB_USER, DB_NAME (and DB_CA for MySQL), the credentials and region in the AWS_*
// variables, and must print the user they logged in as.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { consumer } from './pkg.mjs';

const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```js test( pg| mysql)?\n([\s\S]*?)```/g)].map((m) => ({ server: m[1]?.trim(), code: m[2] }));

function need(k) {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set: start the servers with scripts/pg-iam.sh and scripts/mysql-iam.sh (scripts/stages/web.sh does)`);
  return v;
}

/** The environment a block tagged for `server` runs with. */
function serverEnv(server) {
  if (server === 'pg') {
    return {
      DB_HOST: need('DBTOKEN_PG_HOST'), DB_PORT: need('PGPORT'), DB_USER: 'iam_user', DB_NAME: 'postgres',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: readFileSync(need('DBTOKEN_PG_SECRET_FILE'), 'utf8'), AWS_REGION: need('DBTOKEN_PG_REGION'),
    };
  }
  return {
    DB_HOST: need('DBTOKEN_MYSQL_HOST'), DB_PORT: need('DBTOKEN_MYSQL_PORT'), DB_USER: 'iam_user', DB_NAME: need('DBTOKEN_MYSQL_DATABASE'), DB_CA: need('DBTOKEN_MYSQL_CA'),
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: readFileSync(need('DBTOKEN_MYSQL_SECRET_FILE'), 'utf8'), AWS_REGION: need('DBTOKEN_MYSQL_REGION'),
  };
}

test('README has runnable examples', () => {
  assert.ok(blocks.length >= 3);
  assert.ok(blocks.some((b) => b.server === 'pg') && blocks.some((b) => b.server === 'mysql'));
});
blocks.forEach(({ server, code }, i) => {
  test(`README example ${i + 1}${server ? ` (${server})` : ''}`, () => {
    const file = join(consumer, `readme-${i + 1}.cjs`);
    writeFileSync(file, code);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('DB_') && !k.startsWith('PG')));
    if (server) Object.assign(env, serverEnv(server));
    const r = spawnSync(process.execPath, [file], { cwd: consumer, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    if (server) assert.match(r.stdout, /^iam_user(@%)?$/m, r.stdout);
  });
});
