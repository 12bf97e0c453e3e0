// The package's library entry (dist/index.mjs): run the CLI in-process, e.g.
//   import { runCli, parallelFeatures } from '@ggen/cli';
//   const code = await runCli(['marketplace', 'search', 'rust'], parallelFeatures);
export { runCli, defaultIo } from './run-cli.js';
export { parallelFeatures } from './parallel-features.js';
export type { FeatureSet, FeatureName } from './features.js';
export type { Io } from './cli-context.js';
