import type { MarketplaceBackend } from '@ggen/marketplace-core';
import { createV2Backend, type V2RegistryOptions, type V2Registry } from '@ggen/marketplace-v2';
import { checkedBackend } from './checked-backend.js';

/** V2Adapter: the RDF/SPARQL backend behind MarketplaceBackend, answers checked against the unified models. */
export function createV2Adapter(options: V2RegistryOptions, registry?: V2Registry): MarketplaceBackend {
  return checkedBackend(createV2Backend(options, registry));
}
