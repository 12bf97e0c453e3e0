import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { fromFsError, MarketplaceError } from '../errors.js';

const lockedPackageSchema = z.object({
  version: z.string(),
  resolved: z.string(),
  integrity: z.string(),
  checksum: z.string().optional(),
  dependencies: z.record(z.string(), z.string()),
  backend: z.enum(['v1', 'v2']),
  signature: z.object({ keyId: z.string() }).optional(),
  /** sha256 of the installed files; `list` compares it with the disk to find drift. */
  contentHash: z.string(),
});

const lockfileSchema = z.object({
  lockfileVersion: z.literal(1),
  requested: z.record(z.string(), z.string()),
  packages: z.record(z.string(), lockedPackageSchema),
});

export type LockedPackage = z.infer<typeof lockedPackageSchema>;
export type Lockfile = z.infer<typeof lockfileSchema>;

export function emptyLockfile(): Lockfile {
  return { lockfileVersion: 1, requested: {}, packages: {} };
}

export async function readLockfile(path: string): Promise<Lockfile | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
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
  const parsed = lockfileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(path, `field '${issue?.path.join('.') ?? ''}' ${issue?.message ?? 'is invalid'}`);
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
