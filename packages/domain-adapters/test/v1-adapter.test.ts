import { createV1Adapter } from '@ggen/domain-adapters';
import { describeV1Backend } from '@ggen/marketplace-v1/test-contract';

// Phase 2's criterion: the V1Adapter passes every test the v1 backend passes.
describeV1Backend('the V1Adapter', createV1Adapter);
