'use strict';
// Node only: options for the `mysql2` driver (not a dependency of this package) that log in to
// RDS / Aurora MySQL with an IAM auth token. The server asks for `mysql_clear_password`, which
// mysql2 refuses unless it is enabled; here it is enabled through `authPlugins`, whose
// `mysql_clear_password` entry mysql2 calls once per new connection (pooled ones too), so every
// connection gets a token signed when it opens. The token is sent in cleartext: TLS is required.

/**
 * @param {{ Signer: new (config: object) => { getAuthToken(): Promise<string> } }} api
 */
function makeMysql2Options(api) {
  const FN = 'mysql2Options';

  function tokenSource(config) {
    if (config === null || typeof config !== 'object') {
      throw new TypeError(`${FN}: expected a Signer configuration { hostname, port, username, … } or an object with getAuthToken()`);
    }
    if (typeof config.getAuthToken === 'function') return { signer: config };
    return { signer: new api.Signer(config), host: config.hostname, port: config.port, user: config.username };
  }

  /**
   * mysql2 connection or pool options: `options` plus `host`, `port`, `user` (from the signer
   * configuration unless `options` sets them, e.g. for a tunnel) and an `authPlugins`
   * `mysql_clear_password` that sends a freshly signed token.
   */
  function mysql2Options(config, options) {
    const src = tokenSource(config);
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${FN}: expected mysql2 options with ssl (the token is sent in cleartext: TLS is required)`);
    }
    if (!options.ssl) {
      throw new TypeError(`${FN}: options.ssl is required, e.g. { ca } with the RDS CA bundle (the token is sent in cleartext: TLS is required)`);
    }
    if (options.password !== undefined || options.enableCleartextPlugin !== undefined) {
      throw new TypeError(`${FN}: do not set password or enableCleartextPlugin: the token is the password, sent by the authPlugins entry`);
    }
    const { signer } = src;
    const out = { ...options };
    if (out.host === undefined && src.host !== undefined) out.host = src.host;
    if (out.port === undefined && src.port !== undefined) out.port = src.port;
    if (out.user === undefined && src.user !== undefined) out.user = src.user;
    out.authPlugins = {
      ...options.authPlugins,
      // mysql2 calls the outer function for each authentication of a new connection, the inner
      // one with the server's plugin data; a Promise is awaited. The reply is the password
      // followed by a NUL byte.
      mysql_clear_password: ({ connection }) => async () => {
        if (!connection || !connection.config || !connection.config.ssl) {
          throw new TypeError(`${FN}: refusing to send a token over a connection without TLS (set ssl)`);
        }
        let token;
        try {
          token = await signer.getAuthToken();
        } catch (e) {
          // mysql2 overwrites the error's `code` (AUTH_SWITCH_PLUGIN_ERROR), which a TokenError's
          // read-only `code` would not allow: the signing error goes in `cause`.
          throw new Error(`${FN}: could not sign the token: ${e && e.message}`, { cause: e });
        }
        return `${token}\0`;
      },
    };
    return out;
  }

  return mysql2Options;
}

module.exports = { makeMysql2Options };
