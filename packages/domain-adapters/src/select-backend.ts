import { MarketplaceError, type BackendStrategyName, type MarketplaceBackend } from '@ggen/marketplace-core';

export interface BackendFactories {
  v1?: () => MarketplaceBackend;
  v2?: () => MarketplaceBackend;
}

/**
 * The backend that serves a strategy. A strategy whose backend is not available is a coded
 * error, never a silent switch to another backend.
 */
export function selectBackend(strategy: BackendStrategyName, factories: BackendFactories): MarketplaceBackend {
  if (strategy === 'v1') {
    if (factories.v1 === undefined) throw unavailable(strategy, 'v1');
    return factories.v1();
  }
  if (factories.v2 === undefined) throw unavailable(strategy, 'v2');
  return factories.v2();
}

function unavailable(strategy: BackendStrategyName, missing: 'v1' | 'v2'): MarketplaceError {
  return new MarketplaceError('GGEN_E_BACKEND_UNAVAILABLE', `Strategy '${strategy}' needs the ${missing} backend, which this build does not serve`, {
    hint: missing === 'v2' ? 'Use --backend v1 (or set marketplace.backend: v1) until the v2 backend is available.' : 'Use --backend v2.',
    details: { strategy, missing },
  });
}
