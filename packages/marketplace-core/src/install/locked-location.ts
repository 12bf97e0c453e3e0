import { isAbsolute, relative, sep } from 'node:path';
import { MarketplaceError } from '../errors.js';
import { safeText } from '../names.js';
import type { BackendType } from '../models.js';
import { resolveArchiveLocation } from '../registry/fetch-resource.js';
import { registryLocation } from '../registry/registry-location.js';
import type { PackageSource, VersionCandidate } from './package-source.js';

/**
 * A lockfile travels: `resolved` names the registry by its stable id (`v1` or `v2`, the role it
 * has in the config) and the archive's path inside it, e.g. `v2:archives/@acme/kit-1.0.0.tgz`,
 * never an absolute path of the machine that wrote it. Where that registry is now is decided by
 * `--registry` and the config; integrity decides whether the bytes are right.
 */
const LOCKED = /^(v1|v2):(?!\/\/)(.+)$/;

/** The lockfile's `resolved` for an archive a registry listed. An archive outside its registry (another URL) is kept as it is. */
export function lockedResolved(candidate: VersionCandidate, source: PackageSource): string {
  const registry = source.registryLocation?.(candidate.backend);
  const inside = registry === undefined ? undefined : pathInside(registry, candidate.archive);
  return inside === undefined ? candidate.archive : `${candidate.backend}:${inside}`;
}

function pathInside(registry: string, archive: string): string | undefined {
  const location = registryLocation(registry);
  if (location.kind === 'http') {
    const base = registry.endsWith('/') ? registry : `${registry}/`;
    return archive.startsWith(base) ? archive.slice(base.length) : undefined;
  }
  const file = registryLocation(archive);
  if (file.kind !== 'directory' || !isAbsolute(file.path)) return undefined;
  const path = relative(location.path, file.path);
  return path === '' || path.startsWith('..') || isAbsolute(path) ? undefined : path.split(sep).join('/');
}

/**
 * Where a locked archive is now: its registry's current location joined with the path inside
 * it. A lockfile is a file from a stranger: `resolved` must stay inside the registry it names
 * (no `..`, no absolute path, no other host). One written before registry ids (a location) is
 * taken only when it lies inside a configured registry of its backend.
 */
export function lockedArchiveLocation(
  name: string,
  resolved: string,
  backend: BackendType,
  source: PackageSource,
): string {
  const match = LOCKED.exec(resolved);
  // A source that has no registry locations (an in-process source of the API) fetches its own archives.
  if (source.registryLocation === undefined) return resolved;
  if (match === null) {
    const registry = source.registryLocation(backend);
    const inside = registry === undefined ? undefined : pathInside(registry, resolved);
    if (registry === undefined || inside === undefined) throw outsideRegistry(name, resolved, registry);
    return resolveArchiveLocation(registry, inside, name);
  }
  const id = match[1] as BackendType;
  const path = match[2] ?? '';
  const registry = source.registryLocation(id);
  if (registry === undefined && source.readsBackend?.(id) === false) {
    throw new MarketplaceError(
      'GGEN_E_BACKEND_UNAVAILABLE',
      `ggen.lock entry ${name} comes from the ${id} registry (${resolved}), which this build cannot read (it has no ${id} backend), and the ${source.backend} registry has no copy with the locked integrity`,
      {
        hint: `Install the project with a build that has the ${id} backend (the default marketplace-parallel build), or leave ${name} out: ggen marketplace remove ${name}.`,
        details: { package: name, resolved, registry: id, backend },
      },
    );
  }
  if (registry === undefined) {
    throw new MarketplaceError(
      'GGEN_E_BACKEND_UNAVAILABLE',
      `ggen.lock entry ${name} comes from the ${id} registry (${resolved}), and no ${id} registry is configured`,
      {
        hint:
          id === 'v1'
            ? 'Pass --registry <the v1 registry> or set marketplace.registry.'
            : 'Pass --registry <the v2 registry> or set marketplace.v2_registry.',
        details: { package: name, resolved, registry: id, backend },
      },
    );
  }
  if (!isPathInsideRegistry(path)) throw outsideRegistry(name, resolved, registry);
  return resolveArchiveLocation(registry, path, name);
}

/** A relative path of plain segments: no `..` or `.`, no absolute path, no scheme, no backslash, no query. */
function isPathInsideRegistry(path: string): boolean {
  if (path === '' || path.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(path) || /[\\?#\0]/.test(path)) return false;
  return path
    .split('/')
    .every((segment) => segment !== '' && segment !== '.' && segment !== '..' && !/%2e|%2f|%5c/i.test(segment));
}

function outsideRegistry(name: string, resolved: string, registry: string | undefined): MarketplaceError {
  return new MarketplaceError(
    'GGEN_E_LOCKFILE_INVALID',
    `ggen.lock entry ${name} resolves outside its registry: ${safeText(resolved)}`,
    {
      hint: `Nothing was fetched. A lockfile names an archive inside the registry it came from${registry === undefined ? '' : ` (${registry})`}; reinstall the package (ggen marketplace install ${name}) to record it again.`,
      details: { package: name, resolved, ...(registry === undefined ? {} : { registry }) },
    },
  );
}

/** A locked archive that could not be fetched: the error names the lockfile entry and the registry tried. */
export function lockedFetchError(
  error: unknown,
  candidate: VersionCandidate,
  resolved: string,
  source: PackageSource,
): unknown {
  // A registry that did not answer (down, refused, offline) says so itself: the archive may well be there.
  if (
    !(error instanceof MarketplaceError) ||
    !['GGEN_E_REGISTRY_NOT_FOUND', 'GGEN_E_REGISTRY_HTTP'].includes(error.code)
  )
    return error;
  const id = LOCKED.exec(resolved)?.[1] as BackendType | undefined;
  const registry = id === undefined ? undefined : source.registryLocation?.(id);
  return new MarketplaceError(
    error.code,
    `ggen.lock entry ${candidate.name}@${candidate.version} (${resolved}) is not in ${registry === undefined ? 'its registry' : `the ${id} registry at ${registry}`}: ${error.message}`,
    {
      hint:
        registry === undefined
          ? 'The lockfile names a location of another machine; reinstall the package (ggen marketplace install <name>) to record it relative to a registry.'
          : `If the registry moved, give its new location with --registry <dir|url> (or marketplace.${id === 'v1' ? 'registry' : 'v2_registry'}); the lockfile's integrity still checks the bytes.`,
      cause: error,
      details: {
        package: candidate.name,
        version: candidate.version,
        resolved,
        ...(registry === undefined ? {} : { registry }),
      },
    },
  );
}
