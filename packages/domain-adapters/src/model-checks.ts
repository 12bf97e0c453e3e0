import { lazySchema, MarketplaceError, type BackendType } from '@ggen/marketplace-core';
import { z } from 'zod';

// The unified models' shapes at the adapter boundary: a backend that answers something else
// (a corrupt store, a half-read catalog) fails here, and fallback treats it like an error.
// Each shape is said once, below; from it come a plain check, which passes a well-formed
// answer without loading zod (~4 ms of a search or an install), and the zod schema, built
// only for an answer the plain check is not sure of, which accepts it or names the bad field.

/** An answer's shape: the few kinds the models use. */
export type AnswerShape =
  | { kind: 'string'; nonEmpty?: true }
  | { kind: 'number'; integer?: true; min?: number }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly [string, ...string[]] }
  | { kind: 'array'; of: AnswerShape }
  | { kind: 'object'; fields: Record<string, AnswerShape> }
  | { kind: 'nullable'; of: AnswerShape }
  /** string keys to strings; left to zod (the plain check is never sure of one). */
  | { kind: 'record' };

const text: AnswerShape = { kind: 'string' };
const nonEmpty: AnswerShape = { kind: 'string', nonEmpty: true };
const texts: AnswerShape = { kind: 'array', of: text };
const count: AnswerShape = { kind: 'number', min: 0 };
const backendType: AnswerShape = { kind: 'enum', values: ['v1', 'v2'] };

const summaryFields: Record<string, AnswerShape> = {
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
  shape: AnswerShape;
  schema: () => z.ZodType;
}

const answer = (shape: AnswerShape): Answer => ({ shape, schema: lazySchema(() => zodShape(shape)) });

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

const planned: AnswerShape = {
  kind: 'object',
  fields: { name: nonEmpty, version: nonEmpty, action: { kind: 'enum', values: ['install', 'replace', 'unchanged'] }, backend: backendType },
};

export const INSTALL_RESULT = answer({
  kind: 'object',
  fields: { installed: { kind: 'array', of: planned }, unchanged: { kind: 'array', of: planned }, dryRun: { kind: 'boolean' } },
});

/** The zod schema of a shape (objects keep unknown fields out of the check, as z.object does). */
export function zodShape(shape: AnswerShape): z.ZodType {
  switch (shape.kind) {
    case 'string':
      return shape.nonEmpty === true ? z.string().min(1) : z.string();
    case 'number': {
      const number = shape.integer === true ? z.number().int() : z.number();
      return shape.min === undefined ? number : number.min(shape.min);
    }
    case 'boolean':
      return z.boolean();
    case 'enum':
      return z.enum(shape.values);
    case 'array':
      return z.array(zodShape(shape.of));
    case 'object':
      return z.object(Object.fromEntries(Object.entries(shape.fields).map(([key, field]) => [key, zodShape(field)])));
    case 'nullable':
      return zodShape(shape.of).nullable();
    case 'record':
      return z.record(z.string(), z.string());
  }
}

/**
 * Whether the shape surely accepts the value, decided without zod. It accepts nothing the
 * zod schema refuses (test/model-checks.test.ts breaks every field every way); false means
 * "ask zod", which may still accept it (a record, say).
 */
export function plainlyAccepts(shape: AnswerShape, value: unknown): boolean {
  switch (shape.kind) {
    case 'string':
      return typeof value === 'string' && (shape.nonEmpty !== true || value.length > 0);
    case 'number':
      return (shape.integer === true ? Number.isSafeInteger(value) : Number.isFinite(value)) && (shape.min === undefined || (value as number) >= shape.min);
    case 'boolean':
      return typeof value === 'boolean';
    case 'enum':
      return typeof value === 'string' && shape.values.includes(value);
    case 'array':
      if (!Array.isArray(value)) return false;
      // for-of reads a hole as undefined, which no element shape passes (as zod refuses it).
      for (const item of value as unknown[]) if (!plainlyAccepts(shape.of, item)) return false;
      return true;
    case 'object':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
      for (const [key, field] of Object.entries(shape.fields)) if (!plainlyAccepts(field, (value as Record<string, unknown>)[key])) return false;
      return true;
    case 'nullable':
      return value === null || plainlyAccepts(shape.of, value);
    case 'record':
      return false;
  }
}

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
