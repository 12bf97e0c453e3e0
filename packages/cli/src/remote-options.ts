import type { MarketplaceConfig } from '@ggen/marketplace-core';
import { fetchOptionsOf } from './fetch-options.js';
import { join } from 'node:path';
import { storeRootOf } from './store-root.js';
import { loadTrustedKeys, QueryCache, type V2RegistryOptions } from '@ggen/marketplace-v2';

/** The remote-catalog settings from config, or undefined for the embedded store. */
export function remoteCatalogOptions(
  config: MarketplaceConfig,
):
  | { queryUrl: string; graphStoreUrl?: string; user?: string; password?: string; timeoutMs: number; cacheDir: string }
  | undefined {
  if (config.sparql_endpoint === undefined) return undefined;
  return {
    queryUrl: config.sparql_endpoint,
    timeoutMs: config.timeout_ms,
    cacheDir: join(config.cache_dir, 'remote'),
    ...(config.sparql_graph_store === undefined ? {} : { graphStoreUrl: config.sparql_graph_store }),
    ...(config.sparql_user === undefined ? {} : { user: config.sparql_user }),
    ...(config.sparql_password === undefined ? {} : { password: config.sparql_password }),
  };
}

/**
 * Options of the v2 backend: the registry for archives, the catalog embedded or remote, the
 * trusted keys, and the process's retained stores when what the runner hands on is v2's cache.
 */
export function v2Options(config: MarketplaceConfig, location: string, retained?: unknown): V2RegistryOptions {
  const cache = retained instanceof QueryCache ? retained : undefined;
  const remote = remoteCatalogOptions(config);
  let trusted: ReturnType<typeof loadTrustedKeys> | undefined;
  return {
    location,
    ...fetchOptionsOf(config),
    ...(remote === undefined ? {} : { remote }),
    trustedKeys: () => (trusted ??= loadTrustedKeys(config.trusted_keys, trustFilePath(config))),
    storeRoot: storeRootOf(config),
    ...(cache === undefined ? {} : { cache }),
  };
}

/** The trust file: one minisign public key per line, in ggen's state directory. */
export function trustFilePath(config: Pick<MarketplaceConfig, 'state_dir'>): string {
  return join(config.state_dir, 'trusted-keys');
}
