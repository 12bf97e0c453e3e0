import type { MarketplaceBackend } from '@ggen/marketplace-core';
import { v1IndexCompanion } from '@ggen/marketplace-v1';
import { createV2Backend, type V2RegistryOptions, type V2Registry } from '@ggen/marketplace-v2';
import { checkedBackend } from './checked-backend.js';

/**
 * V2Adapter: the RDF/SPARQL backend behind MarketplaceBackend, answers checked against the
 * unified models. While a registry directory holds both formats, its publishes write both: a
 * v2 publish also adds the version to index.json (see v1IndexSteps).
 */
export function createV2Adapter(options: V2RegistryOptions, registry?: V2Registry): MarketplaceBackend {
  const backend = createV2Backend(options, registry);
  return checkedBackend({
    ...backend,
    publish: (request) => backend.publish({ ...request, companion: v1IndexCompanion }),
  });
}
