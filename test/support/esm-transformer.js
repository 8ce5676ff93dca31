// Jest's CommonJS runtime cannot require() ES modules on Node 20. Nest 12 and parts of its
// dependency tree ship only as ESM, so any node_modules file that uses import/export syntax is
// compiled to CommonJS by SWC; every other file passes through untouched.
const { createTransformer } = require('@swc/jest');

const swc = createTransformer({ jsc: { target: 'es2023' }, module: { type: 'commonjs' } });
const ESM_SYNTAX = /^\s*(import\s*[\w{*'"]|export\s)/m;

module.exports = {
  process(src, filename, options) {
    return ESM_SYNTAX.test(src) ? swc.process(src, filename, options) : { code: src };
  },
  getCacheKey(src, filename, options) {
    return `${swc.getCacheKey(src, filename, options)}:esm1`;
  },
};
