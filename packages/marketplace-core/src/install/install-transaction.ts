import { nodeCrypto } from '../node-crypto.js';
import {
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fromFsError, MarketplaceError } from '../errors.js';
import { packageDir } from '../names.js';
import { isAlive } from './file-lock.js';

/** Staging area inside the packages dir, so that every rename stays on one filesystem. */
export const TRANSACTION_DIR = '.ggen-txn';
export const LOCK_FILE = '.ggen.lock-pid';

/**
 * What a commit will do, written before it does it. It lives in the user's state directory
 * (`<state_dir>/transactions/`), where only ggen writes, never in the packages directory: that
 * one may be a project someone else committed, and a journal found there would make ggen write
 * or delete whatever its paths said. It names the packages directory it belongs to.
 */
interface Journal {
  version: 2;
  packagesDir: string;
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

/** Where the journal of a packages directory lives: the user's state, one file per directory. */
export function journalPath(stateDir: string, packagesDir: string): string {
  const key = nodeCrypto().createHash('sha256').update(resolve(packagesDir)).digest('hex').slice(0, 32);
  return join(stateDir, 'transactions', `${key}.json`);
}

export function stagingDir(packagesDir: string, name: string): string {
  return packageDir(join(packagesDir, TRANSACTION_DIR, 'new'), name);
}

// The file operations here are synchronous: each takes microseconds, and through fs/promises
// each was a round trip through libuv's thread pool that the install waited for in turn.

export function beginTransaction(packagesDir: string): void {
  const txn = join(packagesDir, TRANSACTION_DIR);
  try {
    rmSync(txn, { recursive: true, force: true });
    mkdirSync(join(txn, 'new'), { recursive: true });
    mkdirSync(join(txn, 'old'), { recursive: true });
  } catch (error) {
    throw fromFsError(error, 'preparing', txn);
  }
}

/**
 * Commits staged packages and the new lockfile. The journal, written atomically, is the
 * commit point: before it the live tree is untouched (a crash rolls back); after it every
 * step is idempotent and `recoverTransaction` rolls forward.
 */
export function commitTransaction(packagesDir: string, stateDir: string, change: StagedChange): void {
  const journal: Journal = { version: 2, packagesDir: resolve(packagesDir), ...change };
  const path = journalPath(stateDir, packagesDir);
  try {
    writeFileAtomicSync(path, JSON.stringify(journal), { mode: 0o600 });
  } catch (error) {
    throw fromFsError(error, 'writing', path);
  }
  applyJournal(packagesDir, journal);
  rmSync(path, { force: true });
}

/**
 * Finishes or undoes what an interrupted run left; returns what it did. A journal inside the
 * packages directory was not written by this ggen (it keeps them in the user's state): it came
 * with the directory, and is refused with nothing done.
 */
export function recoverTransaction(
  packagesDir: string,
  stateDir: string,
): 'rolled-forward' | 'rolled-back' | undefined {
  const txn = join(packagesDir, TRANSACTION_DIR);
  const planted = join(txn, 'journal.json');
  if (existsSync(planted)) {
    throw new MarketplaceError(
      'GGEN_E_FOREIGN_FILE',
      `${planted} is an install journal that this ggen did not write; refusing to follow it`,
      {
        hint: `ggen keeps its journals in ${join(stateDir, 'transactions')}. This one came with the directory (a cloned project?): delete ${txn} and run the command again.`,
        details: { path: planted },
      },
    );
  }
  const path = journalPath(stateDir, packagesDir);
  let journal: Journal | undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Journal>;
    journal = isJournalOf(parsed, resolve(packagesDir)) ? parsed : undefined;
    if (journal === undefined) rmSync(path, { force: true });
  } catch {
    journal = undefined;
  }
  if (journal === undefined) {
    if (!existsSync(txn)) return undefined;
    rmSync(txn, { recursive: true, force: true });
    return 'rolled-back';
  }
  applyJournal(packagesDir, journal);
  rmSync(path, { force: true });
  return 'rolled-forward';
}

function isJournalOf(value: Partial<Journal>, packagesDir: string): value is Journal {
  const names = (list: unknown): boolean => Array.isArray(list) && list.every((name) => typeof name === 'string');
  return (
    value.version === 2 &&
    value.packagesDir === packagesDir &&
    typeof value.lockfile === 'string' &&
    (value.lockfileContent === null || typeof value.lockfileContent === 'string') &&
    names(value.install) &&
    names(value.remove)
  );
}

function applyJournal(packagesDir: string, journal: Journal): void {
  const txn = join(packagesDir, TRANSACTION_DIR);
  try {
    for (const name of journal.remove) {
      const live = packageDir(packagesDir, name);
      const old = packageDir(join(txn, 'old'), name);
      if (existsSync(live)) {
        rmSync(old, { recursive: true, force: true });
        scopeDirFor(old);
        renameSync(live, old);
        removeEmptyScopeDir(packagesDir, live);
      }
    }
    for (const name of journal.install) {
      const staged = packageDir(join(txn, 'new'), name);
      if (!existsSync(staged)) continue; // already moved into place
      const live = packageDir(packagesDir, name);
      const old = packageDir(join(txn, 'old'), name);
      if (existsSync(live)) {
        if (existsSync(old)) rmSync(live, { recursive: true, force: true });
        else {
          scopeDirFor(old);
          renameSync(live, old);
        }
      }
      scopeDirFor(live);
      renameSync(staged, live);
    }
    if (journal.lockfileContent === null) rmSync(journal.lockfile, { force: true });
    else writeFileAtomicSync(journal.lockfile, journal.lockfileContent);
    rmSync(txn, { recursive: true, force: true });
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
function scopeDirFor(path: string): void {
  const parent = dirname(path);
  if (!basename(parent).startsWith('@')) return;
  mkdirSync(parent, { recursive: true });
  if (!lstatSync(parent).isDirectory()) {
    throw new MarketplaceError(
      'GGEN_E_UNSAFE_PERMISSIONS',
      `${parent} is not a directory (a link?); refusing to install through it`,
      {
        hint: `Remove ${parent} and run the command again.`,
        details: { path: parent },
      },
    );
  }
}

/** A scope directory left empty by a removal goes too, as npm leaves no empty `@scope`. */
function removeEmptyScopeDir(packagesDir: string, path: string): void {
  const parent = dirname(path);
  if (parent === packagesDir || !basename(parent).startsWith('@')) return;
  if (readdirSync(parent).length === 0) rmdirSync(parent);
}

/**
 * Write to a temp file beside the target, fsync, rename over it. The temp file has a random
 * name and is created exclusively (O_EXCL: never through a link or a file someone planted at a
 * name they guessed) with its final mode, so a secret never exists with wider permissions.
 * Temp files left by a killed writer of the same target are swept first; a failed write
 * removes its own. Chunks are written in turn. Synchronous (see above); the promise is for
 * callers that write among other awaits.
 */
export function writeFileAtomic(
  path: string,
  content: string | Uint8Array | Iterable<string>,
  options: { mode?: number } = {},
): Promise<void> {
  return new Promise((resolve) => {
    writeFileAtomicSync(path, content, options);
    resolve();
  });
}

export function writeFileAtomicSync(
  path: string,
  content: string | Uint8Array | Iterable<string>,
  options: { mode?: number } = {},
): void {
  mkdirSync(dirname(path), { recursive: true });
  sweepDeadTemps(path);
  const temp = `${path}${TEMP_MARK}${process.pid}-${nodeCrypto().randomBytes(8).toString('hex')}`;
  const fd = openSync(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    options.mode ?? 0o666,
  );
  try {
    try {
      // writeFileSync on a descriptor writes the whole of each piece, in turn, from where the last ended.
      if (typeof content === 'string' || content instanceof Uint8Array) writeFileSync(fd, content);
      else for (const chunk of content) writeFileSync(fd, chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

const TEMP_MARK = '.tmp-';

/** Removes `<path>.tmp-<pid>-*` files whose writer no longer runs (SIGKILL, power loss). */
function sweepDeadTemps(path: string): void {
  const prefix = `${basename(path)}${TEMP_MARK}`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number.parseInt(name.slice(prefix.length), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid))
      rmSync(join(dirname(path), name), { force: true });
  }
}
