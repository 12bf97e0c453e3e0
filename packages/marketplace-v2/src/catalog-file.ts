import { fetchResource, MarketplaceError, resolveLocation, type FetchOptions } from '@ggen/marketplace-core';

export const CATALOG_FILE = 'catalog.nq';

/** The N-Quads dump of a v2 registry (directory or http(s) base); a missing one says how to make it. */
export async function fetchCatalogText(registry: string, options: FetchOptions): Promise<{ location: string; text: string }> {
  const location = resolveLocation(registry, CATALOG_FILE);
  try {
    return { location, text: Buffer.from(await fetchResource(location, options, 'catalog')).toString('utf8') };
  } catch (error) {
    if (error instanceof MarketplaceError && (error.code === 'GGEN_E_REGISTRY_UNREACHABLE' || error.code === 'GGEN_E_REGISTRY_HTTP')) {
      throw new MarketplaceError('GGEN_E_REGISTRY_UNREACHABLE', `No v2 catalog at ${location}`, {
        hint: 'A v2 registry holds catalog.nq; create one from a v1 registry with: ggen marketplace registry migrate --from <v1> --to <v2>',
        cause: error,
      });
    }
    throw error;
  }
}
