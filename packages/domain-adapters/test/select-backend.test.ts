import { describe, expect, it } from '@jest/globals';
import { MarketplaceError, type MarketplaceBackend } from '@ggen/marketplace-core';
import { selectBackend } from '@ggen/domain-adapters';

function fakeBackend(type: 'v1' | 'v2'): MarketplaceBackend {
  return { metadata: () => ({ type, version: '0', capabilities: { signing: false, sparql: false, rdfMetadata: false, publish: false } }) } as MarketplaceBackend;
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof MarketplaceError ? `${error.code}:${String(error.details?.missing)}` : 'not coded';
  }
}

describe('selectBackend', () => {
  it('serves v1 from the v1 factory and v2 strategies from the v2 factory', () => {
    const factories = { v1: () => fakeBackend('v1'), v2: () => fakeBackend('v2') };
    expect(selectBackend('v1', factories).metadata().type).toBe('v1');
    expect(selectBackend('v2', factories).metadata().type).toBe('v2');
  });

  it('never switches silently to another backend when the one asked for is missing', () => {
    expect(codeOf(() => selectBackend('v2-with-fallback', { v1: () => fakeBackend('v1') }))).toBe('GGEN_E_BACKEND_UNAVAILABLE:v2');
    expect(codeOf(() => selectBackend('v1', { v2: () => fakeBackend('v2') }))).toBe('GGEN_E_BACKEND_UNAVAILABLE:v1');
  });
});
