// Browsers and bundlers (ESM): the module is fetched and instantiated here, with top-level await,
// so the API is ready as soon as the import resolves. `new URL(..., import.meta.url)` lets
// bundlers (webpack 5, Vite, esbuild with a file loader) emit the .wasm as an asset.
import init, * as glue from './wasm-web.mjs';
import { makeApi } from './api.mjs';

await init({ module_or_path: new URL('./dbtoken_wasm_bg.wasm', import.meta.url) });

const api = makeApi(glue, {});

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
} = api;
