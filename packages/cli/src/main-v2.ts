import { MarketplaceError, type LoadedConfig, type MarketplaceConfigKey } from '@ggen/marketplace-core';
import { createV2Backend, V2_BACKEND_METADATA } from '@ggen/marketplace-v2';
import { checkedBackend } from '@ggen/domain-adapters';
import { sparqlCommand } from './commands/sparql-command.js';
import { checkChangesInStore } from './store-lookup.js';
import { v2RegistryGroup } from './commands/v2-registry-group.js';
import { metricsCommand } from './commands/metrics-command.js';
import { lifecycleCommands } from './commands/lifecycle-command.js';
import { v2Options } from './remote-options.js';
import { runCli } from './run-cli.js';
import { createArchiveSigner } from './archive-signer.js';
import { keygenCommand } from './commands/keygen-command.js';
import { syncCommand } from './commands/sync-command.js';
import { keysGroup } from './commands/keys-command.js';
import { loginCommands } from './commands/login-command.js';
import { signCommand } from './commands/sign-command.js';
import { verifyKeyCommand } from './commands/verify-key-command.js';
import { monitoredBackend } from './monitored-backend.js';
import { adapterConfigOf } from './parallel-backend.js';

/**
 * The migration's own keys: with v1 removed there is nothing to route between, so this build
 * refuses them by name instead of quietly serving v2 (month 6 is the major version that drops
 * them; docs/breaking-changes.md).
 */
const REMOVED_KEYS: readonly MarketplaceConfigKey[] = [
  'v2_percentage',
  'enable_ab_testing',
  'fallback_on_error',
  'operations',
  'v2_timeout_ms',
];

function refuseRemovedKeys({ config, sources }: LoadedConfig): void {
  const removed = (key: MarketplaceConfigKey, what: string): MarketplaceError =>
    new MarketplaceError(
      'GGEN_E_CONFIG_INVALID',
      `marketplace.${what} (from ${sources[key].origin}) was removed with v1: this build (marketplace-v2) has the v2 backend only`,
      {
        hint: `Delete ${key} from ${sources[key].origin}; v2 serves every operation. A fleet still migrating runs the marketplace-parallel build.`,
        details: { key, origin: sources[key].origin },
      },
    );
  for (const key of REMOVED_KEYS) if (sources[key].kind !== 'default') throw removed(key, key);
  if (sources.backend.kind === 'flag' && config.backend !== 'v2')
    throw new MarketplaceError(
      'GGEN_E_BACKEND_UNAVAILABLE',
      `Backend '${config.backend}' (from ${sources.backend.origin}) is not compiled into this build (marketplace-v2)`,
      { hint: 'Use --backend v2, or the marketplace-parallel build.' },
    );
  if (sources.backend.kind !== 'default' && config.backend !== 'v2')
    throw removed('backend', `backend: ${config.backend}`);
}

// The marketplace-v2 build (month 6, v1 removed): the RDF backend alone, with what an operator
// still needs: registry migrate (a last v1 registry), serve and push, lifecycle and keys, and the
// local metrics, OTLP export and Pushgateway push of every operation. (The query service belongs
// to the default build's launcher.)
// No top-level await: the bundle is CommonJS (program-loader.ts requires it).
void runCli(process.argv.slice(2), {
  name: 'marketplace-v2',
  backends: [V2_BACKEND_METADATA.type],
  adapters: false,
  defaultBackend: 'v2',
  configDefaults: { backend: 'v2', fallback_on_error: false },
  checkConfig: refuseRemovedKeys,
  commands: [
    sparqlCommand,
    v2RegistryGroup,
    metricsCommand,
    keygenCommand,
    verifyKeyCommand,
    signCommand,
    keysGroup,
    syncCommand,
    ...loginCommands,
    ...lifecycleCommands,
  ],
  createSigner: createArchiveSigner,
  checkChangesInStore,
  createBackend: (context) =>
    monitoredBackend(context, adapterConfigOf(context.loaded), {
      v1: () => {
        throw new MarketplaceError(
          'GGEN_E_BACKEND_UNAVAILABLE',
          'The v1 backend is not in this build (marketplace-v2)',
        );
      },
      v2: () => checkedBackend(createV2Backend(v2Options(context.loaded.config, context.v2Registry, context.cache))),
    }),
}).then((code) => {
  process.exitCode = code;
});
