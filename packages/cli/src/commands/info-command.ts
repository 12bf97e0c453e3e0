import { MarketplaceError, parsePackageSpec, type PackageDetails } from '@ggen/marketplace-core';
import semverMaxSatisfying from 'semver/ranges/max-satisfying.js';
import { defineCommand, needsBackend } from '../command-spec.js';

export const infoCommand = defineCommand({
  command: 'info <spec>',
  describe:
    'Show all metadata of a package: variables, templates, files and size, README, dist-tags, every version, dependencies, integrity',
  available: needsBackend,
  builder: (yargs) =>
    yargs
      .positional('spec', { type: 'string', demandOption: true, describe: 'name or name@version' })
      .example('$0 marketplace info agent-editor', 'the newest version')
      .example('$0 marketplace info hello@1.0.0 --json', 'one version, as JSON'),
  run: async (context, args): Promise<PackageDetails> => {
    const { name, range: asked, tag } = parsePackageSpec(args.spec);
    const backend = context.backend();
    const latest = await backend.getPackage(name);
    if (latest === null) {
      throw new MarketplaceError('GGEN_E_PACKAGE_NOT_FOUND', `Package '${name}' is not in the registry`, {
        hint: `Search for it: ggen marketplace search ${name}`,
        details: { package: name },
      });
    }
    const range = tag === undefined ? asked : latest.distTags?.[tag];
    if (tag !== undefined && range === undefined) {
      throw new MarketplaceError('GGEN_E_VERSION_NOT_FOUND', `${name} has no dist-tag '${tag}'`, {
        hint: `Its tags: ${Object.keys(latest.distTags ?? {}).join(', ') || 'latest'}.`,
        details: { package: name, tag },
      });
    }
    if (range === undefined) return latest;
    const match = semverMaxSatisfying(
      latest.versions.map((entry) => entry.version),
      range,
    );
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
      ...(pkg.deprecated === undefined ? [] : [`DEPRECATED: ${pkg.deprecated}`]),
      '',
      `category:   ${pkg.category ?? '-'}`,
      `author:     ${pkg.author ?? '-'}`,
      `license:    ${pkg.license ?? '-'}`,
      `tags:       ${pkg.tags.join(', ') || '-'}`,
      `keywords:   ${pkg.keywords.join(', ') || '-'}`,
      `downloads:  ${pkg.downloads}   stars: ${pkg.stars}`,
    ];
    lines.push(`repository: ${pkg.repository ?? '-'}`, `homepage:   ${pkg.homepage ?? '-'}`);
    if (pkg.distTags !== undefined)
      lines.push(
        `dist-tags:  ${Object.entries(pkg.distTags)
          .map(([name, version]) => `${name}: ${version}`)
          .join(', ')}`,
      );
    if (pkg.size !== undefined || pkg.unpackedSize !== undefined)
      lines.push(`size:       ${pkg.size ?? '-'} bytes packed, ${pkg.unpackedSize ?? '-'} bytes unpacked`);
    if (pkg.publishedAt !== undefined) lines.push(`published:  ${pkg.publishedAt}`);
    lines.push(`integrity:  ${pkg.integrity ?? '-'}`);
    if (pkg.checksum !== undefined) lines.push(`checksum:   sha256:${pkg.checksum}`);
    const variables = Object.entries(pkg.variables ?? {}).map(([variable, spec]) => {
      const {
        type,
        default: value,
        description,
      } = (spec ?? {}) as { type?: unknown; default?: unknown; description?: unknown };
      return `  ${variable}  ${typeof type === 'string' ? type : 'string'}${value === undefined ? '' : `  default ${JSON.stringify(value)}`}${typeof description === 'string' ? `  ${description}` : ''}`;
    });
    lines.push('', `variables (${variables.length}):`, ...variables);
    if (pkg.templates !== undefined)
      lines.push('', `templates (${pkg.templates.length}):`, ...pkg.templates.map((file) => `  ${file}`));
    if (pkg.files !== undefined)
      lines.push('', `files (${pkg.files.length}):`, ...pkg.files.map((file) => `  ${file}`));
    if (pkg.readme !== undefined) lines.push('', 'README:', ...pkg.readme.split('\n').map((line) => `  ${line}`));
    const deps = Object.entries(pkg.dependencies);
    lines.push('', `dependencies (${deps.length}):`, ...deps.map(([dep, range]) => `  ${dep} ${range}`));
    lines.push(
      '',
      `versions (${pkg.versions.length}):`,
      ...pkg.versions.map(
        (entry) =>
          `  ${entry.version}${entry.yanked ? ' (yanked)' : ''}${entry.deprecated === undefined ? '' : ' (deprecated)'}${entry.publishedAt === undefined ? '' : `  ${entry.publishedAt}`}`,
      ),
    );
    return lines.join('\n');
  },
});
