import { parallelFeatures } from './parallel-features.js';
import { runCli } from './run-cli.js';

// The month-3 build ("remove v1 from default features"): both backends are compiled in, but v2
// serves alone unless a config asks for v1: `backend: v1`, `fallback_on_error: true` (v2 with v1
// as its fallback), or an A/B block. The default build (marketplace-parallel) keeps v1 as the
// fallback without being asked.
// No top-level await: the bundle is CommonJS (program-loader.ts requires it).
void runCli(process.argv.slice(2), {
  ...parallelFeatures,
  name: 'marketplace-v2-default',
  defaultBackend: 'v2',
  configDefaults: { backend: 'v2', fallback_on_error: false },
}).then((code) => {
  process.exitCode = code;
});
