// list: the lockfile against the disk.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fromFsError } from '../errors.js';
import { packageDir } from '../names.js';
import type { InstalledPackage, InstallPaths } from '../models.js';
import { hashDirectory } from './content-hash.js';
import { withFileLock } from './file-lock.js';
import { journalPath, LOCK_FILE, recoverTransaction, TRANSACTION_DIR } from './install-transaction.js';
import { defaultStateDir } from './install-context.js';
import { emptyLockfile, readLockfileOf } from './lockfile.js';

/** The package directories under `packagesDir`: `name` and, inside each `@scope`, `@scope/name`. */
async function installedDirectories(packagesDir: string): Promise<string[]> {
  const directories = async (dir: string): Promise<string[]> => {
    try {
      return (await readdir(dir, { withFileTypes: true }))
        .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
        .map((entry) => entry.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fromFsError(error, 'reading', dir);
      return [];
    }
  };
  const names: string[] = [];
  for (const name of await directories(packagesDir)) {
    if (name.startsWith('@'))
      for (const inner of await directories(join(packagesDir, name))) names.push(`${name}/${inner}`);
    else names.push(name);
  }
  return names;
}

/** Installed packages from the lockfile and the disk, with drift flagged. */
export async function listInstalledPackages(options: InstallPaths): Promise<InstalledPackage[]> {
  const stateDir = options.stateDir ?? defaultStateDir();
  if (
    existsSync(join(options.packagesDir, TRANSACTION_DIR)) ||
    existsSync(journalPath(stateDir, options.packagesDir))
  ) {
    await withFileLock(join(options.packagesDir, LOCK_FILE), () => recoverTransaction(options.packagesDir, stateDir));
  }
  const lockfile = readLockfileOf(options) ?? emptyLockfile();
  const result: InstalledPackage[] = [];
  for (const [name, locked] of Object.entries(lockfile.packages)) {
    const path = packageDir(options.packagesDir, name);
    const hash = await hashDirectory(path);
    result.push({
      name,
      version: locked.version,
      status: hash === undefined ? 'missing' : hash === locked.contentHash ? 'ok' : 'modified',
      backend: locked.backend,
      direct: Object.hasOwn(lockfile.requested, name),
      path,
    });
  }
  const onDisk = await installedDirectories(options.packagesDir);
  for (const name of onDisk) {
    if (lockfile.packages[name] === undefined)
      result.push({ name, status: 'extraneous', direct: false, path: join(options.packagesDir, name) });
  }
  return result.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
