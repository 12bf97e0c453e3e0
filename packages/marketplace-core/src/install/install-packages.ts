// install: from names (resolving them) or, with none, exactly the lockfile.
import { MarketplaceError } from '../errors.js';
import type { InstallRequest, InstallResult } from '../models.js';
import type { InstallEvents } from './install-events.js';
import { emptyLockfile, readLockfileOf, type LockedPackage, type Lockfile } from './lockfile.js';
import { lockedArchiveLocation } from './locked-location.js';
import type { PackageSource, VersionCandidate } from './package-source.js';
import { resolveDependencies, satisfies, type Resolution } from './resolve-dependencies.js';
import { applyResolution } from './apply-resolution.js';
import { lockedVersions, policyOf, withInstallLock, contextOf, type Context } from './install-context.js';
import { parsePackageSpec, taggedVersion } from './package-spec.js';

export async function installPackages(
  source: PackageSource,
  request: InstallRequest,
  events?: InstallEvents,
): Promise<InstallResult> {
  const context: Context = contextOf(source, request, events);
  const specs = request.specs.map(parsePackageSpec);
  return withInstallLock(context, async () => {
    const lockfile = readLockfileOf(request) ?? emptyLockfile();
    // No names: install exactly the lockfile, as `npm ci` and `pnpm install` do.
    if (specs.length === 0 && !request.frozenLockfile && Object.keys(lockfile.packages).length === 0) {
      throw new MarketplaceError(
        'GGEN_E_USAGE',
        `Nothing to install: no names given, and ${request.lockfilePath} is missing or empty`,
        {
          hint: 'Name packages (ggen marketplace install <name[@range]>...), or run where the project keeps its ggen.lock (--target).',
          details: { lockfile: request.lockfilePath },
        },
      );
    }
    if (request.frozenLockfile || specs.length === 0) return installFrozen(context, lockfile, specs, request);
    // `name@tag` is the version the tag points at, recorded as ^version like a bare name.
    for (const spec of specs) if (spec.tag !== undefined) spec.range = await taggedVersion(source, spec.name, spec.tag);

    const requests: Record<string, string> = { ...lockfile.requested };
    for (const spec of specs) requests[spec.name] = spec.range ?? '*';
    const preferred = lockedVersions(lockfile, new Set(specs.map((spec) => spec.name)));
    const resolution = await resolveDependencies({
      source,
      requests,
      preferred,
      noDependencies: request.noDependencies ?? false,
    });
    events?.({ type: 'resolved', count: resolution.packages.size });

    // A bare name is recorded as ^<resolved>, as npm does, so that update stays within the major.
    for (const spec of specs) {
      const version = resolution.packages.get(spec.name)?.version;
      if ((spec.range === undefined || spec.tag !== undefined) && version !== undefined)
        requests[spec.name] = `^${version}`;
    }
    for (const candidate of resolution.packages.values()) {
      if (candidate.deprecated !== undefined)
        events?.({
          type: 'deprecated',
          name: candidate.name,
          version: candidate.version,
          message: candidate.deprecated,
        });
    }
    const forced = request.force ? new Set(specs.map((spec) => spec.name)) : new Set<string>();
    return applyResolution(context, lockfile, resolution, requests, {
      dryRun: request.dryRun ?? false,
      forced,
      overwrite: request.force === true,
      // A dist-tag is the registry's word, not the user's: one that points below the locked
      // version is a downgrade like any other (a registry that moved `latest` back).
      asked: Object.fromEntries(specs.map((spec) => [spec.name, spec.tag === undefined ? spec.range : undefined])),
      ...policyOf(request),
    });
  });
}

async function installFrozen(
  context: Context,
  lockfile: Lockfile,
  specs: { name: string; range: string | undefined }[],
  request: InstallRequest,
): Promise<InstallResult> {
  if (Object.keys(lockfile.packages).length === 0) {
    throw new MarketplaceError(
      'GGEN_E_FROZEN_LOCKFILE',
      `--frozen-lockfile needs ${request.lockfilePath}, which is missing or empty`,
      {
        hint: 'Run install once without --frozen-lockfile to create the lockfile, and commit it.',
      },
    );
  }
  for (const spec of specs) {
    const locked = lockfile.packages[spec.name];
    if (locked === undefined || (spec.range !== undefined && !satisfies(locked.version, spec.range))) {
      throw new MarketplaceError(
        'GGEN_E_FROZEN_LOCKFILE',
        `The lockfile does not satisfy ${spec.name}${spec.range === undefined ? '' : `@${spec.range}`} (${locked === undefined ? 'not locked' : `locked at ${locked.version}`})`,
        { hint: 'Run install without --frozen-lockfile to update the lockfile.', details: { package: spec.name } },
      );
    }
  }
  refuseIncompleteLockfile(lockfile, request.lockfilePath);
  const packages = new Map<string, VersionCandidate>();
  for (const [name, locked] of Object.entries(lockfile.packages)) {
    // The same bytes from the registry serving this install: a rollback to v1 restores a
    // lockfile written under v2 while v2 is down (integrity decides, not where it was found).
    const copy = locked.backend === context.source.backend ? undefined : await sameBytes(context.source, name, locked);
    if (copy !== undefined) {
      packages.set(name, copy);
      continue;
    }
    packages.set(name, {
      name,
      version: locked.version,
      dependencies: locked.dependencies,
      yanked: false,
      archive: lockedArchiveLocation(name, locked.resolved, locked.backend, context.source),
      locked: locked.resolved,
      integrity: locked.integrity,
      ...(locked.checksum === undefined ? {} : { checksum: locked.checksum }),
      backend: locked.backend,
      ...(locked.signature === undefined ? {} : { signature: locked.signature }),
    });
  }
  const resolution: Resolution = { packages, order: [...packages.keys()].sort(), cycles: [] };
  return applyResolution(context, lockfile, resolution, lockfile.requested, {
    dryRun: request.dryRun ?? false,
    // `install --force` with no names replaces every locked pack, local edits included.
    forced: request.force === true ? new Set(Object.keys(lockfile.packages)) : new Set(),
    overwrite: request.force === true,
    asked: {},
    ...policyOf(request),
  });
}

/**
 * A frozen install installs exactly the lockfile, so the lockfile must hold together: every
 * requested pack locked at a version its range allows, and every locked pack's dependencies
 * locked too. A committed lockfile that requests a pack it does not lock is not quietly
 * installed without it.
 */
function refuseIncompleteLockfile(lockfile: Lockfile, path: string): void {
  const problems: string[] = [];
  for (const [name, range] of Object.entries(lockfile.requested)) {
    const locked = lockfile.packages[name];
    if (locked === undefined) problems.push(`it requests ${name} but does not lock it`);
    else if (!satisfies(locked.version, range))
      problems.push(`it requests ${name}@${range} but locks ${locked.version}`);
  }
  for (const [name, locked] of Object.entries(lockfile.packages)) {
    for (const [dependency, range] of Object.entries(locked.dependencies)) {
      const version = lockfile.packages[dependency]?.version;
      if (version === undefined) problems.push(`${name} depends on ${dependency}, which it does not lock`);
      else if (!satisfies(version, range))
        problems.push(`${name} needs ${dependency}@${range} but it locks ${version}`);
    }
  }
  if (problems.length > 0) {
    throw new MarketplaceError(
      'GGEN_E_FROZEN_LOCKFILE',
      `${path} does not hold together: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`,
      {
        hint: 'Nothing was installed. Run install without --frozen-lockfile to write a complete lockfile, and commit it.',
        details: { lockfile: path, problems },
      },
    );
  }
}

/**
 * The serving registry's listing of a locked pack with the very bytes the lockfile pins (the
 * same version and integrity), kept as the lockfile wrote it otherwise; undefined when that
 * registry does not list those bytes, or cannot answer (the locked registry is tried then).
 */
async function sameBytes(
  source: PackageSource,
  name: string,
  locked: LockedPackage,
): Promise<VersionCandidate | undefined> {
  let versions: VersionCandidate[] | null;
  try {
    versions = await source.getVersions(name);
  } catch {
    return undefined;
  }
  const listed = versions?.find(
    (candidate) => candidate.version === locked.version && candidate.integrity === locked.integrity,
  );
  if (listed === undefined) return undefined;
  return {
    ...listed,
    dependencies: locked.dependencies,
    yanked: false,
    locked: locked.resolved,
    ...(locked.signature === undefined ? {} : { signature: locked.signature }),
  };
}
