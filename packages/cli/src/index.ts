export { runCli, defaultIo } from './run-cli.js';
export type { FeatureSet, FeatureName } from './features.js';
export type { Io } from './cli-context.js';
