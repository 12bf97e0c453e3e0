import { lazySchema, MarketplaceError, type BackendType } from '@ggen/marketplace-core';
import { z } from 'zod';

// The unified models' shapes at the adapter boundary: a backend that answers something else
// (a corrupt store, a half-read catalog) fails here, and fallback treats it like an error.
// Each is built when its first answer is checked: a search builds the search shape only.
const summary = () =>
  z.object({
    name: z.string().min(1),
    version: z.string().min(1),
    description: z.string(),
    tags: z.array(z.string()),
    keywords: z.array(z.string()),
    downloads: z.number().min(0),
    stars: z.number().min(0),
  });

export const searchResultsShape = lazySchema(() =>
  z.object({
    packages: z.array(summary()),
    total: z.number().int().min(0),
    queryTimeMs: z.number(),
    backend: z.enum(['v1', 'v2']),
  }),
);

export const packageDetailsShape = lazySchema(() =>
  summary()
    .extend({
      versions: z.array(z.object({ version: z.string().min(1), dependencies: z.record(z.string(), z.string()), yanked: z.boolean() })),
      dependencies: z.record(z.string(), z.string()),
    })
    .nullable(),
);

export const installResultShape = lazySchema(() => {
  const planned = z.object({ name: z.string().min(1), version: z.string().min(1), action: z.enum(['install', 'replace', 'unchanged']), backend: z.enum(['v1', 'v2']) });
  return z.object({ installed: z.array(planned), unchanged: z.array(planned), dryRun: z.boolean() });
});

/**
 * What searchResultsShape accepts, decided without zod: every search's answer is checked, and
 * loading zod and building the shape cost a search ~4 ms. It accepts nothing the shape refuses
 * (test/model-checks.test.ts); whatever it does not accept goes to zod, which accepts it or
 * names the bad field.
 */
export function plainSearchResults(value: unknown): boolean {
  if (!isRecord(value) || !Array.isArray(value.packages) || (value.backend !== 'v1' && value.backend !== 'v2')) return false;
  if (!Number.isSafeInteger(value.total) || (value.total as number) < 0 || !Number.isFinite(value.queryTimeMs)) return false;
  // for-of reads a hole as undefined, which no check passes (as zod refuses it).
  for (const summary of value.packages as unknown[]) if (!plainSummary(summary)) return false;
  return true;
}

function plainSummary(value: unknown): boolean {
  return (
    isRecord(value) &&
    nonEmptyString(value.name) &&
    nonEmptyString(value.version) &&
    typeof value.description === 'string' &&
    strings(value.tags) &&
    strings(value.keywords) &&
    Number.isFinite(value.downloads) &&
    (value.downloads as number) >= 0 &&
    Number.isFinite(value.stars) &&
    (value.stars as number) >= 0
  );
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const nonEmptyString = (value: unknown): boolean => typeof value === 'string' && value.length > 0;

function strings(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const item of value as unknown[]) if (typeof item !== 'string') return false;
  return true;
}

/**
 * A check for RoutedOperation.check: throws GGEN_E_BACKEND_MALFORMED naming the first bad field.
 * `accepts`, where given, passes what it is sure the shape accepts without building the shape.
 */
export function shapeCheck(shape: () => z.ZodType, what: string, accepts?: (value: unknown) => boolean): (value: unknown) => void {
  return (value) => {
    if (accepts?.(value) === true) return;
    const result = shape().safeParse(value);
    if (result.success) return;
    const issue = result.error.issues[0];
    const backend = (value as { backend?: BackendType } | null)?.backend;
    throw new MarketplaceError(
      'GGEN_E_BACKEND_MALFORMED',
      `The ${backend ?? 'backend'} answer to ${what} is malformed: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
      {
        hint: 'The registry data or the local store is damaged; run with --backend v1, or re-sync the v2 registry.',
        details: { field: issue?.path.join('.') },
      },
    );
  };
}
