'use strict';
// Node, CommonJS: the wasm-bindgen glue loads dbtoken_wasm_bg.wasm synchronously from this folder.
const glue = require('./wasm-node.cjs');
const { makeApi } = require('./api.cjs');

module.exports = makeApi(glue, { env: () => process.env });
