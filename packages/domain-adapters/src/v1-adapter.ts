import type { MarketplaceBackend } from '@ggen/marketplace-core';
import { createV1Backend, type V1RegistryOptions, type V1Registry } from '@ggen/marketplace-v1';
import { checkedBackend } from './checked-backend.js';

/** V1Adapter: the v1 JSON-index backend behind MarketplaceBackend, answers checked against the unified models. */
export function createV1Adapter(options: V1RegistryOptions, registry?: V1Registry): MarketplaceBackend {
  return checkedBackend(createV1Backend(options, registry));
}
