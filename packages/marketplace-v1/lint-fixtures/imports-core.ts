// Lint fixture, never built: the allowed direction (v1 -> core), linted as a control.
export { MarketplaceError } from '@ggen/marketplace-core';
