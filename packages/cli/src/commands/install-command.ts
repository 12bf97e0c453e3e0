import type { InstallResult } from '@ggen/marketplace-core';
import { defineCommand, needsBackend, table } from '../command-spec.js';
import { createProgressReporter } from '../progress-reporter.js';

export const installCommand = defineCommand({
  command: 'install [specs..]',
  aliases: ['i', 'add'],
  describe: 'Install packs and dependencies',
  available: needsBackend,
  options: {
    target: { type: 'string', describe: 'packages directory (the lockfile goes beside it)' },
    'dry-run': { type: 'boolean', default: false, describe: 'print the plan, write nothing' },
    dependencies: { type: 'boolean', default: true, describe: 'install dependencies (--no-dependencies to skip)' },
    force: {
      type: 'boolean',
      default: false,
      describe: 'reinstall even when up to date, replacing local edits of installed files',
    },
    'frozen-lockfile': {
      type: 'boolean',
      default: false,
      describe: 'install exactly the lockfile; fail if it does not satisfy the request',
    },
    'verify-signature': {
      type: 'boolean',
      default: false,
      describe: 'every package must be signed by a trusted key (checked before anything is written)',
    },
    'allow-downgrade': { type: 'boolean', default: false, describe: 'allow versions older than the lockfile pins' },
  },
  builder: (yargs) =>
    yargs
      .positional('specs', { type: 'string', array: true, default: [] as string[], describe: 'name or name@range' })
      .example('$0 marketplace install agent-editor', 'newest version with its dependencies')
      .example('$0 marketplace install hello@^1.2 --dry-run', 'show the plan only'),
  run: async (context, args): Promise<InstallResult> => {
    const paths = context.installPaths(args.target);
    const reporter = await createProgressReporter(context, paths.packagesDir);
    try {
      return await context.backend().install(
        {
          specs: args.specs.map(String),
          ...paths,
          dryRun: args['dry-run'],
          noDependencies: !args.dependencies,
          force: args.force,
          frozenLockfile: args['frozen-lockfile'],
          ...context.installPolicy(args),
        },
        reporter.onEvent,
      );
    } finally {
      reporter.stop();
    }
  },
  render: (result) => {
    const signed = result.installed.some((entry) => entry.signature !== undefined);
    const rows = [['', 'PACKAGE', 'VERSION', 'BACKEND', ...(signed ? ['SIGNED BY'] : [])]];
    for (const entry of result.installed) {
      const version =
        entry.previousVersion === undefined ? entry.version : `${entry.previousVersion} -> ${entry.version}`;
      rows.push([
        entry.action === 'replace' ? '~' : '+',
        entry.name,
        version,
        entry.backend,
        ...(signed ? [entry.signature?.keyId ?? '-'] : []),
      ]);
    }
    const lines: string[] = [];
    if (result.installed.length > 0) lines.push(table(rows));
    const verb = result.dryRun ? 'would install' : 'installed';
    lines.push(
      `${verb} ${result.installed.length} package(s), ${result.unchanged.length} already up to date, into ${result.packagesDir}`,
    );
    if (!result.dryRun && result.installed.length > 0) lines.push(`lockfile: ${result.lockfilePath}`);
    for (const cycle of result.cycles) lines.push(`note: dependency cycle ${cycle.join(' <-> ')} installed together`);
    return lines.join('\n');
  },
});
