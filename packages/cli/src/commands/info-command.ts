import { MarketplaceError, parsePackageSpec, type PackageDetails } from '@ggen/marketplace-core';
import semver from 'semver';
import { defineCommand, needsBackend } from '../command-spec.js';

export const infoCommand = defineCommand({
  command: 'info <spec>',
  describe: 'Show all metadata of a package: every version, dependencies, archive integrity',
  available: needsBackend,
  builder: (yargs) =>
    yargs
      .positional('spec', { type: 'string', demandOption: true, describe: 'name or name@version' })
      .example('$0 marketplace info agent-editor', 'the newest version')
      .example('$0 marketplace info hello@1.0.0 --json', 'one version, as JSON'),
  run: async (context, args): Promise<PackageDetails> => {
    const { name, range } = parsePackageSpec(args.spec);
    const backend = context.backend();
    const latest = await backend.getPackage(name);
    if (latest === null) {
      throw new MarketplaceError('GGEN_E_PACKAGE_NOT_FOUND', `Package '${name}' is not in the registry`, {
        hint: `Search for it: ggen marketplace search ${name}`,
        details: { package: name },
      });
    }
    if (range === undefined) return latest;
    const match = semver.maxSatisfying(latest.versions.map((entry) => entry.version), range);
    const details = match === null ? null : await backend.getPackage(name, match);
    if (details === null) {
      throw new MarketplaceError('GGEN_E_VERSION_NOT_FOUND', `No version of ${name} matches ${range}`, {
        hint: `Available: ${latest.versions.map((entry) => entry.version).join(', ')}`,
        details: { package: name, range },
      });
    }
    return details;
  },
  render: (pkg) => {
    const lines = [
      `${pkg.name}@${pkg.version}`,
      pkg.description,
      '',
      `category:   ${pkg.category ?? '-'}`,
      `author:     ${pkg.author ?? '-'}`,
      `license:    ${pkg.license ?? '-'}`,
      `tags:       ${pkg.tags.join(', ') || '-'}`,
      `keywords:   ${pkg.keywords.join(', ') || '-'}`,
      `downloads:  ${pkg.downloads}   stars: ${pkg.stars}`,
    ];
    if (pkg.repository !== undefined) lines.push(`repository: ${pkg.repository}`);
    if (pkg.homepage !== undefined) lines.push(`homepage:   ${pkg.homepage}`);
    if (pkg.publishedAt !== undefined) lines.push(`published:  ${pkg.publishedAt}`);
    lines.push(`integrity:  ${pkg.integrity ?? '-'}`);
    if (pkg.checksum !== undefined) lines.push(`checksum:   sha256:${pkg.checksum}`);
    const deps = Object.entries(pkg.dependencies);
    lines.push('', `dependencies (${deps.length}):`, ...deps.map(([dep, range]) => `  ${dep} ${range}`));
    lines.push('', `versions (${pkg.versions.length}):`, ...pkg.versions.map((entry) => `  ${entry.version}${entry.yanked ? ' (yanked)' : ''}${entry.publishedAt === undefined ? '' : `  ${entry.publishedAt}`}`));
    return lines.join('\n');
  },
});
