import { dirname, join, relative, resolve, sep } from 'node:path';
import { readRegularFileSync } from '../read-regular-file.js';

/** The most a lockfile may hold: far above any real one (thousands of packs). */
const LOCKFILE_LIMIT = 64 * 1024 * 1024;
import { fromFsError, MarketplaceError } from '../errors.js';
import * as z from 'zod';
import { isExactVersion, isVersionRange, packageNameProblem, safeText } from '../names.js';

/** A string that `problem` finds nothing wrong with; what it names is the issue zod reports. */
const checked = (problem: (value: string) => string | undefined) =>
  z.string().superRefine((value, context) => {
    const found = problem(value);
    if (found !== undefined) context.addIssue({ code: 'custom', message: found });
  });

/** Keys of a lockfile are package names by the one name rule: a lockfile that names a path is refused whole. */
const packageName = checked(packageNameProblem);
const versionRange = checked((value) => (isVersionRange(value) ? undefined : 'is not a version range'));

const LOCKED_PACKAGE = z.object({
  version: checked((value) => (isExactVersion(value) ? undefined : 'is not a semantic version')),
  resolved: z.string(),
  integrity: z.string(),
  checksum: z.string().optional(),
  dependencies: z.record(packageName, versionRange),
  backend: z.enum(['v1', 'v2']),
  /** Who signed it: the whole public key, and the owners' keys at the time (key lines). */
  signature: z
    .object({ keyId: z.string(), publicKey: z.string().optional(), owners: z.array(z.string()).optional() })
    .optional(),
  /** sha256 of the installed files; `list` compares it with the disk to find drift. */
  contentHash: z.string(),
});

/** The lockfile's rules, said once: its types are inferred from them. */
const LOCKFILE = z.object({
  lockfileVersion: z.literal(1),
  /** The packages directory this lockfile describes, relative to the lockfile's directory (one lockfile per packages directory). */
  packagesDir: z.string().optional(),
  /**
   * Where each registry id was when the lockfile was written: a URL, or a directory (relative to
   * the lockfile's directory when inside it). A hint for a checkout with no registry configured;
   * `--registry` and the config decide where a registry is now.
   */
  registries: z.object({ v1: z.string().optional(), v2: z.string().optional() }).strict().optional(),
  requested: z.record(packageName, versionRange),
  packages: z.record(packageName, LOCKED_PACKAGE),
});

export type LockedPackage = z.infer<typeof LOCKED_PACKAGE>;
export type Lockfile = z.infer<typeof LOCKFILE>;

export const lockfileSchema = (): typeof LOCKFILE => LOCKFILE;

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
  const parsed = LOCKFILE.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map((part) => safeText(String(part))).join('.') ?? '';
    const message =
      issue?.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : (issue?.message ?? 'is invalid');
    throw invalid(
      path,
      issue?.code === 'invalid_key' || issue?.code === 'custom'
        ? `'${field}': ${message}`
        : `field '${field}' ${message}`,
    );
  }
  return parsed.data;
}

/**
 * The lockfile of `packagesDir`: one written for another packages directory (two `--target`
 * folders side by side would share `ggen.lock`) is refused, never mixed into this one.
 */
export function readLockfileOf(paths: { lockfilePath: string; packagesDir: string }): Lockfile | null {
  const lockfile = readLockfile(paths.lockfilePath);
  const recorded = lockfile?.packagesDir;
  if (recorded === undefined) return lockfile;
  const base = dirname(paths.lockfilePath);
  if (resolve(base, recorded) === resolve(paths.packagesDir)) return lockfile;
  throw new MarketplaceError(
    'GGEN_E_LOCKFILE_CONFLICT',
    `${paths.lockfilePath} belongs to the packages directory ${join(base, recorded)}, not ${paths.packagesDir}`,
    {
      hint: `One lockfile describes one packages directory. Install into ${join(base, recorded)} (drop --target), or give ${paths.packagesDir} its own project: a directory of its own with a ggen.yaml, or marketplace.lockfile.`,
      details: { lockfile: paths.lockfilePath, packagesDir: paths.packagesDir, recorded },
    },
  );
}

/** What a lockfile records of where it was written: its packages directory, relative to it. */
export function packagesDirEntry(paths: { lockfilePath: string; packagesDir: string }): string {
  const path = relative(dirname(paths.lockfilePath), paths.packagesDir);
  return path === '' ? '.' : path.split(sep).join('/');
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
