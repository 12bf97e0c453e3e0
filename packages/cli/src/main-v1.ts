import { MarketplaceError } from '@ggen/marketplace-core';
import { createV1Backend } from '@ggen/marketplace-v1';
import { runCli } from './run-cli.js';
import { fetchOptionsOf } from './fetch-options.js';

// The marketplace-v1 build: only the legacy backend is compiled in (phase 1's default build, and
// the build-level rollback).
// No top-level await: the bundle is CommonJS (program-loader.ts requires it).
void runCli(process.argv.slice(2), {
  name: 'marketplace-v1',
  backends: ['v1'],
  adapters: false,
  defaultBackend: 'v1',
  createBackend: ({ loaded, registry, notice }) => {
    const source = loaded.sources.backend;
    // Asked on the command line for another strategy: an error. A config the default build wrote
    // (an A/B block, v2-with-fallback) is served by v1, said on each command: shipping this build
    // is the plan's build-level rollback, and a fleet's configs must keep working under it.
    if (loaded.config.backend !== 'v1' && source.kind === 'flag') {
      throw new MarketplaceError(
        'GGEN_E_BACKEND_UNAVAILABLE',
        `Backend '${loaded.config.backend}' (from ${source.origin}) is not compiled into this build (marketplace-v1)`,
        {
          hint: 'Use --backend v1, or the marketplace-parallel build for v2 strategies.',
        },
      );
    }
    if (loaded.config.backend !== 'v1' && source.kind !== 'default')
      notice(
        `note: marketplace.backend: ${loaded.config.backend} (from ${source.origin}) is served by v1: this build (marketplace-v1) has the v1 backend only`,
      );
    return createV1Backend({ location: registry, ...fetchOptionsOf(loaded.config) });
  },
}).then((code) => {
  process.exitCode = code;
});
