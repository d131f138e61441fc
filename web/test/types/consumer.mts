// Type-checked with `tsc --noEmit` (module nodenext) in a project that installed the packed
// package: the ESM entry's declarations.
import {
  DsqlSigner,
  inspectToken,
  isTokenError,
  rdsToken,
  dsqlToken,
  elastiCacheToken,
  memoryDbToken,
  Signer,
  TokenCache,
  TokenError,
  verifyToken,
  mysql2Options,
  type AwsCredentialIdentity,
  type TokenErrorCode,
  type TokenInfo,
} from 'dbtoken';
import { fromNodeProviderChain, fromEnv } from '@aws-sdk/credential-providers';
import mysql from 'mysql2/promise';
import mysqlCb from 'mysql2';

const credentials: AwsCredentialIdentity = { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'tok', expiration: new Date() };
const t1: string = rdsToken({ hostname: 'db.example.com', port: 5432, username: 'u', region: 'us-east-1', credentials, expiresIn: 900, signingDate: new Date() });
const t2: string = dsqlToken({ hostname: 'abc.dsql.us-east-1.on.aws', admin: true });
const t3: string = elastiCacheToken({ cacheName: 'c', userId: 'u', serverless: true, region: 'us-east-1' });
const t4: string = memoryDbToken({ clusterName: 'c', user: 'u', region: 'us-east-1' });
const info: TokenInfo = inspectToken(t1);
const port: number | undefined = info.port;
const when: Date = verifyToken(t1, 'secret', new Date()).expiresAt;

// Switching from @aws-sdk/rds-signer is one import: the same options, an SDK provider works.
const signer = new Signer({ hostname: 'db.example.com', port: 5432, username: 'u', region: 'us-east-1', credentials: fromNodeProviderChain() });
const p: Promise<string> = signer.getAuthToken();
const dsql = new DsqlSigner({ hostname: 'abc.dsql.us-east-1.on.aws', credentials: fromEnv(), expiresIn: 3600 });
const p2: Promise<string> = dsql.getDbConnectAdminAuthToken();

const cache = new TokenCache({ refreshMargin: 60 });
const t5: string = cache.rdsToken({ hostname: 'db.example.com', port: 5432, username: 'u' });
cache.clear();

try {
  rdsToken({ hostname: 'h', port: 1, username: 'u' });
} catch (e: unknown) {
  if (isTokenError(e)) {
    const code: TokenErrorCode = e.code;
    const name: 'TokenError' = e.name;
    if (code === 'region_mismatch' || code === 'internal') console.log(name, e.message);
    // @ts-expect-error: not a code
    if (code === 'no_such_code') console.log(code);
  }
  if (e instanceof TokenError) console.log(e.code satisfies TokenErrorCode);
}

// @ts-expect-error: port is a number
rdsToken({ hostname: 'h', port: '5432', username: 'u' });
// @ts-expect-error: username is required
rdsToken({ hostname: 'h', port: 5432 });
// @ts-expect-error: synchronous functions take no provider
rdsToken({ hostname: 'h', port: 5432, username: 'u', credentials: fromNodeProviderChain() });
// @ts-expect-error: profile is not supported
new Signer({ hostname: 'h', port: 5432, username: 'u', profile: 'dev' });
// @ts-expect-error: TokenError is not constructed by users
new TokenError('internal', 'x');

// mysql2: the options fit mysql2's own types (connection and pool, promise and callback APIs).
const myOpts = mysql2Options({ hostname: 'db.example.com', port: 3306, username: 'u', region: 'us-east-1' }, { database: 'app', ssl: { ca: 'PEM' }, connectionLimit: 4 });
const myPool: mysql.Pool = mysql.createPool(myOpts);
const myConn: Promise<mysql.Connection> = mysql.createConnection(mysql2Options(signer, { host: 'db.example.com', port: 3306, user: 'u', ssl: 'Amazon RDS' }));
mysqlCb.createPool(mysql2Options(signer, { host: '127.0.0.1', port: 13306, user: 'u', ssl: { ca: 'PEM', rejectUnauthorized: true } }));
// @ts-expect-error: TLS is required
mysql2Options(signer, { database: 'app' });
// @ts-expect-error: the token is the password
mysql2Options(signer, { ssl: {}, password: 'x' });

export { myPool, myConn };
export { t1, t2, t3, t4, t5, port, when, p, p2 };
