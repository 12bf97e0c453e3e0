import type { MarketplaceBackend } from '@ggen/marketplace-core';
import { createV1Backend, type V1RegistryOptions, type V1Registry } from '@ggen/marketplace-v1';
import { v2CatalogCompanion } from '@ggen/marketplace-v2';
import { checkedBackend } from './checked-backend.js';

/**
 * V1Adapter: the v1 JSON-index backend behind MarketplaceBackend, answers checked against the
 * unified models. While a registry directory holds both formats, its publishes write both: a
 * v1 publish also adds the version to catalog.nq, under v2's own checks (see v2CatalogSteps).
 */
export function createV1Adapter(options: V1RegistryOptions, registry?: V1Registry): MarketplaceBackend {
  const backend = createV1Backend(options, registry);
  return checkedBackend({
    ...backend,
    publish: (request) => backend.publish({ ...request, companion: v2CatalogCompanion }),
  });
}
