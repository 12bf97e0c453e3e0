import semverSatisfies from 'semver/functions/satisfies.js';
import semverValidRange from 'semver/ranges/valid.js';
import { MarketplaceError } from '../errors.js';
import type { CatalogPackage, LifecycleChange } from '../models.js';
import { safeText } from '../names.js';

/** A dist-tag: a lowercase word that is not a version or range (so `name@beta` cannot mean both). */
export function distTagProblem(tag: string): string | undefined {
  if (!/^[a-z][a-z0-9._-]{0,63}$/.test(tag))
    return `'${safeText(tag)}' is not a dist-tag (a lowercase word: latest, beta, next)`;
  if (semverValidRange(tag) !== null) return `'${safeText(tag)}' reads as a version range, not a dist-tag`;
  return undefined;
}

function versionNotFound(pkg: CatalogPackage, version: string): MarketplaceError {
  return new MarketplaceError('GGEN_E_VERSION_NOT_FOUND', `${pkg.name} has no version ${safeText(version)}`, {
    hint: `Versions: ${pkg.versions.map((entry) => entry.version).join(', ')}.`,
    details: { package: pkg.name, version },
  });
}

/**
 * Applies a lifecycle change to a package as a registry records it, the one rule for both
 * formats: a yanked version stays installable when named exactly or locked (cargo's rule) and
 * is never chosen for a range; a deprecation covers every version in its range (an empty
 * message lifts it); `latest` can be moved but not removed. Returns what changed, for output.
 */
export function applyLifecycleChange(pkg: CatalogPackage, change: LifecycleChange): string[] {
  const find = (version: string): CatalogPackage['versions'][number] => {
    const entry = pkg.versions.find((candidate) => candidate.version === version);
    if (entry === undefined) throw versionNotFound(pkg, version);
    return entry;
  };
  switch (change.action) {
    case 'yank': {
      const entry = find(change.version);
      entry.yanked = !change.undo;
      return [`${pkg.name}@${entry.version}`];
    }
    case 'deprecate': {
      const matching = pkg.versions.filter(
        (entry) =>
          semverSatisfies(entry.version, change.range, { includePrerelease: true }) || entry.version === change.range,
      );
      if (matching.length === 0) throw versionNotFound(pkg, change.range);
      for (const entry of matching) {
        if (change.message === '') delete entry.deprecated;
        else entry.deprecated = change.message;
      }
      return matching.map((entry) => `${pkg.name}@${entry.version}`);
    }
    case 'dist-tag-add': {
      const problem = distTagProblem(change.tag);
      if (problem !== undefined)
        throw new MarketplaceError('GGEN_E_USAGE', problem, {
          hint: 'ggen marketplace dist-tag add <name>@<version> <tag>',
        });
      const entry = find(change.version);
      if (change.tag === 'latest') pkg.latest = entry.version;
      else pkg.distTags = { ...(pkg.distTags ?? {}), [change.tag]: entry.version };
      return [`${change.tag}: ${entry.version}`];
    }
    case 'dist-tag-rm': {
      if (change.tag === 'latest')
        throw new MarketplaceError('GGEN_E_USAGE', `The latest tag of ${pkg.name} cannot be removed`, {
          hint: `Point it elsewhere: ggen marketplace dist-tag add ${pkg.name}@<version> latest.`,
        });
      if (pkg.distTags?.[change.tag] === undefined) {
        throw new MarketplaceError(
          'GGEN_E_VERSION_NOT_FOUND',
          `${pkg.name} has no dist-tag '${safeText(change.tag)}'`,
          {
            hint: `See its tags: ggen marketplace dist-tag ls ${pkg.name}.`,
            details: { package: pkg.name },
          },
        );
      }
      const { [change.tag]: removed, ...rest } = pkg.distTags;
      pkg.distTags = rest;
      return [`-${change.tag}: ${removed}`];
    }
  }
}
