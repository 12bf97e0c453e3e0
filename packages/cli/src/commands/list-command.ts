import type { InstalledPackage } from '@ggen/marketplace-core';
import { defineCommand, needsBackend, table } from '../command-spec.js';

export const listCommand = defineCommand({
  command: 'list',
  aliases: ['ls'],
  describe: 'List installed packages, flagging any that were modified or are missing',
  available: needsBackend,
  options: { target: { type: 'string', describe: 'packages directory' } },
  builder: (yargs) => yargs.example('$0 marketplace list --json', 'with status per package'),
  run: async (context, args): Promise<InstalledPackage[]> =>
    context.backend().listInstalled(context.installPaths(args.target)),
  render: (packages) => {
    if (packages.length === 0) return 'No packages installed.';
    const rows = [['PACKAGE', 'VERSION', 'STATUS', 'BACKEND', '']];
    for (const pkg of packages)
      rows.push([pkg.name, pkg.version ?? '-', pkg.status, pkg.backend ?? '-', pkg.direct ? '' : '(dependency)']);
    const drift = packages.filter((pkg) => pkg.status !== 'ok').length;
    return `${table(rows)}${drift > 0 ? `\n\n${drift} package(s) drifted from the lockfile; 'ggen marketplace install' restores a missing one, 'ggen marketplace install <name> --force' a modified one.` : ''}`;
  },
  // As `npm ls` does: a tree that is not what the lockfile says is a failure for scripts.
  exitCode: (packages) => (packages.some((pkg) => pkg.status !== 'ok') ? 1 : 0),
});
