// remove: a package and what nothing else needs.
import { MarketplaceError } from '../errors.js';
import type { RemoveRequest, RemoveResult } from '../models.js';
import type { InstallEvents } from './install-events.js';
import { beginTransaction, commitTransaction } from './install-transaction.js';
import { emptyLockfile, readLockfileOf, serializeLockfile } from './lockfile.js';
import type { PackageSource } from './package-source.js';
import { contextOf, nextLockfile, removableDirectories, withInstallLock, type Context } from './install-context.js';

export async function removePackage(
  source: PackageSource,
  request: RemoveRequest,
  events?: InstallEvents,
): Promise<RemoveResult> {
  const context: Context = contextOf(source, request, events);
  return withInstallLock(context, async () => {
    const lockfile = readLockfileOf(request) ?? emptyLockfile();
    const name = request.name.toLowerCase();
    if (lockfile.packages[name] === undefined && lockfile.requested[name] === undefined) {
      throw new MarketplaceError('GGEN_E_NOT_INSTALLED', `Package '${name}' is not installed`, {
        hint: "See what is installed with 'ggen marketplace list'.",
      });
    }
    const dependents = Object.entries(lockfile.packages)
      .filter(([other, locked]) => other !== name && Object.hasOwn(locked.dependencies, name))
      .map(([other]) => other)
      .sort();
    if (dependents.length > 0 && !request.force) {
      throw new MarketplaceError(
        'GGEN_E_DEPENDED_UPON',
        `Cannot remove '${name}': ${dependents.join(', ')} depend${dependents.length === 1 ? 's' : ''} on it`,
        {
          hint: 'Remove those packages first, or pass --force to remove it anyway.',
          details: { package: name, dependents },
        },
      );
    }
    const requested = Object.fromEntries(Object.entries(lockfile.requested).filter(([other]) => other !== name));
    // Keep what the remaining requests still reach; the rest goes, as npm prunes.
    const keep = new Set<string>();
    const visit = (current: string): void => {
      if (keep.has(current) || (current === name && request.force)) return;
      const locked = lockfile.packages[current];
      if (locked === undefined) return;
      keep.add(current);
      for (const dep of Object.keys(locked.dependencies)) visit(dep);
    };
    for (const root of Object.keys(requested)) visit(root);
    const removed = Object.keys(lockfile.packages)
      .filter((other) => !keep.has(other))
      .sort();
    if (!request.dryRun) {
      request.signal?.throwIfAborted();
      const next = nextLockfile(
        context,
        lockfile,
        requested,
        Object.fromEntries(Object.entries(lockfile.packages).filter(([other]) => keep.has(other))),
      );
      const remove = await removableDirectories(context, lockfile, removed, request.force === true ? name : undefined);
      beginTransaction(context.packagesDir);
      commitTransaction(context.packagesDir, context.stateDir, {
        install: [],
        remove,
        lockfile: request.lockfilePath,
        lockfileContent:
          Object.keys(next.packages).length === 0 && Object.keys(requested).length === 0
            ? null
            : serializeLockfile(next),
      });
    }
    return { removed, dryRun: request.dryRun ?? false };
  });
}
