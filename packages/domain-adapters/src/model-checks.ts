import { lazySchema, MarketplaceError, plainlyAccepts, zodShape, type BackendType, type Shape } from '@ggen/marketplace-core';
import type { z } from 'zod';

// The unified models' shapes at the adapter boundary: a backend that answers something else
// (a corrupt store, a half-read catalog) fails here, and fallback treats it like an error.
// Each shape is said once, below (a core Shape): a well-formed answer passes its plain check
// without loading zod (~4 ms of a search or an install), and the zod schema, built only for an
// answer the plain check is not sure of, accepts it or names the bad field.

const text: Shape = { kind: 'string' };
const nonEmpty: Shape = { kind: 'string', nonEmpty: true };
const texts: Shape = { kind: 'array', of: text };
const count: Shape = { kind: 'number', min: 0 };
const backendType: Shape = { kind: 'enum', values: ['v1', 'v2'] };

const summaryFields: Record<string, Shape> = {
  name: nonEmpty,
  version: nonEmpty,
  description: text,
  tags: texts,
  keywords: texts,
  downloads: count,
  stars: count,
};

/** An answer's declared shape, with its zod schema built when an answer first needs it. */
export interface Answer {
  shape: Shape;
  schema: () => z.ZodType;
}

const answer = (shape: Shape): Answer => ({ shape, schema: lazySchema(() => zodShape(shape)) });

export const SEARCH_RESULTS = answer({
  kind: 'object',
  fields: {
    packages: { kind: 'array', of: { kind: 'object', fields: summaryFields } },
    total: { kind: 'number', integer: true, min: 0 },
    queryTimeMs: { kind: 'number' },
    backend: backendType,
  },
});

export const PACKAGE_DETAILS = answer({
  kind: 'nullable',
  of: {
    kind: 'object',
    fields: {
      ...summaryFields,
      versions: { kind: 'array', of: { kind: 'object', fields: { version: nonEmpty, dependencies: { kind: 'record' }, yanked: { kind: 'boolean' } } } },
      dependencies: { kind: 'record' },
    },
  },
});

const planned: Shape = {
  kind: 'object',
  fields: { name: nonEmpty, version: nonEmpty, action: { kind: 'enum', values: ['install', 'replace', 'unchanged'] }, backend: backendType },
};

export const INSTALL_RESULT = answer({
  kind: 'object',
  fields: { installed: { kind: 'array', of: planned }, unchanged: { kind: 'array', of: planned }, dryRun: { kind: 'boolean' } },
});

/** A check for RoutedOperation.check: throws GGEN_E_BACKEND_MALFORMED naming the first bad field. */
export function shapeCheck(expected: Answer, what: string): (value: unknown) => void {
  return (value) => {
    if (plainlyAccepts(expected.shape, value)) return;
    const result = expected.schema().safeParse(value);
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
