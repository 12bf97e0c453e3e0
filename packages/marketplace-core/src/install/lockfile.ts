import { readRegularFileSync } from '../read-regular-file.js';

/** The most a lockfile may hold: far above any real one (thousands of packs). */
const LOCKFILE_LIMIT = 64 * 1024 * 1024;
import { fromFsError, MarketplaceError } from '../errors.js';
import { lazySchema } from '../config/config-schema.js';
import { plainlyAccepts, zodShape, type Shape } from '../shape.js';
import { isExactVersion, isVersionRange, packageNameProblem, safeText } from '../names.js';

// The lockfile's types; its rules are in LOCKFILE below, which the tests hold to the types'
// reading (zod's parse of a lockfile is what these describe).
export interface LockedPackage {
  version: string;
  resolved: string;
  integrity: string;
  checksum?: string;
  dependencies: Record<string, string>;
  backend: 'v1' | 'v2';
  signature?: { keyId: string; publicKey?: string; owners?: string[] };
  /** sha256 of the installed files; `list` compares it with the disk to find drift. */
  contentHash: string;
}

export interface Lockfile {
  lockfileVersion: 1;
  requested: Record<string, string>;
  packages: Record<string, LockedPackage>;
}

/** Keys of a lockfile are package names by the one name rule: a lockfile that names a path is refused whole. */
const packageName: Shape = { kind: 'string', check: packageNameProblem };
const versionRange: Shape = { kind: 'string', check: (value) => (isVersionRange(value) ? undefined : 'is not a version range') };
const anyText: Shape = { kind: 'string' };

/** The lockfile's shape, said once: its zod schema is made from it, and so is the check that reads a well-formed lockfile without zod. */
export const LOCKFILE: Shape = {
  kind: 'object',
  fields: {
    lockfileVersion: { kind: 'literal', value: 1 },
    requested: { kind: 'record', key: packageName, of: versionRange },
    packages: {
      kind: 'record',
      key: packageName,
      of: {
        kind: 'object',
        fields: {
          version: { kind: 'string', check: (value) => (isExactVersion(value) ? undefined : 'is not a semantic version') },
          resolved: anyText,
          integrity: anyText,
          checksum: { ...anyText, optional: true },
          dependencies: { kind: 'record', key: packageName, of: versionRange },
          backend: { kind: 'enum', values: ['v1', 'v2'] },
          signature: {
            kind: 'object',
            fields: { keyId: anyText, publicKey: { ...anyText, optional: true }, owners: { kind: 'array', of: anyText, optional: true } },
            optional: true,
          },
          contentHash: anyText,
        },
      },
    },
  },
};

/** Built when a lockfile is first read that the plain check is not sure of: a command that reads none (search, info) builds no schema. */
export const lockfileSchema = lazySchema(() => zodShape(LOCKFILE));

export function emptyLockfile(): Lockfile {
  return { lockfileVersion: 1, requested: {}, packages: {} };
}

/** The lockfile at `path`, checked, or null when there is none. Read synchronously, as the install's other files are (install-transaction.ts). */
export function readLockfile(path: string): Lockfile | null {
  let text: string;
  try {
    text = readRegularFileSync(path, LOCKFILE_LIMIT).toString('utf8');
  } catch (error) {
    if (error instanceof MarketplaceError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fromFsError(error, 'reading', path);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw invalid(path, 'it is not valid JSON', cause);
  }
  // A well-formed lockfile is read as it is, without loading zod (~40 ms of an install over one):
  // zod's parse would give back this same value. Anything else, zod judges, and names the field.
  if (plainlyAccepts(LOCKFILE, json, { unchanged: true })) return json as Lockfile;
  const parsed = lockfileSchema().safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map((part) => safeText(String(part))).join('.') ?? '';
    const message = issue?.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : (issue?.message ?? 'is invalid');
    throw invalid(path, issue?.code === 'invalid_key' || issue?.code === 'custom' ? `'${field}': ${message}` : `field '${field}' ${message}`);
  }
  return parsed.data as Lockfile;
}

function invalid(path: string, reason: string, cause?: unknown): MarketplaceError {
  return new MarketplaceError('GGEN_E_LOCKFILE_INVALID', `Lockfile ${path} is unreadable: ${reason}`, {
    hint: 'Restore it from version control, or delete it and run install again to recreate it.',
    cause,
    details: { file: path },
  });
}

/** Deterministic JSON: keys sorted at every level, two-space indent, final newline. */
export function serializeLockfile(lockfile: Lockfile): string {
  return `${JSON.stringify(sortKeys(lockfile), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
