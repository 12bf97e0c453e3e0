import { createJestConfig } from '../../jest.preset.mjs';

export default createJestConfig('registry-server');
