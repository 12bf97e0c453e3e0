// update: newest versions within the recorded ranges.
import { MarketplaceError } from '../errors.js';
import type { UpdateRequest, UpdateResult } from '../models.js';
import type { InstallEvents } from './install-events.js';
import { readLockfileOf } from './lockfile.js';
import type { PackageSource } from './package-source.js';
import { resolveDependencies } from './resolve-dependencies.js';
import { applyResolution } from './apply-resolution.js';
import { lockedVersions, policyOf, withInstallLock, contextOf, type Context } from './install-context.js';

export async function updatePackages(
  source: PackageSource,
  request: UpdateRequest,
  events?: InstallEvents,
): Promise<UpdateResult> {
  const context: Context = contextOf(source, request, events);
  return withInstallLock(context, async () => {
    const lockfile = readLockfileOf(request);
    if (lockfile === null || Object.keys(lockfile.requested).length === 0) {
      throw new MarketplaceError('GGEN_E_NOT_INSTALLED', 'Nothing is installed here, so there is nothing to update', {
        hint: 'Install packages first with ggen marketplace install <name>.',
      });
    }
    if (request.name !== undefined && lockfile.packages[request.name] === undefined) {
      throw new MarketplaceError('GGEN_E_NOT_INSTALLED', `Package '${request.name}' is not installed`, {
        hint: "See what is installed with 'ggen marketplace list'.",
      });
    }
    // Updating one package keeps every other locked version where it can.
    const preferred = request.name === undefined ? {} : lockedVersions(lockfile, new Set([request.name]));
    const resolution = await resolveDependencies({ source, requests: lockfile.requested, preferred });
    const changes = [...resolution.packages.values()]
      .filter((candidate) => lockfile.packages[candidate.name]?.version !== candidate.version)
      .map((candidate) => {
        const from = lockfile.packages[candidate.name]?.version;
        return { name: candidate.name, ...(from === undefined ? {} : { from }), to: candidate.version };
      })
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    // The same plan, verification and rollback rule as install: a dry run refuses what the update would refuse.
    await applyResolution(context, lockfile, resolution, lockfile.requested, {
      dryRun: request.dryRun === true || changes.length === 0,
      forced: new Set(),
      overwrite: false,
      asked: {},
      ...policyOf(request),
    });
    return { changes, dryRun: request.dryRun ?? false };
  });
}
