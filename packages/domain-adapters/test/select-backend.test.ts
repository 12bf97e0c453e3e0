import { describe, expect, it } from '@jest/globals';
import { MarketplaceError, type MarketplaceBackend } from '@ggen/marketplace-core';
import { selectBackend } from '@ggen/domain-adapters';

function fakeBackend(type: 'v1' | 'v2'): MarketplaceBackend {
  return { metadata: () => ({ type, version: '0', capabilities: { signing: false, sparql: false, rdfMetadata: false, publish: false } }) } as MarketplaceBackend;
}

function messageOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof MarketplaceError ? `${error.code}: ${error.message}` : 'not coded';
  }
}

describe('selectBackend', () => {
  const both = { v1: () => fakeBackend('v1'), v2: () => fakeBackend('v2') };

  it('serves v1 from the v1 factory and v2 from the v2 factory', () => {
    expect(selectBackend('v1', both).metadata().type).toBe('v1');
    expect(selectBackend('v2', both).metadata().type).toBe('v2');
  });

  it('never switches silently to another backend when the one asked for is missing', () => {
    expect(messageOf(() => selectBackend('v2', { v1: both.v1 }))).toBe("GGEN_E_BACKEND_UNAVAILABLE: Strategy 'v2' needs the v2 backend, which this build does not serve");
    expect(messageOf(() => selectBackend('v1', { v2: both.v2 }))).toBe("GGEN_E_BACKEND_UNAVAILABLE: Strategy 'v1' needs the v1 backend, which this build does not serve");
  });

  it.each(['v2-with-fallback', 'ab-test', 'compare'] as const)('refuses %s rather than pretending it is plain v2', (strategy) => {
    expect(messageOf(() => selectBackend(strategy, both))).toBe(`GGEN_E_BACKEND_UNAVAILABLE: Strategy '${strategy}' is not available in this release`);
  });
});
