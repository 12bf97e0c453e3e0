import { nodeCrypto } from '../node-crypto.js';
import { closeSync, existsSync, linkSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { readRegularFileSync } from '../read-regular-file.js';
import { hostname } from 'node:os';
import { fromFsError, MarketplaceError } from '../errors.js';

export interface FileLockOptions {
  /** Called once when another live process holds the lock. */
  onWait?: (holder: { pid: number }) => void;
  timeoutMs?: number;
  pollMs?: number;
}

/**
 * Runs `task` while holding an exclusive lock file. The file records the holder's pid;
 * a lock left by a process that no longer exists (killed mid-install) is broken at once,
 * so an interrupted run never blocks the next one. Its file operations are synchronous, as
 * the install's own are: each takes microseconds, and through fs/promises each was a round
 * trip through libuv's thread pool that a short-lived command waited for in turn.
 */
export async function withFileLock<T>(
  lockPath: string,
  task: () => T | Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const pollMs = options.pollMs ?? 50;
  const started = Date.now();
  let waited = false;
  for (;;) {
    if (tryAcquire(lockPath)) break;
    const holder = readHolder(lockPath);
    // A lock file always holds its pid from the instant it exists (tryAcquire links a complete
    // file into place), so an empty or unreadable one is a leftover (ENOSPC, an older ggen), as stale as a dead pid.
    if (holder === undefined || !isAlive(holder)) {
      if (existsSync(lockPath)) breakStaleLock(lockPath, holder);
      continue;
    }
    if (!waited) {
      waited = true;
      options.onWait?.({ pid: holder });
    }
    if (Date.now() - started > timeoutMs) {
      throw new MarketplaceError('GGEN_E_LOCK_TIMEOUT', `Timed out after ${timeoutMs} ms waiting for ${lockPath}`, {
        hint: `Another ggen process (pid ${holder}) is still working in this directory; wait for it to finish.`,
        details: { lock: lockPath, pid: holder },
      });
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  try {
    return await task();
  } finally {
    unlinkQuietly(lockPath);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * The lock file appears complete or not at all: the pid is written to a private temp file
 * first, then hard-linked to the lock's name, which fails if the name exists (atomic, as
 * O_EXCL). A crash or a full disk can leave a temp file, never an empty lock.
 */
function tryAcquire(lockPath: string): boolean {
  const temp = `${lockPath}.new-${process.pid}-${nodeCrypto().randomBytes(6).toString('hex')}`;
  try {
    const fd = openSync(temp, 'wx', 0o644);
    try {
      writeFileSync(fd, `${process.pid}\n${hostname()}\n`);
    } finally {
      closeSync(fd);
    }
    linkSync(temp, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fromFsError(error, 'creating the lock', lockPath);
  } finally {
    unlinkQuietly(temp);
  }
}

function readHolder(lockPath: string): number | undefined {
  try {
    const text = readRegularFileSync(lockPath, 4096).toString('utf8');
    const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid runs (EPERM: it does, as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Moves the stale file aside first, so that two processes never both delete a fresh lock. */
function breakStaleLock(lockPath: string, pid: number | undefined): void {
  const aside = `${lockPath}.stale-${process.pid}`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return;
  }
  const holder = readHolder(aside);
  if (holder !== pid && holder !== undefined && isAlive(holder)) {
    // We moved a live process's fresh lock; give it back if the name is still free (link never replaces).
    try {
      linkSync(aside, lockPath);
    } catch {
      // taken meanwhile: the new holder keeps it
    }
  }
  unlinkQuietly(aside);
}
