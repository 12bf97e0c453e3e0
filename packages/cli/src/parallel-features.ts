import { createParallelBackend } from './parallel-backend.js';
import { compareGroup } from './commands/compare-report-command.js';
import { metricsCommand } from './commands/metrics-command.js';
import { checkChangesInStore } from './store-lookup.js';
import { v2RegistryGroup } from './commands/v2-registry-group.js';
import { rolloutGroup } from './commands/rollout-status-command.js';
import { sparqlCommand } from './commands/sparql-command.js';
import { createArchiveSigner } from './archive-signer.js';
import { keygenCommand } from './commands/keygen-command.js';
import { syncCommand } from './commands/sync-command.js';
import { keysGroup } from './commands/keys-command.js';
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
    v2RegistryGroup,
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
