// The code of the MarketplaceError a promise rejects with; anything else fails the test.
export async function codeOf(promise) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error && error.name === 'MarketplaceError' && typeof error.code === 'string')
      return error.code;
    throw error;
  }
  throw new Error('expected a MarketplaceError, but the promise resolved');
}
