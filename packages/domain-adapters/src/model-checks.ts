import { MarketplaceError, type BackendType } from '@ggen/marketplace-core';
import * as z from 'zod';

// The unified models' rules at the adapter boundary: a backend that answers something else
// (a corrupt store, a half-read catalog) fails here, and fallback treats it like an error.
// One zod schema per answer; fields it does not name pass through unchecked.

const backendType = z.enum(['v1', 'v2']);

const summary = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  description: z.string(),
  tags: z.array(z.string()),
  keywords: z.array(z.string()),
  downloads: z.number().min(0),
  stars: z.number().min(0),
});

export const SEARCH_RESULTS = z.object({
  packages: z.array(summary),
  total: z.number().int().min(0),
  queryTimeMs: z.number(),
  backend: backendType,
});

export const PACKAGE_DETAILS = summary
  .extend({
    versions: z.array(
      z.object({ version: z.string().min(1), dependencies: z.record(z.string(), z.string()), yanked: z.boolean() }),
    ),
    dependencies: z.record(z.string(), z.string()),
  })
  .nullable();

const planned = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  action: z.enum(['install', 'replace', 'unchanged']),
  backend: backendType,
});

export const INSTALL_RESULT = z.object({
  installed: z.array(planned),
  unchanged: z.array(planned),
  dryRun: z.boolean(),
});

/** A check for RoutedOperation.check: throws GGEN_E_BACKEND_MALFORMED naming the first bad field. */
export function shapeCheck(expected: z.ZodType, what: string): (value: unknown) => void {
  return (value) => {
    const result = expected.safeParse(value);
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
