import { hideBin } from 'yargs/helpers';
import { parallelFeatures } from './parallel-features.js';
import { runCli } from './run-cli.js';

// No top-level await: the bundle is CommonJS, so that program-loader.ts can run it with V8's code cache.
void runCli(hideBin(process.argv), parallelFeatures).then((code) => {
  process.exitCode = code;
});
