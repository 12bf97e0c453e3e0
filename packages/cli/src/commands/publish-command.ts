import { resolve } from 'node:path';
import { MarketplaceError, validatePackageDir, type PublishResult } from '@ggen/marketplace-core';
import { defineCommand, needsBackend } from '../command-spec.js';

export const publishCommand = defineCommand({
  command: 'publish [dir]',
  describe: 'Validate, pack and publish a package to a registry directory or a registry server',
  available: needsBackend,
  options: {
    'dry-run': { type: 'boolean', default: false, describe: 'print files, size and integrity; write nothing' },
    sign: { type: 'boolean', default: false, describe: 'sign the archive (v2 registries); needs --key' },
    key: { type: 'string', describe: 'secret key file for --sign' },
  },
  builder: (yargs) =>
    yargs
      .positional('dir', { type: 'string', default: '.', describe: 'package directory' })
      .example('$0 marketplace publish ./my-gpack --registry ./registry', '')
      .example('$0 marketplace publish --sign --key ~/.ggen/keys/signing.key --registry ./registry', 'signed'),
  run: async (context, args): Promise<PublishResult> => {
    const registry = context.config().config.registry;
    if (registry === undefined) {
      throw new MarketplaceError('GGEN_E_USAGE', 'publish needs a registry to write to', {
        hint: 'Pass --registry <dir> or set marketplace.registry in config; the built-in sample registry is read-only.',
      });
    }
    if (args.sign !== (args.key !== undefined)) {
      throw new MarketplaceError(
        'GGEN_E_USAGE',
        args.sign ? '--sign needs --key <secret key file>' : '--key is only used with --sign',
        {
          hint: 'ggen marketplace publish --sign --key ~/.ggen/keys/signing.key',
        },
      );
    }
    context.checkChangesInStore(registry);
    let signer;
    if (args.key !== undefined) {
      if (context.features.createSigner === undefined) {
        throw new MarketplaceError('GGEN_E_BACKEND_UNAVAILABLE', `This build (${context.features.name}) cannot sign`, {
          hint: 'Use the marketplace-v2 or marketplace-parallel build.',
        });
      }
      signer = await context.features.createSigner(context, args.key);
    }
    const token = context.registryToken(registry);
    const result = await context.backend().publish({
      dir: resolve(context.io.cwd, args.dir),
      registry,
      dryRun: args['dry-run'],
      ...(signer === undefined ? {} : { signer }),
      ...(token === undefined ? {} : { token }),
    });
    // What users look for before they install (a license, a README), said once it is published.
    for (const issue of validatePackageDir(resolve(context.io.cwd, args.dir)).issues)
      if (issue.severity === 'warning') context.notice(`warning: ${issue.message}`);
    return result;
  },
  render: (result) =>
    [
      `${result.dryRun ? 'would publish' : 'published'} ${result.name}@${result.version} to ${result.registry}`,
      `files (${result.files.length}):`,
      ...result.files.map((file) => `  ${file}`),
      ...(result.secretsLeftOut.length === 0
        ? []
        : [`left out as secrets (never published): ${result.secretsLeftOut.join(', ')}`]),
      `size:      ${result.size} bytes`,
      `integrity: ${result.integrity}`,
      `checksum:  sha256:${result.checksum}`,
      ...(result.formats === undefined ? [] : [`written to: ${result.formats.join(' and ')}`]),
      ...(result.signature === undefined ? [] : [`signed by: ${result.signature.keyId}`]),
      ...(result.warnings ?? []).map((warning) => `warning: ${warning}`),
    ].join('\n'),
});
