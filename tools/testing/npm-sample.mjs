// The committed npm samples as catalog packages or a v1 registry, for tests that need a realistic catalog.
export { loadNpmRows, toCatalogPackages, writeV1Registry } from '../bench/npm-catalog.mjs';
