// Packs web/ (`npm pack`) and installs the tarball into a fresh consumer project, the way a user
// gets the package; prints `DBTOKEN_CONSUMER=<dir>`. Run `npm run build` (and `npm ci`) first.
// For the type check (test/types/) and the README examples, the consumer also gets `typescript`,
// `@types/node`, `@aws-sdk/credential-providers` and the database drivers and ORMs the README shows
// (pg, mysql2, knex, sequelize, pg-hstore) at web/'s devDependency versions, from the npm cache.
//   node scripts/consumer.mjs [DIR]      (default: a new temp dir)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = process.argv[2] ? resolve(process.argv[2]) : mkdtempSync(join(tmpdir(), 'dbtoken-consumer-'));
mkdirSync(dir, { recursive: true });
const packDir = join(dir, 'pack');
mkdirSync(packDir, { recursive: true });
const out = execFileSync('npm', ['pack', web, '--json', '--pack-destination', packDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const [info] = JSON.parse(out);
const tgz = join(packDir, info.filename);
writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'dbtoken-consumer', private: true, version: '0.0.0' }, null, 2) + '\n');
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--offline', tgz], { cwd: dir, stdio: ['ignore', 2, 2] });
const dev = JSON.parse(readFileSync(join(web, 'package.json'), 'utf8')).devDependencies;
const typeDeps = ['typescript', '@types/node', '@aws-sdk/credential-providers', 'pg', 'mysql2', 'knex', 'sequelize', 'pg-hstore'].map((n) => `${n}@${dev[n]}`);
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--prefer-offline', '--no-save', tgz, ...typeDeps], { cwd: dir, stdio: ['ignore', 2, 2] });
const types = join(dir, 'types');
mkdirSync(types, { recursive: true });
for (const f of readdirSync(join(web, 'test', 'types'))) copyFileSync(join(web, 'test', 'types', f), join(types, f));
writeFileSync(join(dir, 'pack.json'), JSON.stringify(info, null, 2) + '\n');
console.error(`packed ${info.filename}: ${info.size} bytes packed, ${info.unpackedSize} unpacked, ${info.entryCount} files`);
console.log(`DBTOKEN_CONSUMER=${dir}`);
