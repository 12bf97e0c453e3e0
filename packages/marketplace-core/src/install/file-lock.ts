import { nodeCrypto } from '../node-crypto.js';
import { existsSync } from 'node:fs';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
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
 * so an interrupted run never blocks the next one.
 */
export async function withFileLock<T>(lockPath: string, task: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const pollMs = options.pollMs ?? 50;
  const started = Date.now();
  let waited = false;
  for (;;) {
    if (await tryAcquire(lockPath)) break;
    const holder = await readHolder(lockPath);
    // A lock file always holds its pid from the instant it exists (tryAcquire links a complete
    // file into place), so an empty or unreadable one is a leftover (ENOSPC, an older ggen), as stale as a dead pid.
    if (holder === undefined || !isAlive(holder)) {
      if (existsSync(lockPath)) await breakStaleLock(lockPath, holder);
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
    await unlink(lockPath).catch(() => undefined);
  }
}

/**
 * The lock file appears complete or not at all: the pid is written to a private temp file
 * first, then hard-linked to the lock's name, which fails if the name exists (atomic, as
 * O_EXCL). A crash or a full disk can leave a temp file, never an empty lock.
 */
async function tryAcquire(lockPath: string): Promise<boolean> {
  const temp = `${lockPath}.new-${process.pid}-${nodeCrypto().randomBytes(6).toString('hex')}`;
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(`${process.pid}\n${hostname()}\n`);
    } finally {
      await handle.close();
    }
    await link(temp, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fromFsError(error, 'creating the lock', lockPath);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function readHolder(lockPath: string): Promise<number | undefined> {
  try {
    const text = await readFile(lockPath, 'utf8');
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
async function breakStaleLock(lockPath: string, pid: number | undefined): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return;
  }
  const holder = await readHolder(aside);
  if (holder !== pid && holder !== undefined && isAlive(holder)) {
    // We moved a live process's fresh lock; give it back if the name is still free (link never replaces).
    await link(aside, lockPath).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    return;
  }
  await unlink(aside).catch(() => undefined);
}
