// Type declarations of the `dbtoken` npm package (Node ESM and CommonJS, browsers).

/** AWS credentials: the AWS SDK's `AwsCredentialIdentity`. */
export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When the credentials expire: a token never outlives them (its expiry is clamped). */
  readonly expiration?: Date;
  readonly credentialScope?: string;
  readonly accountId?: string;
}

/**
 * An async credential provider, such as `fromNodeProviderChain()` from
 * `@aws-sdk/credential-providers` (the AWS SDK's `AwsCredentialIdentityProvider`).
 */
export type AwsCredentialIdentityProvider = (identityProperties?: Record<string, any>) => Promise<AwsCredentialIdentity>;

/** Options every token kind takes. */
export interface CommonOptions {
  /**
   * The region. Default: read from an AWS endpoint host name (`*.us-east-1.rds.amazonaws.com`,
   * `*.dsql.us-east-1.on.aws`, …), else (Node) `AWS_REGION` / `AWS_DEFAULT_REGION`.
   */
  region?: string;
  /**
   * Credentials to sign with. Default (Node): the `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
   * `AWS_SESSION_TOKEN` and `AWS_CREDENTIAL_EXPIRATION` environment variables.
   */
  credentials?: AwsCredentialIdentity;
  /** Token lifetime in seconds: 1–900 (Aurora DSQL: 1–604,800). Default 900. */
  expiresIn?: number;
  /** Signing time. Default: now. */
  signingDate?: Date;
}

/** An RDS, Aurora or RDS Proxy token. */
export interface RdsTokenOptions extends CommonOptions {
  /** The bare endpoint: `mydb.abc123.us-east-1.rds.amazonaws.com` (no scheme, port or path). */
  hostname: string;
  /** The port the database listens on. */
  port: number;
  /** The database user. */
  username: string;
}

/** An Aurora DSQL token. */
export interface DsqlTokenOptions extends CommonOptions {
  /** The cluster endpoint: `abc….dsql.us-east-1.on.aws`. */
  hostname: string;
  /** Connect as the `admin` role (`DbConnectAdmin`). Default false. */
  admin?: boolean;
}

/** An ElastiCache (Valkey / Redis OSS) token. */
export interface ElastiCacheTokenOptions extends CommonOptions {
  /** The replication group id or serverless cache name. */
  cacheName: string;
  /** The ElastiCache user id. */
  userId: string;
  /** A serverless cache. Default false. */
  serverless?: boolean;
}

/** A MemoryDB token. */
export interface MemoryDbTokenOptions extends CommonOptions {
  /** The cluster name. */
  clusterName: string;
  /** The MemoryDB user name. */
  user: string;
}

/** An RDS / Aurora / RDS Proxy IAM auth token (synchronous). */
export declare function rdsToken(options: RdsTokenOptions): string;
/** An Aurora DSQL auth token (synchronous). */
export declare function dsqlToken(options: DsqlTokenOptions): string;
/** An ElastiCache IAM auth token (synchronous). */
export declare function elastiCacheToken(options: ElastiCacheTokenOptions): string;
/** A MemoryDB IAM auth token (synchronous). */
export declare function memoryDbToken(options: MemoryDbTokenOptions): string;

/** What a token says (nothing is verified: see `verifyToken`). */
export interface TokenInfo {
  kind: 'rds' | 'dsql' | 'elasticache' | 'memorydb';
  /** The host as written in the token. */
  host: string;
  /** The port, when the token has one (RDS tokens do). */
  port?: number;
  /** `connect`, `DbConnect` or `DbConnectAdmin`. */
  action: string;
  /** The decoded `DBUser` / `User`. */
  user?: string;
  serverless: boolean;
  region: string;
  service: string;
  accessKeyId: string;
  signingDate: Date;
  /** `X-Amz-Expires` in seconds. */
  expiresIn: number;
  expiresAt: Date;
  hasSessionToken: boolean;
  /** The hex signature. */
  signature: string;
}

/** Parses a token. Throws `TokenError` `malformed_token`. */
export declare function inspectToken(token: string): TokenInfo;
/**
 * Recomputes a token's signature with `secretAccessKey` and checks its validity window at `now`
 * (default: the current time), as a local stand-in for IAM database authentication would.
 */
export declare function verifyToken(token: string, secretAccessKey: string, now?: Date): TokenInfo;

/** Options of `TokenCache`'s methods: `signingDate` is the current time (default now). */
export declare class TokenCache {
  /** `refreshMargin`: a cached token is replaced this many seconds before it expires (default 30). */
  constructor(options?: { refreshMargin?: number });
  readonly refreshMargin: number;
  /** The cached token for these options, or a new one when it is within the margin of expiry. */
  rdsToken(options: RdsTokenOptions): string;
  dsqlToken(options: DsqlTokenOptions): string;
  elastiCacheToken(options: ElastiCacheTokenOptions): string;
  memoryDbToken(options: MemoryDbTokenOptions): string;
  /** Forgets the cached token. */
  clear(): void;
}

/** `@aws-sdk/rds-signer`'s `SignerConfig`, plus `expiresIn`. */
export interface SignerConfig {
  /** Credentials or an async provider (`fromNodeProviderChain()`). Default (Node): the environment. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  hostname: string;
  port: number;
  region?: string;
  username: string;
  /** Token lifetime in seconds (1–900, default 900). */
  expiresIn?: number;
  /** Accepted for compatibility and ignored: dbtoken always uses its own SHA-256. */
  sha256?: unknown;
  /** Not supported (throws): pass `credentials: fromIni({ profile })`. */
  profile?: undefined;
}

/**
 * Seconds a signer's last token must still be valid for to be returned while its credential
 * provider fails (the core's `dbtoken::cache::OUTAGE_FLOOR`).
 */
export declare const OUTAGE_FLOOR: number;

/**
 * A drop-in for `@aws-sdk/rds-signer`'s `Signer`. With a credential provider: concurrent calls
 * share one provider call; when the provider fails, the last token is returned while it is valid
 * for `OUTAGE_FLOOR` more seconds, else `TokenError` `credentials_unavailable` (with `cause`).
 */
export declare class Signer {
  constructor(configuration: SignerConfig);
  getAuthToken(): Promise<string>;
}

/** `@aws-sdk/dsql-signer`'s `DsqlSignerConfig`. */
export interface DsqlSignerConfig {
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  hostname: string;
  region?: string;
  /** Token lifetime in seconds (1–604,800, default 900). */
  expiresIn?: number;
  sha256?: unknown;
  profile?: undefined;
}

/** A drop-in for `@aws-sdk/dsql-signer`'s `DsqlSigner` (provider faults as for `Signer`). */
export declare class DsqlSigner {
  constructor(configuration: DsqlSignerConfig);
  getDbConnectAuthToken(): Promise<string>;
  getDbConnectAdminAuthToken(): Promise<string>;
}

/** Every error code: the Rust core's `Error::code()` strings, plus `internal`. */
export type TokenErrorCode =
  | 'empty_host'
  | 'empty_user'
  | 'empty_region'
  | 'empty_access_key_id'
  | 'empty_secret_access_key'
  | 'host_has_scheme'
  | 'host_has_path'
  | 'host_has_query'
  | 'host_has_userinfo'
  | 'host_has_whitespace'
  | 'host_has_port'
  | 'invalid_host'
  | 'invalid_port'
  | 'expiry_out_of_range'
  | 'invalid_region'
  | 'region_mismatch'
  | 'region_required'
  | 'credentials_expired'
  | 'invalid_signing_time'
  | 'buffer_too_small'
  | 'invalid_request'
  | 'malformed_token'
  | 'signature_mismatch'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'credentials_unavailable'
  /** The WebAssembly module trapped (a bug, or out of memory): it has been reloaded. */
  | 'internal';

/** A dbtoken error. The message never contains an input value or a secret. */
export declare class TokenError extends Error {
  readonly name: 'TokenError';
  readonly code: TokenErrorCode;
  private constructor(code: TokenErrorCode, message: string);
}

/** `true` for a `TokenError` (also one from another copy of the package). */
export declare function isTokenError(error: unknown): error is TokenError;

// ---- Node only: not in the browser build (dist/browser.d.mts ends here).

/** Anything that signs a token per call: a `Signer` (this package's or `@aws-sdk/rds-signer`'s). */
export interface AuthTokenSource {
  getAuthToken(): Promise<string>;
}

/** The part of the `mysql2` options `mysql2Options` needs (mysql2 is not a dependency). */
export interface Mysql2BaseOptions {
  /** TLS, required: the token is sent in cleartext (`mysql_clear_password`). `{ ca }` with the RDS CA bundle. */
  ssl: string | object;
  /** Where to connect. Default: the signer configuration's `hostname` (set it for a tunnel). */
  host?: string;
  /** Default: the signer configuration's `port`. */
  port?: number;
  /** Default: the signer configuration's `username`. */
  user?: string;
  /** The token is the password: not allowed. */
  password?: never;
  /** Not needed (the `authPlugins` entry enables cleartext): not allowed. */
  enableCleartextPlugin?: never;
  authPlugins?: Record<string, unknown>;
}

/** mysql2's auth plugin shape (`AuthPlugin` in mysql2's typings), for `mysql_clear_password`. */
export type Mysql2ClearPasswordPlugin = (pluginMetadata: { connection: { config: { ssl?: unknown } }; command: unknown }) => (pluginData: unknown) => Promise<string>;

/**
 * Node only (not in the browser build). Options for `mysql2`'s `createConnection` /
 * `createPool` (also `mysql2/promise`, Knex's `connection`, Sequelize's `dialectOptions`) that
 * log in to RDS / Aurora MySQL with IAM: `options` plus `host`, `port`, `user` from the signer
 * configuration (unless `options` sets them) and an `authPlugins.mysql_clear_password` that
 * signs a fresh token for every new connection (pooled ones too). Throws a `TypeError` without
 * `ssl`; the plugin refuses to send a token over a connection without TLS.
 */
export declare function mysql2Options<O extends Mysql2BaseOptions>(
  config: SignerConfig | AuthTokenSource,
  options: O,
): Omit<O, 'authPlugins'> & {
  host?: string;
  port?: number;
  user?: string;
  authPlugins: { mysql_clear_password: Mysql2ClearPasswordPlugin };
};
