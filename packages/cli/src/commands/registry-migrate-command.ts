import { resolve } from 'node:path';
import { migrateV1RegistryToV2, type MigrationReport } from '@ggen/domain-adapters';
import { isLocationUrl } from '@ggen/marketplace-core';
import { defineCommand } from '../command-spec.js';
import { fetchOptionsOf } from '../fetch-options.js';

export const registryMigrateCommand = defineCommand({
  command: 'migrate',
  describe: 'Convert a v1 registry (index.json) into a v2 registry (RDF catalog)',
  // Every build that writes v2 catalogs (the v2-only build keeps it for a last v1 registry).
  available: (features) => features.backends.includes('v2'),
  options: {
    from: { type: 'string', demandOption: true, describe: 'v1 registry: a directory or an http(s) URL' },
    to: { type: 'string', demandOption: true, describe: 'v2 registry directory (may be the same directory)' },
  },
  builder: (yargs) =>
    yargs.example(
      '$0 marketplace registry migrate --from ./registry --to ./registry',
      'add catalog.nq beside index.json',
    ),
  run: (context, args): Promise<MigrationReport> => {
    const { config } = context.config();
    const from = isLocationUrl(args.from) ? args.from : resolve(context.io.cwd, args.from);
    context.terminal?.keep(
      () =>
        'catalog.nq is as it was (it is written last, at once); archives already copied stay, and migrating again finishes',
    );
    return migrateV1RegistryToV2({
      from,
      to: resolve(context.io.cwd, args.to),
      ...fetchOptionsOf(config),
      onProgress: (event) =>
        context.terminal?.progress(
          event.stage === 'catalog'
            ? 'migrate: writing catalog.nq (Ctrl-C stops it)'
            : `migrate: ${event.done}/${event.total} packages (Ctrl-C stops it)`,
        ),
    });
  },
  render: (report) =>
    [
      `migrated ${report.packages} package(s), ${report.versions} version(s) from ${report.from}`,
      `catalog: ${report.catalog}`,
      `archives copied: ${report.archivesCopied}`,
      ...report.problems.map((problem) => `warning: ${problem}`),
    ].join('\n'),
});
