// The committed npm sample as catalog packages, for tests that need a realistic catalog.
export { loadNpmRows, toCatalogPackages } from '../bench/npm-catalog.mjs';
