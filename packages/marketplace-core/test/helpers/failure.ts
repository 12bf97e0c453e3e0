import { MarketplaceError } from '@ggen/marketplace-core';

/** The MarketplaceError a promise rejects with; anything else fails the test. */
export async function failure(promise: Promise<unknown>): Promise<MarketplaceError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MarketplaceError) return error;
    throw error;
  }
  throw new Error('expected a MarketplaceError');
}
