import { newestWithin, readLockfile } from '@ggen/marketplace-core';
import semverGt from 'semver/functions/gt.js';
import semverValid from 'semver/functions/valid.js';
import { defineCommand, table } from '../command-spec.js';

interface OutdatedEntry {
  name: string;
  current: string;
  /** The newest version within every range that asks for it (what update would install). */
  wanted: string;
  /** The registry's latest tag (npm's Latest: what a bare install takes). */
  latest: string;
  direct: boolean;
}

export const outdatedCommand = defineCommand({
  command: 'outdated',
  describe:
    'Installed packs with newer versions: current, wanted (within the ranges) and latest; exit 1 when any is outdated',
  options: { target: { type: 'string', describe: 'packages directory' } },
  builder: (yargs) => yargs.example('$0 marketplace outdated', 'as npm outdated'),
  run: async (context, args): Promise<OutdatedEntry[]> => {
    const lockfile = readLockfile(context.installPaths(args.target).lockfilePath);
    if (lockfile === null) return [];
    const outdated: OutdatedEntry[] = [];
    for (const [name, locked] of Object.entries(lockfile.packages).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const details = await context.backend().getPackage(name);
      if (details === null) continue;
      const ranges = [
        lockfile.requested[name],
        ...Object.values(lockfile.packages).map((entry) => entry.dependencies[name]),
      ].filter((range): range is string => range !== undefined);
      // What update would move to (the resolver's own pick: no yanked version, stable first), and the latest tag, as npm shows it.
      const wanted = newestWithin(details.versions, ranges)?.version ?? locked.version;
      const latest = semverValid(details.version) === null ? locked.version : details.version;
      if (semverGt(latest, locked.version) || semverGt(wanted, locked.version))
        outdated.push({
          name,
          current: locked.version,
          wanted,
          latest,
          direct: Object.hasOwn(lockfile.requested, name),
        });
    }
    return outdated;
  },
  render: (entries) => {
    if (entries.length === 0) return 'Everything is up to date.';
    return table([
      ['PACKAGE', 'CURRENT', 'WANTED', 'LATEST', ''],
      ...entries.map((entry) => [
        entry.name,
        entry.current,
        entry.wanted,
        entry.latest,
        entry.direct ? '' : '(dependency)',
      ]),
    ]);
  },
  exitCode: (entries) => (entries.length > 0 ? 1 : 0),
});
