import { localStoreLookup, registerCatalogLookup } from '@ggen/marketplace-v2';

/** FeatureSet.checkChangesInStore for the builds that carry v2. */
export function checkChangesInStore(registry: string, storeRoot: string): void {
  registerCatalogLookup(registry, localStoreLookup(registry, storeRoot));
}
