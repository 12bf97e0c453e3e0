export * from './errors.js';
export * from './node-crypto.js';
export { monotonicMs, queryTimeSince } from './clock.js';
export * from './models.js';
export { openRegularFileSync, readRegularFileSync, type RegularFileOptions } from './read-regular-file.js';
export { RecentlyUsed } from './recently-used.js';
export { printableConfigValue, redactUrl } from './redact.js';
export {
  asciiLowerCase,
  isExactVersion,
  isPackageName,
  isVersionRange,
  packageNameProblem,
  safeText,
  scopeName,
  scopeOf,
} from './names.js';
export type { MarketplaceBackend } from './backend.js';
export * from './config/config-schema.js';
export * from './config/load-config.js';
export * from './manifest/gpack-manifest.js';
export * from './manifest/legacy-toml.js';
export * from './manifest/read-manifest.js';
export * from './archive/integrity.js';
export * from './archive/pack-archive.js';
export * from './archive/extract-archive.js';
export type { InstallEvent, InstallEvents } from './install/install-events.js';
export * from './install/package-source.js';
export { combineSources, resolutionSource } from './install/combined-source.js';
export * from './install/resolve-dependencies.js';
export * from './install/lockfile.js';
export * from './install/file-lock.js';
export {
  journalPath,
  LOCK_FILE,
  recoverTransaction,
  TRANSACTION_DIR,
  writeFileAtomic,
  writeFileAtomicSync,
} from './install/install-transaction.js';
export * from './install/content-hash.js';
export * from './install/installer.js';
export * from './install/archive-cache.js';
export * from './registry/fetch-resource.js';
export * from './registry/network-error.js';
export * from './registry/attempt-scope.js';
export * from './manifest/prepare-publish.js';
export * from './text/edit-distance.js';
export * from './registry/catalog-views.js';
export * from './registry/lifecycle.js';
export * from './registry/registry-location.js';
export * from './registry/registry-client.js';
export * from './registry/package-document.js';
