import type { UpdateResult } from '@ggen/marketplace-core';
import { defineCommand, needsBackend } from '../command-spec.js';
import { createProgressReporter } from '../progress-reporter.js';

export const updateCommand = defineCommand({
  command: 'update [name]',
  describe: 'Update installed packages to the newest versions within their ranges',
  available: needsBackend,
  options: {
    target: { type: 'string', describe: 'packages directory' },
    'dry-run': { type: 'boolean', default: false, describe: 'show old -> new, write nothing' },
    'verify-signature': {
      type: 'boolean',
      default: false,
      describe: 'every package must be signed by a trusted key (checked before anything is written)',
    },
    'allow-downgrade': { type: 'boolean', default: false, describe: 'allow versions older than the lockfile pins' },
  },
  builder: (yargs) =>
    yargs
      .positional('name', { type: 'string', describe: 'one package (default: all)' })
      .example('$0 marketplace update --dry-run', 'what would change'),
  run: async (context, args): Promise<UpdateResult> => {
    const reporter = await createProgressReporter(context);
    try {
      return await context.backend().update(
        {
          ...context.installPaths(args.target),
          ...context.installPolicy(args),
          dryRun: args['dry-run'],
          ...(args.name === undefined ? {} : { name: args.name.toLowerCase() }),
        },
        reporter.onEvent,
      );
    } finally {
      reporter.stop();
    }
  },
  render: (result) => {
    if (result.changes.length === 0) return 'Everything is up to date.';
    const lines = result.changes.map((change) => `  ${change.name} ${change.from ?? '(new)'} -> ${change.to}`);
    return `${result.dryRun ? 'would update' : 'updated'} ${result.changes.length} package(s):\n${lines.join('\n')}`;
  },
});
