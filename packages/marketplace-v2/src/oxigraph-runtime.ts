import { createRequire } from 'node:module';
import type * as Oxigraph from 'oxigraph';

const require = createRequire(import.meta.url);
let loaded: typeof Oxigraph | undefined;

/**
 * oxigraph, loaded on first use: its module compiles a multi-megabyte wasm when it is
 * required, which a command that never queries a store (features, install from a lockfile,
 * a search answered from the persisted shards' summaries) should not pay for.
 */
export const oxigraph: typeof Oxigraph = new Proxy({} as typeof Oxigraph, {
  get: (_target, key) => Reflect.get((loaded ??= require('oxigraph') as typeof Oxigraph), key) as unknown,
});
