// Node, ESM: the same instance as the CommonJS entry (one module, one set of classes).
import api from './index.cjs';

export const {
  OUTAGE_FLOOR,
  rdsToken,
  dsqlToken,
  elastiCacheToken,
  memoryDbToken,
  inspectToken,
  verifyToken,
  TokenCache,
  Signer,
  DsqlSigner,
  TokenError,
  isTokenError,
  mysql2Options,
} = api;
