// Lint fixture, never built: v1 must not import v2. packages/cli/test/boundaries.test.ts
// lints this file with the workspace config and expects the boundary rule to fail it.
export { V2_BACKEND_METADATA } from '@ggen/marketplace-v2';
