import type { FetchOptions, MarketplaceConfig } from '@ggen/marketplace-core';

/** How registry files are fetched: the config's timeout and retries, and whether the network may be asked at all. */
export function fetchOptionsOf(config: Pick<MarketplaceConfig, 'timeout_ms' | 'retries' | 'network'>): FetchOptions {
  return {
    timeoutMs: config.timeout_ms,
    retries: config.retries,
    offline: config.network === 'offline',
    preferOffline: config.network === 'prefer-offline',
  };
}
