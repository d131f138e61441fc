// The JavaScript side of the dbtoken npm package, shared by every entry (Node CommonJS and ESM,
// browsers): it turns option objects into the wasm module's positional arguments, checks
// JavaScript types (TypeError), reads the environment (Node) and the clock, resolves async
// credential providers, and turns the module's error strings into TokenErrors. Signing,
// validation, region inference, caching policy and token parsing all happen in the Rust core.
//
// The build copies this file to dist/api.mjs and, with `export` removed and a
// `module.exports`, to dist/api.cjs.

const KIND_RDS = 0;
const KIND_DSQL = 1;
const KIND_ELASTICACHE = 2;
const KIND_MEMORYDB = 3;
const DEFAULT_EXPIRES_IN = 900;
const DEFAULT_REFRESH_MARGIN = 30;
// Seconds a token must still be valid for to be handed out while a credential provider fails:
// the core's `dbtoken::cache::OUTAGE_FLOOR` (web/test/faults.test.mjs checks they agree).
const OUTAGE_FLOOR = 5;

/**
 * @param {object} glue the wasm-bindgen glue (`Cache`, `inspect`, `verify`, `__wbg_reset_state`)
 * @param {{ env?: () => (Record<string, string | undefined> | undefined) }} platform
 */
export function makeApi(glue, platform) {
  /** A dbtoken error: `code` is one of the core's stable codes (or `internal`). */
  class TokenError extends Error {
    constructor(code, message, options) {
      super(message, options);
      Object.defineProperty(this, 'code', { value: code, enumerable: true });
    }
  }
  Object.defineProperty(TokenError.prototype, 'name', { value: 'TokenError', writable: true, configurable: true });

  function isTokenError(e) {
    return e instanceof TokenError || (e instanceof Error && e.name === 'TokenError' && typeof e.code === 'string');
  }

  // ---------------------------------------------------------------- the wasm boundary
  // A trap (a Rust panic, which should never happen, or running out of wasm memory) leaves the
  // instance unusable: report it as TokenError `internal` and load a fresh instance. Objects of
  // the old instance (caches) are recreated lazily: `epoch` counts the reloads.
  let epoch = 0;
  function trapped(e) {
    if (e instanceof WebAssembly.RuntimeError) {
      epoch++;
      try {
        glue.__wbg_reset_state();
      } catch {
        // the next call retries the reload
      }
      return new TokenError('internal', 'internal error in the dbtoken WebAssembly module (the module was reloaded); please report it');
    }
    return e;
  }

  // Strings go into a wasm `Cache`'s input buffer as UTF-8, back to back; results are read from
  // wasm memory (see web/src/lib.rs). One TextDecoder for every result, no per-string
  // allocation in wasm.
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let mem = null;
  let memEpoch = -1;
  function memory() {
    // A memory.grow detaches the old buffer (byteLength 0); a reload brings a new memory.
    if (mem === null || mem.byteLength === 0 || memEpoch !== epoch) {
      mem = new Uint8Array(glue.__memory().buffer);
      memEpoch = epoch;
    }
    return mem;
  }
  // Writes `s` at `at` (at most `end`) and returns where it ends: ASCII directly, the rest
  // with TextEncoder (the strings are well-formed: checked before).
  function put(m, at, end, s) {
    const n = s.length;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      m[at + i] = c;
    }
    if (i === n) return at + n;
    return at + i + encoder.encodeInto(i === 0 ? s : s.slice(i), m.subarray(at + i, end)).written;
  }
  // A result: the text at address `ptr`, its length in the input buffer's header at `hdr`; or a
  // TokenError.
  function text(ptr, hdr) {
    const m = memory();
    const len = (m[hdr] | (m[hdr + 1] << 8) | (m[hdr + 2] << 16) | (m[hdr + 3] << 24)) >>> 0;
    const out = decoder.decode(m.subarray(ptr, ptr + len));
    if (m[ptr] === 0) {
      const nl = out.indexOf('\n');
      throw new TokenError(out.slice(1, nl), out.slice(nl + 1));
    }
    return out;
  }

  /** One wasm `Cache` (refresh margin; Infinity: a plain signer), recreated after a reload. */
  class Slot {
    constructor(margin) {
      this.margin = margin;
      this.cache = null;
      this.epoch = -1;
      this.hdr = 0;
      this.ptr = 0;
      this.cap = 0;
      // The strings now in the input buffer and their byte lengths (a repeated request, as a
      // `Signer` or a pool makes, writes nothing).
      this.held = false;
      this.s = ['', '', '', '', '', ''];
      this.l = [0, 0, 0, 0, 0, 0];
    }
    live() {
      if (this.epoch !== epoch) {
        this.cache = new glue.Cache(this.margin);
        this.epoch = epoch;
        this.cap = 0;
        this.held = false;
      }
      return this.cache;
    }
    // Room for `chars` UTF-16 code units (at most 3 UTF-8 bytes each) after the buffer's 8-byte
    // header; returns the memory view.
    reserve(chars) {
      const need = chars * 3;
      if (this.cap < need) {
        this.hdr = this.cache.input(need);
        this.ptr = this.hdr + 8;
        this.cap = need;
      }
      return memory();
    }
    free() {
      if (this.cache !== null && this.epoch === epoch) {
        // The input buffer holds the last credentials: wipe it before wasm frees it.
        if (this.cap > 0) memory().fill(0, this.hdr, this.ptr + this.cap);
        this.cache.free();
      }
      this.cache = null;
      this.epoch = -1;
      this.held = false;
      this.s.fill('');
    }
    // The token for the request (see `target` and `credentialArgs`) at `now` (Unix seconds).
    get(t, region, cred, now) {
      const host = t.host;
      const user = t.user;
      const akid = cred[0];
      const secret = cred[1];
      const session = cred[2] ?? '';
      const reg = region ?? '';
      let x;
      try {
        const cache = this.live();
        const s = this.s;
        // Bit 2: the strings are the previous call's (a signer then only re-signs at `now`).
        let same = 4;
        if (!(this.held && s[0] === host && s[1] === user && s[2] === reg && s[3] === akid && s[4] === secret && s[5] === session)) {
          same = 0;
          this.held = false;
          const m = this.reserve(host.length + user.length + reg.length + akid.length + secret.length + session.length);
          const l = this.l;
          const end = this.ptr + this.cap;
          let at = this.ptr;
          let next = put(m, at, end, host);
          l[0] = next - at;
          next = put(m, (at = next), end, user);
          l[1] = next - at;
          next = put(m, (at = next), end, reg);
          l[2] = next - at;
          next = put(m, (at = next), end, akid);
          l[3] = next - at;
          next = put(m, (at = next), end, secret);
          l[4] = next - at;
          next = put(m, (at = next), end, session);
          l[5] = next - at;
          s[0] = host;
          s[1] = user;
          s[2] = reg;
          s[3] = akid;
          s[4] = secret;
          s[5] = session;
          this.held = true;
        }
        const l = this.l;
        x = cache.get(t.kind, t.flag | (region === undefined ? 0 : 2) | same, t.port, l[0], l[1], l[2], l[3], l[4], l[5],
          cred[3] ?? NaN, t.expiresIn, now);
      } catch (e) {
        throw trapped(e);
      }
      return text(x, this.hdr);
    }
    // inspect (one string) or verify (two strings and the time): JSON text.
    info(token, secret, now) {
      let x;
      try {
        const cache = this.live();
        this.held = false;
        const m = this.reserve(token.length + (secret === undefined ? 0 : secret.length));
        const end = this.ptr + this.cap;
        const mid = put(m, this.ptr, end, token);
        if (secret === undefined) {
          x = cache.inspect(mid - this.ptr);
        } else {
          x = cache.verify(mid - this.ptr, put(m, mid, end, secret) - mid, now);
        }
      } catch (e) {
        throw trapped(e);
      }
      return text(x, this.hdr);
    }
  }

  // ---------------------------------------------------------------- type checks
  const hasWellFormed = typeof ''.isWellFormed === 'function';
  function wellFormed(s) {
    return hasWellFormed ? s.isWellFormed() : !/\p{Surrogate}/u.test(s);
  }
  function str(fn, name, v) {
    if (typeof v !== 'string') throw new TypeError(`${fn}: ${name} must be a string`);
    // TextEncoder would silently turn a lone surrogate into U+FFFD: another user, another host.
    if (!wellFormed(v)) throw new TypeError(`${fn}: ${name} contains a lone surrogate (not well-formed Unicode)`);
    return v;
  }
  function optStr(fn, name, v) {
    return v === undefined || v === null ? undefined : str(fn, name, v);
  }
  function optBool(fn, name, v) {
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') throw new TypeError(`${fn}: ${name} must be a boolean`);
    return v;
  }
  function isDate(v) {
    return Object.prototype.toString.call(v) === '[object Date]';
  }
  function dateMs(fn, name, v) {
    if (!isDate(v)) throw new TypeError(`${fn}: ${name} must be a Date`);
    const ms = v.getTime();
    if (Number.isNaN(ms)) throw new TypeError(`${fn}: ${name} is an invalid Date`);
    return ms;
  }
  function integer(fn, name, v) {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${fn}: ${name} must be an integer`);
    return v;
  }
  function port(fn, v) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) {
      throw new TypeError(`${fn}: port must be an integer from 1 to 65535`);
    }
    return v;
  }
  function options(fn, o) {
    if (o === null || typeof o !== 'object') throw new TypeError(`${fn}: expected an options object`);
    return o;
  }

  function env() {
    return platform.env ? platform.env() : undefined;
  }

  /** [accessKeyId, secretAccessKey, sessionToken, expiresAt seconds] */
  function credentialArgs(fn, c) {
    if (c === undefined || c === null) {
      const e = env();
      if (!e) return ['', '', undefined, undefined]; // the core reports empty_access_key_id
      let expiresAt;
      if (e.AWS_CREDENTIAL_EXPIRATION) {
        const ms = Date.parse(e.AWS_CREDENTIAL_EXPIRATION);
        if (Number.isNaN(ms)) throw new TypeError(`${fn}: AWS_CREDENTIAL_EXPIRATION is not a date`);
        expiresAt = Math.floor(ms / 1000);
      }
      return [
        str(fn, 'AWS_ACCESS_KEY_ID', e.AWS_ACCESS_KEY_ID ?? ''),
        str(fn, 'AWS_SECRET_ACCESS_KEY', e.AWS_SECRET_ACCESS_KEY ?? ''),
        optStr(fn, 'AWS_SESSION_TOKEN', e.AWS_SESSION_TOKEN),
        expiresAt,
      ];
    }
    if (typeof c !== 'object') {
      const hint = typeof c === 'function' ? ' (a credential provider needs the async Signer or DsqlSigner)' : '';
      throw new TypeError(`${fn}: credentials must be an object { accessKeyId, secretAccessKey, sessionToken?, expiration? }${hint}`);
    }
    const expiration = c.expiration === undefined || c.expiration === null
      ? undefined
      : Math.floor(dateMs(fn, 'credentials.expiration', c.expiration) / 1000);
    return [
      str(fn, 'credentials.accessKeyId', c.accessKeyId),
      str(fn, 'credentials.secretAccessKey', c.secretAccessKey),
      optStr(fn, 'credentials.sessionToken', c.sessionToken),
      expiration,
    ];
  }

  /** What a request says about its target, checked: { kind, host, port, user, flag, region, expiresIn }. */
  function target(kind, fn, o) {
    options(fn, o);
    let host;
    let p = 0;
    let user = '';
    let flag = 0;
    if (kind === KIND_RDS) {
      host = str(fn, 'hostname', o.hostname);
      p = port(fn, o.port);
      user = str(fn, 'username', o.username);
    } else if (kind === KIND_DSQL) {
      host = str(fn, 'hostname', o.hostname);
      flag = +optBool(fn, 'admin', o.admin);
    } else if (kind === KIND_ELASTICACHE) {
      host = str(fn, 'cacheName', o.cacheName);
      user = str(fn, 'userId', o.userId);
      flag = +optBool(fn, 'serverless', o.serverless);
    } else {
      host = str(fn, 'clusterName', o.clusterName);
      user = str(fn, 'user', o.user);
    }
    const region = optStr(fn, 'region', o.region);
    const expiresIn = o.expiresIn === undefined || o.expiresIn === null ? DEFAULT_EXPIRES_IN : integer(fn, 'expiresIn', o.expiresIn);
    return { kind, host, port: p, user, flag, region, expiresIn };
  }

  function signingSeconds(fn, o) {
    const ms = o.signingDate === undefined || o.signingDate === null ? Date.now() : dateMs(fn, 'signingDate', o.signingDate);
    return Math.floor(ms / 1000);
  }

  // No region given and none in the host: in Node, fall back to AWS_REGION / AWS_DEFAULT_REGION.
  function sign(slot, t, cred, now) {
    try {
      return slot.get(t, t.region, cred, now);
    } catch (e) {
      if (!(e instanceof TokenError) || e.code !== 'region_required' || t.region !== undefined) throw e;
      const e2 = env();
      const fallback = e2 && (e2.AWS_REGION || e2.AWS_DEFAULT_REGION);
      if (!fallback) throw e;
      return slot.get(t, fallback, cred, now);
    }
  }

  // One-off tokens, inspect and verify go through a cache that never reuses a token (margin
  // Infinity): its signer keeps the derived signing key between calls.
  const minter = new Slot(Infinity);
  function mint(kind, fn, o) {
    const t = target(kind, fn, o);
    const cred = credentialArgs(fn, o.credentials);
    return sign(minter, t, cred, signingSeconds(fn, o));
  }

  // ---------------------------------------------------------------- one-off tokens
  const rdsToken = (o) => mint(KIND_RDS, 'rdsToken', o);
  const dsqlToken = (o) => mint(KIND_DSQL, 'dsqlToken', o);
  const elastiCacheToken = (o) => mint(KIND_ELASTICACHE, 'elastiCacheToken', o);
  const memoryDbToken = (o) => mint(KIND_MEMORYDB, 'memoryDbToken', o);

  // ---------------------------------------------------------------- inspect / verify
  function toInfo(json) {
    const i = JSON.parse(json);
    return {
      kind: i.kind,
      host: i.host,
      port: i.port === null ? undefined : i.port,
      action: i.action,
      user: i.user === null ? undefined : i.user,
      serverless: i.serverless,
      region: i.region,
      service: i.service,
      accessKeyId: i.accessKeyId,
      signingDate: new Date(i.signingTime * 1000),
      expiresIn: i.expiresIn,
      expiresAt: new Date(i.expiresAt * 1000),
      hasSessionToken: i.hasSessionToken,
      signature: i.signature,
    };
  }
  function inspectToken(token) {
    str('inspectToken', 'token', token);
    return toInfo(minter.info(token));
  }
  function verifyToken(token, secretAccessKey, now) {
    str('verifyToken', 'token', token);
    str('verifyToken', 'secretAccessKey', secretAccessKey);
    const ms = now === undefined || now === null ? Date.now() : dateMs('verifyToken', 'now', now);
    return toInfo(minter.info(token, secretAccessKey, Math.floor(ms / 1000)));
  }

  // ---------------------------------------------------------------- TokenCache
  class TokenCache {
    #margin;
    #slot;
    constructor(opts) {
      const o = opts === undefined || opts === null ? {} : options('TokenCache', opts);
      const m = o.refreshMargin === undefined || o.refreshMargin === null ? DEFAULT_REFRESH_MARGIN : o.refreshMargin;
      if (typeof m !== 'number' || !Number.isInteger(m) || m < 0) {
        throw new TypeError('TokenCache: refreshMargin must be a non-negative integer (seconds)');
      }
      this.#margin = m;
      this.#slot = new Slot(m);
    }
    get refreshMargin() {
      return this.#margin;
    }
    #get(kind, fn, o) {
      const t = target(kind, fn, o);
      const cred = credentialArgs(fn, o.credentials);
      return sign(this.#slot, t, cred, signingSeconds(fn, o));
    }
    rdsToken(o) {
      return this.#get(KIND_RDS, 'TokenCache.rdsToken', o);
    }
    dsqlToken(o) {
      return this.#get(KIND_DSQL, 'TokenCache.dsqlToken', o);
    }
    elastiCacheToken(o) {
      return this.#get(KIND_ELASTICACHE, 'TokenCache.elastiCacheToken', o);
    }
    memoryDbToken(o) {
      return this.#get(KIND_MEMORYDB, 'TokenCache.memoryDbToken', o);
    }
    clear() {
      this.#slot.free();
    }
  }

  // ---------------------------------------------------------------- async signers
  // Resolves `credentials` (object, async provider, or undefined for the environment). A token
  // never outlives its credentials: when a provider's credentials expire before the token
  // would, the provider is asked once more ({ forceRefresh: true }); if they are still short,
  // the core clamps X-Amz-Expires to them.
  async function resolveCredentials(fn, c, expiresIn) {
    if (typeof c !== 'function') return c;
    let id = await c();
    if (id === null || typeof id !== 'object') throw new TypeError(`${fn}: the credential provider returned no credentials`);
    const life = (typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : DEFAULT_EXPIRES_IN) * 1000;
    if (isDate(id.expiration) && id.expiration.getTime() < Date.now() + life) {
      try {
        const again = await c({ forceRefresh: true });
        if (again && typeof again === 'object' && (!isDate(again.expiration) || again.expiration.getTime() > id.expiration.getTime())) {
          id = again;
        }
      } catch {
        // keep the first credentials; the core clamps the token to them
      }
    }
    return id;
  }

  // One provider call at a time, and serving through a provider outage, for a signer whose
  // credentials are a provider. Calls that arrive while the provider is being called share that
  // call (and its failure). When the provider fails, the last token for the same target (a
  // signer's configuration is fixed; DsqlSigner keeps one per action) is returned while it was
  // signed at or before now and is valid for OUTAGE_FLOOR more seconds (the rule of the core's
  // `TokenCache::get_in_outage`); otherwise TokenError `credentials_unavailable`, naming the
  // provider, with its error as `cause`. A TypeError (a provider returning the wrong shape) is
  // thrown as it is. The provider is called again at the next call.
  class Faults {
    #flight = null;
    #last = [null, null];
    credentials(fn, c) {
      return (this.#flight ??= resolveCredentials(fn, c.credentials, c.expiresIn).finally(() => {
        this.#flight = null;
      }));
    }
    async token(fn, c, targetOf, i) {
      let credentials;
      try {
        credentials = await this.credentials(fn, c);
      } catch (cause) {
        if (cause instanceof TypeError) throw cause;
        const now = Math.floor(Date.now() / 1000);
        const last = this.#last[i];
        if (last !== null && last.signingTime <= now && last.expiresAt - now >= OUTAGE_FLOOR) return last.token;
        const name = c.credentials.name || 'credential provider';
        throw new TokenError(
          'credentials_unavailable',
          `the credentials source failed and no cached token is still valid: check the source (the cause is attached) [source: ${name}]`,
          { cause },
        );
      }
      const t = targetOf();
      const now = Math.floor(Date.now() / 1000);
      const token = sign(minter, t, credentialArgs(fn, credentials), now);
      const info = JSON.parse(minter.info(token));
      this.#last[i] = { token, signingTime: info.signingTime, expiresAt: info.expiresAt };
      return token;
    }
  }

  function signerConfig(fn, configuration) {
    options(fn, configuration);
    if (configuration.profile !== undefined) {
      throw new TypeError(`${fn}: profile is not supported; pass credentials: fromIni({ profile }) from @aws-sdk/credential-providers`);
    }
    return { ...configuration };
  }

  /** Drop-in for `@aws-sdk/rds-signer`'s `Signer`. */
  // The configuration is a private copy, so its target (host, port, user, region, expiry) is
  // checked once, at the first call that passes; credentials are read at every call.
  class Signer {
    #config;
    #target = null;
    #faults = new Faults();
    constructor(configuration) {
      this.#config = signerConfig('Signer', configuration);
    }
    async getAuthToken() {
      const c = this.#config;
      const fn = 'Signer.getAuthToken';
      const targetOf = () => this.#target ?? (this.#target = target(KIND_RDS, fn, c));
      if (typeof c.credentials === 'function') return this.#faults.token(fn, c, targetOf, 0);
      // Plain credentials cost no extra microtask.
      return sign(minter, targetOf(), credentialArgs(fn, c.credentials), Math.floor(Date.now() / 1000));
    }
  }

  /** Drop-in for `@aws-sdk/dsql-signer`'s `DsqlSigner`. */
  class DsqlSigner {
    #config;
    #targets = [null, null];
    #faults = new Faults();
    constructor(configuration) {
      this.#config = signerConfig('DsqlSigner', configuration);
    }
    async #token(admin, fn) {
      const c = this.#config;
      const targetOf = () => this.#targets[+admin] ?? (this.#targets[+admin] = target(KIND_DSQL, fn, { ...c, admin }));
      if (typeof c.credentials === 'function') return this.#faults.token(fn, c, targetOf, +admin);
      return sign(minter, targetOf(), credentialArgs(fn, c.credentials), Math.floor(Date.now() / 1000));
    }
    getDbConnectAuthToken() {
      return this.#token(false, 'DsqlSigner.getDbConnectAuthToken');
    }
    getDbConnectAdminAuthToken() {
      return this.#token(true, 'DsqlSigner.getDbConnectAdminAuthToken');
    }
  }

  return Object.freeze({
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
  });
}
