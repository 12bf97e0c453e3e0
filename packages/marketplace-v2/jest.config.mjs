import { createJestConfig } from '../../jest.preset.mjs';

export default createJestConfig('marketplace-v2');
