import { MarketplaceError, type BackendStrategyName, type MarketplaceBackend } from '@ggen/marketplace-core';

export interface BackendFactories {
  v1?: () => MarketplaceBackend;
  v2?: () => MarketplaceBackend;
}

/** Strategies that route between both backends; they arrive with the adapter layer. */
const ROUTING_STRATEGIES: ReadonlySet<BackendStrategyName> = new Set(['v2-with-fallback', 'ab-test', 'compare']);

/**
 * The backend that serves a strategy. A strategy whose backend is not available is a coded
 * error, never a silent switch to another backend.
 */
export function selectBackend(strategy: BackendStrategyName, factories: BackendFactories): MarketplaceBackend {
  if (ROUTING_STRATEGIES.has(strategy)) {
    throw new MarketplaceError('GGEN_E_BACKEND_UNAVAILABLE', `Strategy '${strategy}' is not available in this release`, {
      hint: 'Use --backend v1 or --backend v2 (or set marketplace.backend) until the adapter layer ships fallback, A/B and compare.',
      details: { strategy },
    });
  }
  const factory = strategy === 'v1' ? factories.v1 : factories.v2;
  if (factory === undefined) {
    throw new MarketplaceError('GGEN_E_BACKEND_UNAVAILABLE', `Strategy '${strategy}' needs the ${strategy} backend, which this build does not serve`, {
      hint: strategy === 'v2' ? 'Use --backend v1, or the marketplace-parallel build.' : 'Use --backend v2, or the marketplace-parallel build.',
      details: { strategy, missing: strategy },
    });
  }
  return factory();
}
