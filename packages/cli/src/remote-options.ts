import { MarketplaceError, type MarketplaceConfig } from '@ggen/marketplace-core';
import { fetchOptionsOf } from './fetch-options.js';
import { join } from 'node:path';
import { storeRootOf } from './store-root.js';
import { loadTrustedKeys, QueryCache, type EndpointTarget, type V2RegistryOptions } from '@ggen/marketplace-v2';

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

/** Virtuoso's layout: the authenticated Update endpoint sits beside its authenticated Graph Store. */
function defaultUpdateUrl(graphStoreUrl: string): string | undefined {
  const url = new URL(graphStoreUrl);
  if (!url.pathname.endsWith('/sparql-graph-crud-auth')) return undefined;
  url.pathname = url.pathname.replace(/\/sparql-graph-crud-auth$/, '/sparql-auth');
  return url.toString();
}

/**
 * The configured endpoint as something ggen writes a catalog to (registry push, a registry
 * server whose catalog is remote), or the coded error that says which setting is missing.
 * `doing`: what needs it, for the messages.
 */
export function endpointTarget(config: MarketplaceConfig, doing: string): EndpointTarget {
  const remote = remoteCatalogOptions(config);
  if (remote === undefined) {
    throw new MarketplaceError('GGEN_E_USAGE', `${doing} needs marketplace.sparql_endpoint`, {
      hint: 'Set sparql_endpoint, sparql_graph_store and sparql_user in config.yaml, and GGEN_MARKETPLACE_SPARQL_PASSWORD.',
    });
  }
  const { graphStoreUrl, user, password } = remote;
  if (graphStoreUrl === undefined || user === undefined || password === undefined) {
    throw new MarketplaceError(
      'GGEN_E_CONFIG_INVALID',
      `${doing} needs marketplace.sparql_graph_store, sparql_user and sparql_password`,
      {
        hint: 'Set them in config.yaml, or GGEN_MARKETPLACE_SPARQL_PASSWORD in the environment.',
      },
    );
  }
  const updateUrl = config.sparql_update ?? defaultUpdateUrl(graphStoreUrl);
  if (updateUrl === undefined) {
    throw new MarketplaceError(
      'GGEN_E_CONFIG_INVALID',
      `${doing} needs marketplace.sparql_update, the SPARQL 1.1 Update endpoint that switches to the new catalog`,
      {
        hint: "Set sparql_update (a Virtuoso's is /sparql-auth beside /sparql-graph-crud-auth, and is found on its own).",
      },
    );
  }
  return { ...remote, graphStoreUrl, updateUrl, user, password };
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
