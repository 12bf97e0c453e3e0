#!/usr/bin/env node
import { selectBackend } from '@ggen/domain-adapters';
import { createV1Backend } from '@ggen/marketplace-v1';
import { createV2Backend, V2_BACKEND_METADATA } from '@ggen/marketplace-v2';
import { hideBin } from 'yargs/helpers';
import { registryMigrateCommand } from './commands/registry-migrate-command.js';
import { sparqlCommand } from './commands/sparql-command.js';
import { registryPushCommand } from './commands/registry-push-command.js';
import { v2Options } from './remote-options.js';
import { runCli } from './run-cli.js';

// The default build: both backends plus the adapters that route between them.
process.exitCode = await runCli(hideBin(process.argv), {
  name: 'marketplace-parallel',
  backends: ['v1', V2_BACKEND_METADATA.type],
  adapters: true,
  commands: [registryMigrateCommand, sparqlCommand, registryPushCommand],
  createBackend: ({ loaded, registry, v2Registry }) =>
    selectBackend(loaded.config.backend, {
      v1: () => createV1Backend({ location: registry, timeoutMs: loaded.config.timeout_ms, retries: loaded.config.retries }),
      v2: () => createV2Backend(v2Options(loaded.config, v2Registry)),
    }),
});
