// What every installer operation shares: where it works, its lock, its policy.
import { lstatSync, mkdirSync } from 'node:fs';
import { realpathOrSelf } from '../read-regular-file.js';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { registryLocation } from '../registry/registry-location.js';
import { fromFsError, MarketplaceError } from '../errors.js';
import type { InstallPaths, InstallPolicy } from '../models.js';
import { withFileLock } from './file-lock.js';
import { ArchiveCache } from './archive-cache.js';
import type { InstallEvents } from './install-events.js';
import { LOCK_FILE, recoverTransaction } from './install-transaction.js';
import { packagesDirEntry, readLockfileOf, type Lockfile } from './lockfile.js';
import { hashDirectory } from './content-hash.js';
import { packageDir } from '../names.js';
import type { PackageSource } from './package-source.js';

export interface Context {
  source: PackageSource;
  packagesDir: string;
  lockfilePath: string;
  /** The user's state, where the install journal is kept (never the packages directory). */
  stateDir: string;
  events: InstallEvents | undefined;
  /** Archives kept by integrity, shared by all projects; none when the caller gave no cache directory. */
  archiveCache: ArchiveCache | undefined;
}

/** The context of one operation on `paths`. */
export function contextOf(source: PackageSource, paths: InstallPaths, events: InstallEvents | undefined): Context {
  return {
    source,
    packagesDir: paths.packagesDir,
    lockfilePath: paths.lockfilePath,
    stateDir: paths.stateDir ?? defaultStateDir(),
    events,
    archiveCache: paths.cacheDir === undefined ? undefined : new ArchiveCache(join(paths.cacheDir, 'archives')),
  };
}

export const defaultStateDir = (): string => join(homedir(), '.ggen');

/**
 * A packages directory that is a link is refused: a committed `gpacks -> ..` would carry every
 * install, prune and removal into the directory it names.
 */
export function refuseLinkedPackagesDir(packagesDir: string): void {
  let stat;
  try {
    stat = lstatSync(packagesDir);
  } catch {
    return;
  }
  if (stat.isSymbolicLink()) {
    throw new MarketplaceError(
      'GGEN_E_UNSAFE_PERMISSIONS',
      `${packagesDir} is a symbolic link; ggen installs into and removes from real directories only`,
      {
        hint: `Point --target at the directory itself (${realpathOrSelf(packagesDir)}), or replace the link with a directory.`,
        details: { path: packagesDir },
      },
    );
  }
}

export async function withInstallLock<T>(context: Context, task: () => T | Promise<T>): Promise<T> {
  refuseLinkedPackagesDir(context.packagesDir);
  // A lockfile of another packages directory is refused before anything is created here.
  readLockfileOf(context);
  try {
    mkdirSync(context.packagesDir, { recursive: true });
    mkdirSync(dirname(context.lockfilePath), { recursive: true });
  } catch (error) {
    throw fromFsError(error, 'creating', context.packagesDir);
  }
  return withFileLock(
    join(context.packagesDir, LOCK_FILE),
    async () => {
      const recovered = recoverTransaction(context.packagesDir, context.stateDir);
      if (recovered !== undefined) context.events?.({ type: 'recovered', action: recovered });
      return task();
    },
    { onWait: ({ pid }) => context.events?.({ type: 'lock-wait', pid }) },
  );
}

/**
 * Of the packages a change drops, those whose directory may go: only a real directory whose
 * files are exactly what the lockfile recorded ggen installing there (a committed lockfile can
 * name a directory ggen never wrote). The others stay on disk, each said with a `kept` event.
 * `forced` names a package removed whatever its content (never through a link: a link is
 * removed, not what it points at).
 */
export async function removableDirectories(
  context: Context,
  lockfile: Lockfile,
  names: readonly string[],
  forced?: string,
): Promise<string[]> {
  const removable: string[] = [];
  for (const name of names) {
    const path = packageDir(context.packagesDir, name);
    const hash = await hashDirectory(path);
    if (hash === undefined) continue;
    if (hash === lockfile.packages[name]?.contentHash || name === forced) removable.push(name);
    else context.events?.({ type: 'kept', name, path });
  }
  return removable;
}

/** Verification and rollback protection: one rule for install, frozen install and update. */
export function policyOf(
  request: InstallPolicy,
): Required<Omit<InstallPolicy, 'signal' | 'crossRegistry'>> & Pick<InstallPolicy, 'signal'> {
  return {
    verifySignatures: request.verifySignatures ?? false,
    allowDowngrade: request.allowDowngrade ?? false,
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  };
}

export function lockedVersions(lockfile: Lockfile, except: Set<string>): Record<string, string> {
  const preferred: Record<string, string> = {};
  for (const [name, locked] of Object.entries(lockfile.packages))
    if (!except.has(name)) preferred[name] = locked.version;
  return preferred;
}

/**
 * The lockfile a change writes: its packages directory and where its registries are, then what
 * is requested and locked. A registry id no longer served keeps the location the lockfile had.
 */
export function nextLockfile(
  context: Context,
  previous: Lockfile,
  requested: Lockfile['requested'],
  packages: Lockfile['packages'],
): Lockfile {
  const registries: NonNullable<Lockfile['registries']> = {};
  for (const id of ['v1', 'v2'] as const) {
    if (!Object.values(packages).some((locked) => locked.backend === id)) continue;
    const location = context.source.registryLocation?.(id);
    const entry =
      location === undefined ? previous.registries?.[id] : registryEntry(location, dirname(context.lockfilePath));
    if (entry !== undefined) registries[id] = entry;
  }
  return {
    lockfileVersion: 1,
    packagesDir: packagesDirEntry(context),
    ...(Object.keys(registries).length === 0 ? {} : { registries }),
    requested,
    packages,
  };
}

/**
 * A registry location as a lockfile keeps it: a URL without credentials; a directory inside the
 * lockfile's own directory, relative to it. A directory elsewhere is this machine's path, of no
 * use to anyone else (the lockfile travels): not kept.
 */
function registryEntry(location: string, base: string): string | undefined {
  const where = registryLocation(location);
  if (where.kind === 'http') {
    const url = new URL(where.url);
    url.username = '';
    url.password = '';
    return url.toString();
  }
  const path = relative(base, where.path);
  if (path.startsWith('..') || isAbsolute(path)) return undefined;
  return path === '' ? '.' : path.split(sep).join('/');
}
