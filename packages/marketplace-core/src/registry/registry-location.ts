import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MarketplaceError } from '../errors.js';
import { withFileLock, type FileLockOptions } from '../install/file-lock.js';

/**
 * Where a registry lives, decided here and nowhere else: an http(s) URL (reads go through
 * fetchResource, under its limits; writes reach a registry server's API through serverRequest,
 * and a static http registry is read-only), or a directory (a path or a `file://` URL), which
 * commands write through a RegistryWriter. Every reader and writer asks this module, never a
 * pattern of its own.
 */
export type RegistryLocation = { kind: 'http'; url: string } | { kind: 'directory'; path: string };

export function registryLocation(value: string): RegistryLocation {
  if (/^https?:\/\//i.test(value)) return { kind: 'http', url: value };
  return { kind: 'directory', path: /^file:\/\//i.test(value) ? fileURLToPath(value) : value };
}

export function isHttpLocation(value: string): boolean {
  return registryLocation(value).kind === 'http';
}

/** A location written as a URL (http, https or file), which is never resolved against a directory. */
export function isLocationUrl(value: string): boolean {
  return isHttpLocation(value) || /^file:\/\//i.test(value);
}

/** The lock file that serialises every write to a directory registry (publish, lifecycle, keys, migrate). */
export const PUBLISH_LOCK_FILE = '.ggen-publish.lock';

/** A registry a command writes to: its directory, and the one lock every write holds. */
export interface RegistryWriter {
  readonly dir: string;
  /** Runs `work` with the registry's write lock held: no two writers interleave. */
  locked<T>(work: () => Promise<T>, options?: FileLockOptions): Promise<T>;
}

/**
 * The writer of the registry at `value`, for a command `doing` something to it (`publish to`,
 * `run yank on`): a directory registry; an http(s) one is refused, with the coded error.
 */
export function registryWriter(
  value: string,
  doing = 'publish to',
  /** The command makes the directory (migrate into a new registry). */
  options: { creates?: boolean } = {},
): RegistryWriter {
  const location = registryLocation(value);
  if (location.kind === 'http') throw httpPublishError(value, doing);
  const dir = location.path;
  // Said before anything is packed or signed, and the same under --dry-run: a registry directory must exist.
  if (options.creates !== true && !existsSync(dir)) {
    throw new MarketplaceError('GGEN_E_REGISTRY_NOT_FOUND', `The registry directory ${dir} does not exist`, {
      hint: `Check --registry (or marketplace.registry); a new registry starts as an empty directory: mkdir -p ${dir}`,
      details: { location: dir },
    });
  }
  return { dir, locked: (work, lockOptions) => withFileLock(join(dir, PUBLISH_LOCK_FILE), work, lockOptions) };
}

export function httpPublishError(registry: string, doing = 'publish to'): MarketplaceError {
  return new MarketplaceError(
    'GGEN_E_PUBLISH_UNSUPPORTED',
    `Cannot ${doing} ${registry}: this writes registry directories only, not http(s) URLs`,
    {
      hint: 'A ggen registry server takes publish, yank, deprecate, dist-tag and keys from the default backend (v2); otherwise write the directory the HTTP server serves (--registry <dir>).',
    },
  );
}
