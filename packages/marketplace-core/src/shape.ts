import { z } from 'zod';

/**
 * A value's shape, said once, for what ggen checks often (config values, backend answers): its
 * zod schema is made from it (zodShape), and so is a plain check that passes, without loading
 * zod, the values it is sure the schema accepts (plainlyAccepts). Only the kinds ggen uses.
 * `optional` lets a field (or a config key) be undefined.
 */
export type Shape = (
  | { kind: 'string'; nonEmpty?: true }
  | { kind: 'number'; integer?: true; min?: number; max?: number }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly [string, ...string[]] }
  | { kind: 'array'; of: Shape }
  /** `strict`: no other key (zod's .strict(); left to zod); else other keys are let through, as z.object does. */
  | { kind: 'object'; fields: Readonly<Record<string, Shape>>; strict?: true }
  | { kind: 'nullable'; of: Shape }
  /** Keys among `keys`, each value of `of` (z.partialRecord); left to zod. */
  | { kind: 'partialRecord'; keys: readonly [string, ...string[]]; of: Shape }
  /** String keys to strings; left to zod. */
  | { kind: 'record' }
  /** A URL as z.url() reads one; left to zod. */
  | { kind: 'url' }
) & { optional?: true };

/** The shape's zod schema. Call it with zod set up (configuredZod, lazySchema). */
export function zodShape(shape: Shape): z.ZodType {
  const schema = requiredSchema(shape);
  return shape.optional === true ? schema.optional() : schema;
}

function requiredSchema(shape: Shape): z.ZodType {
  switch (shape.kind) {
    case 'string':
      return shape.nonEmpty === true ? z.string().min(1) : z.string();
    case 'number': {
      let number = shape.integer === true ? z.number().int() : z.number();
      if (shape.min !== undefined) number = number.min(shape.min);
      if (shape.max !== undefined) number = number.max(shape.max);
      return number;
    }
    case 'boolean':
      return z.boolean();
    case 'enum':
      return z.enum(shape.values);
    case 'array':
      return z.array(zodShape(shape.of));
    case 'object': {
      const object = z.object(Object.fromEntries(Object.entries(shape.fields).map(([key, field]) => [key, zodShape(field)])));
      return shape.strict === true ? object.strict() : object;
    }
    case 'nullable':
      return zodShape(shape.of).nullable();
    case 'partialRecord':
      return z.partialRecord(z.enum(shape.keys), zodShape(shape.of));
    case 'record':
      return z.record(z.string(), z.string());
    case 'url':
      return z.url();
  }
}

/**
 * Whether the shape surely accepts the value, decided without zod. It accepts nothing the zod
 * schema refuses (the tests of the config keys and of the answers hold it to that); false means
 * "ask zod", which may still accept it (a URL, a record).
 */
export function plainlyAccepts(shape: Shape, value: unknown): boolean {
  if (value === undefined && shape.optional === true) return true;
  switch (shape.kind) {
    case 'string':
      return typeof value === 'string' && (shape.nonEmpty !== true || value.length > 0);
    case 'number':
      return (
        (shape.integer === true ? Number.isSafeInteger(value) : Number.isFinite(value)) &&
        (shape.min === undefined || (value as number) >= shape.min) &&
        (shape.max === undefined || (value as number) <= shape.max)
      );
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
      if (shape.strict === true) return false;
      for (const [key, field] of Object.entries(shape.fields)) if (!plainlyAccepts(field, (value as Record<string, unknown>)[key])) return false;
      return true;
    case 'nullable':
      return value === null || plainlyAccepts(shape.of, value);
    case 'partialRecord':
    case 'record':
    case 'url':
      return false;
  }
}
