#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { parallelFeatures } from './parallel-features.js';
import { runCli } from './run-cli.js';

process.exitCode = await runCli(hideBin(process.argv), parallelFeatures);
