// Module hooks (node --import) that make optional packages unresolvable, as on a machine where they
// are not installed: used by test/dense-lazy.test.mjs. TAMSAEK_TEST_BLOCK lists them (comma-separated,
// default onnxruntime-node,hnswlib-node); blocking onnxruntime-web also blocks the copy a packed
// tamsaek ships in vendor/onnxruntime-web.
import { register } from 'node:module';

const blocked = (process.env.TAMSAEK_TEST_BLOCK ?? 'onnxruntime-node,hnswlib-node').split(',').filter(Boolean);
register(
  'data:text/javascript,' +
    encodeURIComponent(`
const BLOCKED = new Set(${JSON.stringify(blocked)});
const vendored = (s) => BLOCKED.has('onnxruntime-web') && s.endsWith('/vendor/onnxruntime-web/ort.node.min.mjs');
export async function resolve(specifier, context, next) {
  if (BLOCKED.has(specifier) || vendored(specifier)) {
    const e = new Error('Cannot find package ' + specifier + ' (blocked by test)');
    e.code = 'ERR_MODULE_NOT_FOUND';
    throw e;
  }
  return next(specifier, context);
}`),
);
