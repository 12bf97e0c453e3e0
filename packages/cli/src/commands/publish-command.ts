import { resolve } from 'node:path';
import { MarketplaceError, type PublishResult } from '@ggen/marketplace-core';
import { defineCommand, needsBackend } from '../command-spec.js';

export const publishCommand = defineCommand({
  command: 'publish [dir]',
  describe: 'Validate, pack and publish a package to a file registry',
  available: needsBackend,
  builder: (yargs) =>
    yargs
      .positional('dir', { type: 'string', default: '.', describe: 'package directory' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print files, size and integrity; write nothing' })
      .example('$0 marketplace publish ./my-gpack --registry ./registry', ''),
  run: async (context, args): Promise<PublishResult> => {
    const registry = context.config().config.registry;
    if (registry === undefined) {
      throw new MarketplaceError('GGEN_E_USAGE', 'publish needs a registry to write to', {
        hint: 'Pass --registry <dir> or set marketplace.registry in config; the built-in sample registry is read-only.',
      });
    }
    return context.backend().publish({ dir: resolve(context.io.cwd, args.dir), registry, dryRun: args['dry-run'] });
  },
  render: (result) =>
    [
      `${result.dryRun ? 'would publish' : 'published'} ${result.name}@${result.version} to ${result.registry}`,
      `files (${result.files.length}):`,
      ...result.files.map((file) => `  ${file}`),
      `size:      ${result.size} bytes`,
      `integrity: ${result.integrity}`,
      `checksum:  sha256:${result.checksum}`,
    ].join('\n'),
});
