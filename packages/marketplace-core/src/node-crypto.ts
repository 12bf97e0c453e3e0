/**
 * node:crypto, loaded when first used. Importing it costs every process its load (it brings in
 * node's streams and some twenty modules of its own) that a search, info or list never needs:
 * archives, signatures, locks and digests take it from here.
 */
export function nodeCrypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto');
}
