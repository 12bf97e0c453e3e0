import { parallelFeatures } from './parallel-features.js';
import { runCli } from './run-cli.js';

// No top-level await: the bundle is CommonJS (program-loader.ts requires it).
void runCli(process.argv.slice(2), parallelFeatures).then((code) => {
  process.exitCode = code;
});
