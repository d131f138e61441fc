'use strict';
// Node, CommonJS: the wasm-bindgen glue loads dbtoken_wasm_bg.wasm synchronously from this folder.
const glue = require('./wasm-node.cjs');
const { makeApi } = require('./api.cjs');
const { makeMysql2Options } = require('./mysql2.cjs');

const api = makeApi(glue, { env: () => process.env });
module.exports = Object.freeze({ ...api, mysql2Options: makeMysql2Options(api) });
