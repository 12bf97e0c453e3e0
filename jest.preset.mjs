// Shared Jest setup: ESM TypeScript through @swc/jest, workspace packages resolved to
// their TypeScript source through the @ggen/source export condition.
export function createJestConfig(displayName, overrides = {}) {
  return {
    displayName,
    testEnvironment: 'node',
    testEnvironmentOptions: { customExportConditions: ['@ggen/source', 'node', 'default'] },
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
          module: { type: 'es6' },
        },
      ],
    },
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    cacheDirectory: '<rootDir>/../../node_modules/.cache/jest',
    testTimeout: 60_000,
    globalSetup: '<rootDir>/../../jest.global-setup.mjs',
    globalTeardown: '<rootDir>/../../jest.global-teardown.mjs',
    ...overrides,
  };
}
