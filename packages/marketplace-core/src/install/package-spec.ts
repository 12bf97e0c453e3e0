// What a user types for a package: name, name@range, name@tag.
import semverValidRange from 'semver/ranges/valid.js';
import { MarketplaceError } from '../errors.js';
import { isPackageName } from '../names.js';
import { distTagProblem } from '../registry/lifecycle.js';
import type { PackageSource } from './package-source.js';

/** `name`, `name@1.2.3`, `name@^1.2` or `name@beta` (a dist-tag): the package and the range or tag asked for. */
export function parsePackageSpec(spec: string): { name: string; range: string | undefined; tag?: string } {
  const at = spec.indexOf('@', 1);
  const name = (at === -1 ? spec : spec.slice(0, at)).trim().toLowerCase();
  const range = at === -1 ? undefined : spec.slice(at + 1).trim();
  if (
    range !== undefined &&
    isPackageName(name) &&
    semverValidRange(range) === null &&
    distTagProblem(range) === undefined
  )
    return { name, range: undefined, tag: range };
  if (!isPackageName(name)) {
    throw new MarketplaceError('GGEN_E_USAGE', `'${spec}' is not a package name`, {
      hint: 'Package names use lowercase letters, digits, ".", "_" and "-", optionally in a scope (@acme/hello); add @<range> for a version, e.g. hello@^1.0.0.',
    });
  }
  if (range !== undefined && (range === '' || semverValidRange(range) === null)) {
    throw new MarketplaceError('GGEN_E_USAGE', `'${range}' in '${spec}' is not a semver version or range`, {
      hint: 'Use a version (1.2.3) or a range (^1.2.0, ~1.2, >=1 <2).',
    });
  }
  return { name, range };
}

export async function taggedVersion(source: PackageSource, name: string, tag: string): Promise<string> {
  const versions = await source.getVersions(name);
  if (versions === null) {
    throw new MarketplaceError('GGEN_E_PACKAGE_NOT_FOUND', `Package '${name}' not found`, {
      hint: `Search for it: ggen marketplace search ${name}`,
      details: { package: name },
    });
  }
  const tagged = versions.find((candidate) => candidate.tags?.includes(tag));
  if (tagged === undefined) {
    const tags = [...new Set(versions.flatMap((candidate) => candidate.tags ?? []))];
    throw new MarketplaceError('GGEN_E_VERSION_NOT_FOUND', `${name} has no dist-tag '${tag}'`, {
      hint: `Its tags: ${tags.join(', ') || 'none'}; or ask for a version or range (${name}@^1.0.0).`,
      details: { package: name, tag },
    });
  }
  if (tagged.yanked) {
    throw new MarketplaceError(
      'GGEN_E_VERSION_NOT_FOUND',
      `${name}@${tag} points at ${tagged.version}, which is yanked`,
      {
        hint: `A yanked version installs only when named exactly: ${name}@${tagged.version}. Ask the owners to move the tag.`,
        details: { package: name, tag, version: tagged.version },
      },
    );
  }
  return tagged.version;
}
