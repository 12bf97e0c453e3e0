import { parallelFeatures } from './parallel-features.js';
import { runCli } from './run-cli.js';

// No top-level await: the bundle is CommonJS, so that program-loader.ts can run it with V8's code cache.
void runCli(process.argv.slice(2), parallelFeatures).then((code) => {
  process.exitCode = code;
});
