// What every installer operation shares: where it works, its lock, its policy.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fromFsError } from '../errors.js';
import type { InstallPolicy } from '../models.js';
import { withFileLock } from './file-lock.js';
import type { InstallEvents } from './install-events.js';
import { LOCK_FILE, recoverTransaction } from './install-transaction.js';
import { type Lockfile } from './lockfile.js';
import type { PackageSource } from './package-source.js';

export interface Context {
  source: PackageSource;
  packagesDir: string;
  lockfilePath: string;
  events: InstallEvents | undefined;
}

export async function withInstallLock<T>(context: Context, task: () => T | Promise<T>): Promise<T> {
  try {
    mkdirSync(context.packagesDir, { recursive: true });
    mkdirSync(dirname(context.lockfilePath), { recursive: true });
  } catch (error) {
    throw fromFsError(error, 'creating', context.packagesDir);
  }
  return withFileLock(
    join(context.packagesDir, LOCK_FILE),
    async () => {
      const recovered = recoverTransaction(context.packagesDir);
      if (recovered !== undefined) context.events?.({ type: 'recovered', action: recovered });
      return task();
    },
    { onWait: ({ pid }) => context.events?.({ type: 'lock-wait', pid }) },
  );
}

/** Verification and rollback protection: one rule for install, frozen install and update. */
export function policyOf(request: InstallPolicy): Required<Omit<InstallPolicy, 'signal' | 'crossRegistry'>> & Pick<InstallPolicy, 'signal'> {
  return {
    verifySignatures: request.verifySignatures ?? false,
    allowDowngrade: request.allowDowngrade ?? false,
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  };
}

export function lockedVersions(lockfile: Lockfile, except: Set<string>): Record<string, string> {
  const preferred: Record<string, string> = {};
  for (const [name, locked] of Object.entries(lockfile.packages)) if (!except.has(name)) preferred[name] = locked.version;
  return preferred;
}
