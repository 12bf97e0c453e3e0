import { nodeCrypto } from '../node-crypto.js';
import { constants, existsSync } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fromFsError, MarketplaceError } from '../errors.js';
import { packageDir } from '../names.js';
import { isAlive } from './file-lock.js';

/** Staging area inside the packages dir, so that every rename stays on one filesystem. */
export const TRANSACTION_DIR = '.ggen-txn';
export const LOCK_FILE = '.ggen.lock-pid';

interface Journal {
  version: 1;
  lockfile: string;
  /** New lockfile text, or null to delete the lockfile. */
  lockfileContent: string | null;
  install: string[];
  remove: string[];
}

export interface StagedChange {
  /** Packages whose new content was written with `stagePackageDir`. */
  install: string[];
  remove: string[];
  lockfile: string;
  lockfileContent: string | null;
}

export function stagingDir(packagesDir: string, name: string): string {
  return packageDir(join(packagesDir, TRANSACTION_DIR, 'new'), name);
}

export async function beginTransaction(packagesDir: string): Promise<void> {
  const txn = join(packagesDir, TRANSACTION_DIR);
  try {
    await rm(txn, { recursive: true, force: true });
    await mkdir(join(txn, 'new'), { recursive: true });
    await mkdir(join(txn, 'old'), { recursive: true });
  } catch (error) {
    throw fromFsError(error, 'preparing', txn);
  }
}

/**
 * Commits staged packages and the new lockfile. The journal, written atomically, is the
 * commit point: before it the live tree is untouched (a crash rolls back); after it every
 * step is idempotent and `recoverTransaction` rolls forward.
 */
export async function commitTransaction(packagesDir: string, change: StagedChange): Promise<void> {
  const journal: Journal = { version: 1, ...change };
  const journalPath = join(packagesDir, TRANSACTION_DIR, 'journal.json');
  try {
    await writeFileAtomic(journalPath, JSON.stringify(journal));
  } catch (error) {
    throw fromFsError(error, 'writing', journalPath);
  }
  await applyJournal(packagesDir, journal);
}

/** Finishes or undoes what an interrupted run left; returns what it did. */
export async function recoverTransaction(packagesDir: string): Promise<'rolled-forward' | 'rolled-back' | undefined> {
  const txn = join(packagesDir, TRANSACTION_DIR);
  if (!existsSync(txn)) return undefined;
  const journalPath = join(txn, 'journal.json');
  let journal: Journal | undefined;
  try {
    journal = JSON.parse(await readFile(journalPath, 'utf8')) as Journal;
  } catch {
    journal = undefined;
  }
  if (journal === undefined) {
    await rm(txn, { recursive: true, force: true });
    return 'rolled-back';
  }
  await applyJournal(packagesDir, journal);
  return 'rolled-forward';
}

async function applyJournal(packagesDir: string, journal: Journal): Promise<void> {
  const txn = join(packagesDir, TRANSACTION_DIR);
  try {
    for (const name of journal.remove) {
      const live = packageDir(packagesDir, name);
      const old = packageDir(join(txn, 'old'), name);
      if (existsSync(live)) {
        await rm(old, { recursive: true, force: true });
        await scopeDirFor(old);
        await rename(live, old);
        await removeEmptyScopeDir(packagesDir, live);
      }
    }
    for (const name of journal.install) {
      const staged = packageDir(join(txn, 'new'), name);
      if (!existsSync(staged)) continue; // already moved into place
      const live = packageDir(packagesDir, name);
      const old = packageDir(join(txn, 'old'), name);
      if (existsSync(live)) {
        if (existsSync(old)) await rm(live, { recursive: true, force: true });
        else {
          await scopeDirFor(old);
          await rename(live, old);
        }
      }
      await scopeDirFor(live);
      await rename(staged, live);
    }
    if (journal.lockfileContent === null) await rm(journal.lockfile, { force: true });
    else await writeFileAtomic(journal.lockfile, journal.lockfileContent);
    await rm(join(txn, 'journal.json'), { force: true });
    await rm(txn, { recursive: true, force: true });
  } catch (error) {
    const failure = fromFsError(error, 'committing the install in', packagesDir);
    // Past the journal the change is decided: it is finished, not undone.
    throw new MarketplaceError(failure.code, failure.message, {
      hint: 'The change is committed (its journal is written) but not fully in place; the next ggen command in this directory finishes it once the cause (disk space, permissions) is fixed.',
      cause: error,
      ...(failure.details === undefined ? {} : { details: failure.details }),
    });
  }
}

/**
 * The directory a scoped package (`@scope/name`) lives in, created when missing. It must be a
 * real directory: a link planted at `<packages>/@scope` would carry the rename elsewhere.
 */
async function scopeDirFor(path: string): Promise<void> {
  const parent = dirname(path);
  if (!basename(parent).startsWith('@')) return;
  await mkdir(parent, { recursive: true });
  if (!(await lstat(parent)).isDirectory()) {
    throw new MarketplaceError('GGEN_E_UNSAFE_PERMISSIONS', `${parent} is not a directory (a link?); refusing to install through it`, {
      hint: `Remove ${parent} and run the command again.`,
      details: { path: parent },
    });
  }
}

/** A scope directory left empty by a removal goes too, as npm leaves no empty `@scope`. */
async function removeEmptyScopeDir(packagesDir: string, path: string): Promise<void> {
  const parent = dirname(path);
  if (parent === packagesDir || !basename(parent).startsWith('@')) return;
  if ((await readdir(parent)).length === 0) await rmdir(parent);
}

/**
 * Write to a temp file beside the target, fsync, rename over it. The temp file has a random
 * name and is created exclusively (O_EXCL: never through a link or a file someone planted at a
 * name they guessed) with its final mode, so a secret never exists with wider permissions.
 * Temp files left by a killed writer of the same target are swept first; a failed write
 * removes its own. Chunks are written in turn.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array | readonly string[], options: { mode?: number } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await sweepDeadTemps(path);
  const temp = `${path}${TEMP_MARK}${process.pid}-${nodeCrypto().randomBytes(8).toString('hex')}`;
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, options.mode ?? 0o666);
  try {
    try {
      if (typeof content === 'string' || content instanceof Uint8Array) await handle.writeFile(content);
      else for (const chunk of content) await handle.write(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

const TEMP_MARK = '.tmp-';

/** Removes `<path>.tmp-<pid>-*` files whose writer no longer runs (SIGKILL, power loss). */
async function sweepDeadTemps(path: string): Promise<void> {
  const prefix = `${basename(path)}${TEMP_MARK}`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number.parseInt(name.slice(prefix.length), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid)) await rm(join(dirname(path), name), { force: true });
  }
}
