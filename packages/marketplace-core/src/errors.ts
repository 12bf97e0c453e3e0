import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
/**
 * Stable error codes. A code never changes meaning once released; scripts match on it.
 * `exitCode` groups codes so that shells can branch without parsing text. `class` says whose
 * the failure is, decided here once for every caller (fallback, metrics, rollout verdicts):
 * - `caller`: the request or the caller's own machine (usage, not found, conflicts, an existing
 *   version, local disk and locks): never a backend failure, never worth another backend;
 * - `backend`: the registry or store failed (unreachable, timeout, damaged catalog, malformed
 *   answer): counted against that backend, and what fallback is for;
 * - `security`: a verdict on what was served (signature, integrity, unsafe archive, rollback,
 *   ownership): final, never retried on another backend, which would turn it into a downgrade.
 */
export const ERROR_CODES = {
  GGEN_E_USAGE: { exitCode: 2, class: 'caller' },
  GGEN_E_CONFIG_PARSE: { exitCode: 2, class: 'caller' },
  GGEN_E_CONFIG_INVALID: { exitCode: 2, class: 'caller' },
  GGEN_E_BACKEND_UNAVAILABLE: { exitCode: 2, class: 'caller' },
  GGEN_E_SPARQL_INVALID: { exitCode: 2, class: 'caller' },
  GGEN_E_SPARQL_UPDATE_REFUSED: { exitCode: 2, class: 'caller' },
  GGEN_E_MANIFEST_NOT_FOUND: { exitCode: 3, class: 'caller' },
  GGEN_E_MANIFEST_PARSE: { exitCode: 3, class: 'caller' },
  GGEN_E_MANIFEST_INVALID: { exitCode: 3, class: 'caller' },
  GGEN_E_PACKAGE_NOT_FOUND: { exitCode: 4, class: 'caller' },
  GGEN_E_VERSION_NOT_FOUND: { exitCode: 4, class: 'caller' },
  GGEN_E_NOT_INSTALLED: { exitCode: 4, class: 'caller' },
  GGEN_E_RESOLUTION_CONFLICT: { exitCode: 5, class: 'caller' },
  GGEN_E_RESOLUTION_TOO_COMPLEX: { exitCode: 5, class: 'caller' },
  GGEN_E_FROZEN_LOCKFILE: { exitCode: 5, class: 'caller' },
  GGEN_E_LOCKFILE_CONFLICT: { exitCode: 5, class: 'caller' },
  /** Installed files were edited since ggen wrote them; replacing them needs --force. */
  GGEN_E_LOCAL_CHANGES: { exitCode: 5, class: 'caller' },
  GGEN_E_DEPENDED_UPON: { exitCode: 5, class: 'caller' },
  GGEN_E_VERSION_EXISTS: { exitCode: 5, class: 'caller' },
  GGEN_E_NAME_TAKEN: { exitCode: 5, class: 'caller' },
  GGEN_E_INTEGRITY_MISMATCH: { exitCode: 6, class: 'security' },
  GGEN_E_INTEGRITY_MISSING: { exitCode: 6, class: 'security' },
  GGEN_E_ARCHIVE_CORRUPT: { exitCode: 6, class: 'backend' },
  GGEN_E_ARCHIVE_UNSAFE: { exitCode: 6, class: 'security' },
  GGEN_E_ARCHIVE_TOO_LARGE: { exitCode: 6, class: 'security' },
  GGEN_E_SIGNATURE_MISSING: { exitCode: 6, class: 'security' },
  GGEN_E_SIGNATURE_MALFORMED: { exitCode: 6, class: 'security' },
  GGEN_E_SIGNATURE_INVALID: { exitCode: 6, class: 'security' },
  GGEN_E_SIGNATURE_UNTRUSTED: { exitCode: 6, class: 'security' },
  GGEN_E_SIGNATURE_MISMATCH: { exitCode: 6, class: 'security' },
  GGEN_E_SIGNATURE_REVOKED: { exitCode: 6, class: 'security' },
  GGEN_E_OWNER_CHAIN_INVALID: { exitCode: 6, class: 'security' },
  GGEN_E_NOT_OWNER: { exitCode: 6, class: 'security' },
  GGEN_E_METADATA_MISMATCH: { exitCode: 6, class: 'security' },
  GGEN_E_DOWNGRADE: { exitCode: 5, class: 'security' },
  GGEN_E_KEY_INVALID: { exitCode: 2, class: 'caller' },
  GGEN_E_KEY_PASSWORD: { exitCode: 2, class: 'caller' },
  GGEN_E_KEY_EXISTS: { exitCode: 2, class: 'caller' },
  GGEN_E_INDEX_INVALID: { exitCode: 7, class: 'backend' },
  GGEN_E_LOCKFILE_INVALID: { exitCode: 7, class: 'caller' },
  GGEN_E_REGISTRY_UNREACHABLE: { exitCode: 8, class: 'backend' },
  GGEN_E_REGISTRY_TIMEOUT: { exitCode: 8, class: 'backend' },
  /** The host answered, and nothing listens on the port (connection refused). */
  GGEN_E_REGISTRY_REFUSED: { exitCode: 8, class: 'backend' },
  /** A registry directory, or a file a registry must have, is not there. */
  GGEN_E_REGISTRY_NOT_FOUND: { exitCode: 4, class: 'backend' },
  /** --offline, and what the command needs is not kept on this machine. */
  GGEN_E_OFFLINE: { exitCode: 8, class: 'caller' },
  GGEN_E_REGISTRY_HTTP: { exitCode: 8, class: 'backend' },
  GGEN_E_PUBLISH_UNSUPPORTED: { exitCode: 8, class: 'backend' },
  GGEN_E_SPARQL_TIMEOUT: { exitCode: 8, class: 'backend' },
  GGEN_E_BACKEND_TIMEOUT: { exitCode: 8, class: 'backend' },
  GGEN_E_BACKEND_MALFORMED: { exitCode: 8, class: 'backend' },
  GGEN_E_RESPONSE_TOO_LARGE: { exitCode: 8, class: 'backend' },
  GGEN_E_LOCK_TIMEOUT: { exitCode: 9, class: 'caller' },
  GGEN_E_DAEMON: { exitCode: 9, class: 'caller' },
  GGEN_E_DAEMON_RUNNING: { exitCode: 9, class: 'caller' },
  GGEN_E_DISK_FULL: { exitCode: 10, class: 'caller' },
  GGEN_E_PERMISSION_DENIED: { exitCode: 10, class: 'caller' },
  GGEN_E_IO: { exitCode: 10, class: 'caller' },
  GGEN_E_READ_ONLY: { exitCode: 10, class: 'caller' },
  GGEN_E_UNSAFE_PERMISSIONS: { exitCode: 10, class: 'security' },
  GGEN_E_FOREIGN_FILE: { exitCode: 10, class: 'security' },
  GGEN_E_AUTH_REQUIRED: { exitCode: 12, class: 'caller' },
  GGEN_E_FORBIDDEN: { exitCode: 12, class: 'caller' },
  GGEN_E_RATE_LIMITED: { exitCode: 8, class: 'backend' },
} as const satisfies Record<string, { exitCode: number; class: ErrorClass }>;

export type ErrorClass = 'caller' | 'backend' | 'security';
export type ErrorCode = keyof typeof ERROR_CODES;

/** Whose failure an error is; anything uncoded (a bug, a crash in a library) is the backend's. */
export function errorClass(error: unknown): ErrorClass {
  return error instanceof MarketplaceError ? ERROR_CODES[error.code].class : 'backend';
}

/** The class of a recorded code (metrics keep codes, not errors); an unknown code (GGEN_E_INTERNAL) is the backend's. */
export function errorClassOfCode(code: string): ErrorClass {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode].class : 'backend';
}

export interface MarketplaceErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Structured facts for `--json` output (file, line, field, chain, ...). No secrets. */
  details?: Record<string, unknown>;
}

/** The one error type users see: a stable code, a one-line message and a hint. */
/** What marks a coded error, shared by every copy of this module (the registry server runs from a bundle of its own). */
const CODED = Symbol.for('ggen.marketplace-error');

export class MarketplaceError extends Error {
  /**
   * A coded error from another copy of this module (the registry server's bundle) is one too:
   * `instanceof` looks for the mark, not for this copy's class.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CODED] === true;
  }

  readonly [CODED] = true;
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: MarketplaceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MarketplaceError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exitCode;
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export function isMarketplaceError(value: unknown): value is MarketplaceError {
  return value instanceof MarketplaceError;
}

/**
 * What really stopped a write: node's recursive mkdir reports a read-only file system as ENOENT
 * (the parent it could not make), so a missing path is checked at its nearest existing
 * ancestor, which says EROFS or EACCES when that is the cause.
 */
function writeBlocked(code: string | undefined, path: string): string | undefined {
  if (code !== 'ENOENT') return code;
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, constants.W_OK);
    return code;
  } catch (error) {
    const blocked = (error as NodeJS.ErrnoException).code;
    return blocked === 'EROFS' || blocked === 'EACCES' ? blocked : code;
  }
}

/** Maps a Node.js file-system error to a coded error; anything else is rethrown as is. */
export function fromFsError(error: unknown, action: string, path: string): MarketplaceError {
  const code = writeBlocked((error as NodeJS.ErrnoException | undefined)?.code, path);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new MarketplaceError('GGEN_E_DISK_FULL', `No space left on device while ${action} ${path}`, {
      hint: 'Free some disk space and run the command again; nothing was changed.',
      cause: error,
      details: { path },
    });
  }
  if (code === 'EROFS') {
    return new MarketplaceError('GGEN_E_READ_ONLY', `${path} is on a read-only file system (while ${action} it)`, {
      hint: 'Point ggen at a writable place: a packages directory with --target, its own state and cache with GGEN_MARKETPLACE_STATE_DIR and GGEN_MARKETPLACE_CACHE_DIR, a registry with --registry.',
      cause: error,
      details: { path },
    });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new MarketplaceError('GGEN_E_PERMISSION_DENIED', `Permission denied while ${action} ${path}`, {
      hint: `Check the permissions of ${path} (ls -ld), or point ggen at a directory you can write.`,
      cause: error,
      details: { path },
    });
  }
  return new MarketplaceError('GGEN_E_IO', `I/O error (${code ?? 'unknown'}) while ${action} ${path}`, {
    hint: 'Check the path and the disk, then run the command again.',
    cause: error,
    details: { path },
  });
}
