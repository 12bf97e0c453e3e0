import { MarketplaceError } from '@ggen/marketplace-core';
import { createV2Backend, V2_BACKEND_METADATA } from '@ggen/marketplace-v2';
import { sparqlCommand } from './commands/sparql-command.js';
import { registryPushCommand } from './commands/registry-push-command.js';
import { v2Options } from './remote-options.js';
import { runCli } from './run-cli.js';
import { createArchiveSigner } from './archive-signer.js';
import { keygenCommand } from './commands/keygen-command.js';
import { syncCommand } from './commands/sync-command.js';
import { keysGroup } from './commands/keys-command.js';
import { registryGroup } from './commands/registry-group.js';
import { loginCommands } from './commands/login-command.js';
import { signCommand } from './commands/sign-command.js';
import { verifyKeyCommand } from './commands/verify-key-command.js';

// The marketplace-v2 build: only the RDF backend is compiled in.
// No top-level await: the bundle is CommonJS (program-loader.ts requires it).
void runCli(process.argv.slice(2), {
  name: 'marketplace-v2',
  backends: [V2_BACKEND_METADATA.type],
  adapters: false,
  commands: [
    sparqlCommand,
    registryGroup(registryPushCommand),
    keygenCommand,
    verifyKeyCommand,
    signCommand,
    keysGroup,
    syncCommand,
    ...loginCommands,
  ],
  createSigner: createArchiveSigner,
  createBackend: ({ loaded, v2Registry, cache }) => {
    // The default strategy names no backend this build lacks; an explicit 'v1' does.
    if (loaded.config.backend === 'v1' && loaded.sources.backend.kind !== 'default') {
      throw new MarketplaceError(
        'GGEN_E_BACKEND_UNAVAILABLE',
        `Backend 'v1' (from ${loaded.sources.backend.origin}) is not compiled into this build (marketplace-v2)`,
        {
          hint: 'Use --backend v2, or the marketplace-parallel build.',
        },
      );
    }
    return createV2Backend(v2Options(loaded.config, v2Registry, cache));
  },
}).then((code) => {
  process.exitCode = code;
});
