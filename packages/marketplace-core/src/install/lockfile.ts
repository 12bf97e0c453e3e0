import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fromFsError, MarketplaceError } from '../errors.js';
import { lazySchema } from '../config/config-schema.js';
import { isExactVersion, isVersionRange, packageNameProblem, safeText } from '../names.js';

/** Keys of a lockfile are package names by the one name rule: a lockfile that names a path is refused whole. */
const packageName = () =>
  z.string().superRefine((name, ctx) => {
    const problem = packageNameProblem(name);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
const versionRange = () => z.string().refine(isVersionRange, 'is not a version range');

const lockedPackageSchema = () =>
  z.object({
    version: z.string().refine(isExactVersion, 'is not a semantic version'),
    resolved: z.string(),
    integrity: z.string(),
    checksum: z.string().optional(),
    dependencies: z.record(packageName(), versionRange()),
    backend: z.enum(['v1', 'v2']),
    signature: z.object({ keyId: z.string(), owners: z.array(z.string()).optional() }).optional(),
    /** sha256 of the installed files; `list` compares it with the disk to find drift. */
    contentHash: z.string(),
  });

const lockfileSchema = () =>
  z.object({
    lockfileVersion: z.literal(1),
    requested: z.record(packageName(), versionRange()),
    packages: z.record(packageName(), lockedPackageSchema()),
  });

/** Built when a lockfile is first read: a command that reads none (search, info) builds no schema. */
const builtLockfileSchema = lazySchema(lockfileSchema);

export type LockedPackage = z.infer<ReturnType<typeof lockedPackageSchema>>;
export type Lockfile = z.infer<ReturnType<typeof lockfileSchema>>;

export function emptyLockfile(): Lockfile {
  return { lockfileVersion: 1, requested: {}, packages: {} };
}

/** The lockfile at `path`, checked, or null when there is none. Read synchronously, as the install's other files are (install-transaction.ts). */
export function readLockfile(path: string): Lockfile | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fromFsError(error, 'reading', path);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw invalid(path, 'it is not valid JSON', cause);
  }
  const parsed = builtLockfileSchema().safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map((part) => safeText(String(part))).join('.') ?? '';
    const message = issue?.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : (issue?.message ?? 'is invalid');
    throw invalid(path, issue?.code === 'invalid_key' || issue?.code === 'custom' ? `'${field}': ${message}` : `field '${field}' ${message}`);
  }
  return parsed.data;
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
