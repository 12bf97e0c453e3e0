import type { RemoveResult } from '@ggen/marketplace-core';
import { defineCommand, needsBackend } from '../command-spec.js';
import { createProgressReporter } from '../progress-reporter.js';

export const removeCommand = defineCommand({
  command: 'remove <name>',
  aliases: ['rm', 'uninstall'],
  describe: 'Remove an installed package (and dependencies nothing else needs)',
  available: needsBackend,
  options: {
    target: { type: 'string', describe: 'packages directory' },
    force: { type: 'boolean', default: false, describe: 'remove even if other packages depend on it' },
    'dry-run': { type: 'boolean', default: false },
  },
  builder: (yargs) =>
    yargs.positional('name', { type: 'string', demandOption: true }).example('$0 marketplace remove agent-editor', ''),
  run: async (context, args): Promise<RemoveResult> => {
    const reporter = await createProgressReporter(context);
    try {
      return await context
        .backend()
        .remove(
          { name: args.name, ...context.installPaths(args.target), force: args.force, dryRun: args['dry-run'] },
          reporter.onEvent,
        );
    } finally {
      reporter.stop();
    }
  },
  render: (result) =>
    `${result.dryRun ? 'would remove' : 'removed'} ${result.removed.length} package(s): ${result.removed.join(', ')}`,
});
