import { createParallelBackend } from './parallel-backend.js';
import { compareGroup } from './commands/compare-report-command.js';
import { metricsCommand } from './commands/metrics-command.js';
import { registryMigrateCommand } from './commands/registry-migrate-command.js';
import { registryCompactCommand } from './commands/registry-compact-command.js';
import { checkChangesInStore } from './store-lookup.js';
import { registryPushCommand } from './commands/registry-push-command.js';
import { rolloutGroup } from './commands/rollout-status-command.js';
import { sparqlCommand } from './commands/sparql-command.js';
import { createArchiveSigner } from './archive-signer.js';
import { keygenCommand } from './commands/keygen-command.js';
import { syncCommand } from './commands/sync-command.js';
import { keysGroup } from './commands/keys-command.js';
import { registryGroup } from './commands/registry-group.js';
import { registryServeCommand, registryTokenCommand } from './commands/registry-serve-command.js';
import { loginCommands } from './commands/login-command.js';
import { lifecycleCommands } from './commands/lifecycle-command.js';
import { signCommand } from './commands/sign-command.js';
import { verifyKeyCommand } from './commands/verify-key-command.js';
import { daemonGroup } from './commands/daemon-command.js';
import { PARALLEL_BUILD } from './build-facts.js';
import type { FeatureSet } from './features.js';

/** The default build: both backends plus the adapters that route between them. */
export const parallelFeatures: FeatureSet = {
  ...PARALLEL_BUILD,
  backends: [...PARALLEL_BUILD.backends],
  commands: [
    registryGroup(
      registryMigrateCommand,
      registryPushCommand,
      registryCompactCommand,
      registryServeCommand,
      registryTokenCommand,
    ),
    sparqlCommand,
    metricsCommand,
    compareGroup,
    rolloutGroup,
    keygenCommand,
    verifyKeyCommand,
    signCommand,
    keysGroup,
    syncCommand,
    ...loginCommands,
    ...lifecycleCommands,
    daemonGroup,
  ],
  createBackend: createParallelBackend,
  createSigner: createArchiveSigner,
  checkChangesInStore,
};
