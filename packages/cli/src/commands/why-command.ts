import { MarketplaceError, readLockfile } from '@ggen/marketplace-core';
import { defineCommand, table } from '../command-spec.js';

interface WhyResult {
  name: string;
  version: string;
  /** Asked for on the command line (recorded in the lockfile's requests), with its range. */
  requested?: string;
  /** The installed packs whose dependencies name it, with the range each asks for. */
  requiredBy: { name: string; version: string; range: string }[];
}

export const whyCommand = defineCommand({
  command: 'why <name>',
  describe: 'Why a pack is installed: asked for directly, and which installed packs require it, with their ranges',
  options: {
    target: { type: 'string', describe: 'packages directory' },
  },
  builder: (yargs) =>
    yargs
      .positional('name', { type: 'string', demandOption: true, describe: 'an installed pack' })
      .example('$0 marketplace why agent-memory-forge', 'who depends on it'),
  run: (context, args): WhyResult => {
    const name = args.name.toLowerCase();
    const { lockfilePath } = context.installPaths(args.target);
    const lockfile = readLockfile(lockfilePath);
    const locked = lockfile?.packages[name];
    if (lockfile === null || locked === undefined) {
      throw new MarketplaceError('GGEN_E_NOT_INSTALLED', `Package '${name}' is not installed`, {
        hint: "See what is installed with 'ggen marketplace list'.",
        details: { package: name, lockfile: lockfilePath },
      });
    }
    const requiredBy = Object.entries(lockfile.packages)
      .filter(([other, entry]) => other !== name && Object.hasOwn(entry.dependencies, name))
      .map(([other, entry]) => ({ name: other, version: entry.version, range: entry.dependencies[name] ?? '*' }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const requested = lockfile.requested[name];
    return { name, version: locked.version, ...(requested === undefined ? {} : { requested }), requiredBy };
  },
  render: (result) => {
    const lines = [`${result.name}@${result.version}`];
    if (result.requested !== undefined) lines.push(`  asked for directly (${result.requested})`);
    if (result.requiredBy.length > 0)
      lines.push(
        table(result.requiredBy.map((entry) => [`  required by ${entry.name}@${entry.version}`, entry.range])),
      );
    return lines.join('\n');
  },
});
