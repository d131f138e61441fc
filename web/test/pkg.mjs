// Loads the package the way a consumer does: from DBTOKEN_CONSUMER, a project into which the
// packed tarball (`npm pack ./web`) was installed (scripts/stages/web.sh, or
// `node scripts/consumer.mjs` in web/). Both Node entries are loaded through the exports map.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '..', '..');
export const vectorsDir = resolve(here, '..', '..', 'tests', 'vectors');

export const consumer = process.env.DBTOKEN_CONSUMER;
if (!consumer || !existsSync(join(consumer, 'node_modules', 'dbtoken', 'package.json'))) {
  throw new Error('DBTOKEN_CONSUMER must name a project with the packed dbtoken installed: run `node scripts/consumer.mjs` in web/ (it builds nothing: run `npm run build` first) or scripts/stages/web.sh');
}
export const pkgDir = join(consumer, 'node_modules', 'dbtoken');

// Two one-line modules inside the consumer project, so that `dbtoken` resolves from there.
const cjsShim = join(consumer, 'load-cjs.cjs');
const esmShim = join(consumer, 'load-esm.mjs');
if (!existsSync(cjsShim)) writeFileSync(cjsShim, "module.exports = require('dbtoken');\n");
if (!existsSync(esmShim)) writeFileSync(esmShim, "export * from 'dbtoken';\n");

export const cjs = createRequire(join(consumer, 'package.json'))(cjsShim);
export const esm = await import(pathToFileURL(esmShim).href);

export function readVectors(name) {
  return JSON.parse(readFileSync(join(vectorsDir, name), 'utf8')).cases;
}

/** A vector's input as the JS options object. */
export function toOptions(kind, input) {
  const c = input.credentials;
  const credentials = { accessKeyId: c.access_key_id, secretAccessKey: c.secret_access_key };
  if (c.session_token !== null && c.session_token !== undefined) credentials.sessionToken = c.session_token;
  if (c.expires_at !== null && c.expires_at !== undefined) credentials.expiration = new Date(c.expires_at * 1000);
  const o = { credentials, expiresIn: input.expires_in, signingDate: new Date(input.signing_time * 1000) };
  if (input.region !== null && input.region !== undefined) o.region = input.region;
  if (kind === 'rds') Object.assign(o, { hostname: input.hostname, port: input.port, username: input.username });
  else if (kind === 'dsql') Object.assign(o, { hostname: input.hostname, admin: input.admin });
  else if (kind === 'elasticache') Object.assign(o, { cacheName: input.cache_name, userId: input.user_id, serverless: input.serverless });
  else if (kind === 'memorydb') Object.assign(o, { clusterName: input.cluster_name, user: input.user });
  else throw new Error(`unknown kind ${kind}`);
  return o;
}

export const FN = { rds: 'rdsToken', dsql: 'dsqlToken', elasticache: 'elastiCacheToken', memorydb: 'memoryDbToken' };
