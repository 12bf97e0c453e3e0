import { createV1Backend } from '@ggen/marketplace-v1';
import { describeV1Backend } from './v1-backend-contract.js';

describeV1Backend('the v1 backend', createV1Backend);
