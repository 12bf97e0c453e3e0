import { join } from 'node:path';
import type { MarketplaceConfig } from '@ggen/marketplace-core';

/** Where `sync` keeps the local v2 stores. */
export function storeRootOf(config: Pick<MarketplaceConfig, 'cache_dir'>): string {
  return join(config.cache_dir, 'v2-store');
}
