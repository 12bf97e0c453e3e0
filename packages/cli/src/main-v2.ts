#!/usr/bin/env node
import { V2_BACKEND_METADATA } from '@ggen/marketplace-v2';
import { hideBin } from 'yargs/helpers';
import { runCli } from './run-cli.js';

// The marketplace-v2 build: only the RDF backend is compiled in. Its search, install and
// publish commands register once the v2 backend serves them.
process.exitCode = await runCli(hideBin(process.argv), {
  name: 'marketplace-v2',
  backends: [V2_BACKEND_METADATA.type],
  adapters: false,
});
