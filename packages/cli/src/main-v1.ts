import { MarketplaceError } from '@ggen/marketplace-core';
import { createV1Backend } from '@ggen/marketplace-v1';
import { runCli } from './run-cli.js';
import { fetchOptionsOf } from './fetch-options.js';

// The marketplace-v1 build: only the legacy backend is compiled in.
// No top-level await: the bundle is CommonJS (program-loader.ts requires it).
void runCli(process.argv.slice(2), {
  name: 'marketplace-v1',
  backends: ['v1'],
  adapters: false,
  createBackend: ({ loaded, registry }) => {
    // Only an explicit choice of another strategy is an error; the default is served by v1.
    if (loaded.config.backend !== 'v1' && loaded.sources.backend.kind !== 'default') {
      const source = loaded.sources.backend;
      throw new MarketplaceError(
        'GGEN_E_BACKEND_UNAVAILABLE',
        `Backend '${loaded.config.backend}' (from ${source.origin}) is not compiled into this build (marketplace-v1)`,
        {
          hint: 'Use --backend v1, or the marketplace-parallel build for v2 strategies.',
        },
      );
    }
    return createV1Backend({ location: registry, ...fetchOptionsOf(loaded.config) });
  },
}).then((code) => {
  process.exitCode = code;
});
