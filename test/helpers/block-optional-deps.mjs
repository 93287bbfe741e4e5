// Module hooks (node --import) that make the optional native packages unresolvable, as on a machine
// where they failed to install: used by test/dense-lazy.test.mjs.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
const BLOCKED = new Set(['onnxruntime-node', 'hnswlib-node']);
export async function resolve(specifier, context, next) {
  if (BLOCKED.has(specifier)) {
    const e = new Error('Cannot find package ' + specifier + ' (blocked by test)');
    e.code = 'ERR_MODULE_NOT_FOUND';
    throw e;
  }
  return next(specifier, context);
}`),
);
