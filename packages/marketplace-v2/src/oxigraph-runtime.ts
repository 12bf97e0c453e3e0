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

/**
 * Gives back what oxigraph's terms and quads hold in its WebAssembly heap (wasm-bindgen's
 * `free`). Left to V8's garbage collector, it is given back only after a collection; meanwhile
 * the heap grows (a WebAssembly memory never shrinks) and each growth asks V8 for a full
 * collection, which lands inside a search now and then. An object freed twice,
 * or not a wasm object at all, is left alone.
 */
export function release(...objects: unknown[]): void {
  for (const object of objects) (object as { free?: () => void } | undefined)?.free?.();
}
