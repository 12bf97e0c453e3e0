import { z } from 'zod';

/**
 * A value's shape, said once, for what ggen checks often (config values, backend answers, the lockfile): its
 * zod schema is made from it (zodShape), and so is a plain check that passes, without loading
 * zod, the values it is sure the schema accepts (plainlyAccepts). Only the kinds ggen uses.
 * `optional` lets a field (or a config key) be undefined. A string's `check` names what is wrong
 * with it (zod reports that as a custom issue), or gives undefined.
 */
export type Shape = (
  | { kind: 'string'; nonEmpty?: true; check?: (value: string) => string | undefined }
  | { kind: 'literal'; value: string | number }
  | { kind: 'number'; integer?: true; min?: number; max?: number }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly [string, ...string[]] }
  | { kind: 'array'; of: Shape }
  /** `strict`: no other key (zod's .strict(); left to zod); else other keys are let through, as z.object does. */
  | { kind: 'object'; fields: Readonly<Record<string, Shape>>; strict?: true }
  | { kind: 'nullable'; of: Shape }
  /** Keys among `keys`, each value of `of` (z.partialRecord); left to zod. */
  | { kind: 'partialRecord'; keys: readonly [string, ...string[]]; of: Shape }
  /** String keys (each of shape `key`) to values of shape `of`; both plain strings unless said. */
  | { kind: 'record'; key?: Shape; of?: Shape }
  /** An http(s) URL as z.url() reads one (no file:, javascript: or other schemes); left to zod. */
  | { kind: 'url' }
) & { optional?: true };

/** The shape's zod schema. Call it with zod set up (configuredZod, lazySchema). */
export function zodShape(shape: Shape): z.ZodType {
  const schema = requiredSchema(shape);
  return shape.optional === true ? schema.optional() : schema;
}

function requiredSchema(shape: Shape): z.ZodType {
  switch (shape.kind) {
    case 'string': {
      const text = shape.nonEmpty === true ? z.string().min(1) : z.string();
      const { check } = shape;
      if (check === undefined) return text;
      return text.superRefine((value, context) => {
        const problem = check(value);
        if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
      });
    }
    case 'literal':
      return z.literal(shape.value);
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
      return z.record(zodShape(shape.key ?? TEXT) as z.ZodType<string>, zodShape(shape.of ?? TEXT));
    case 'url':
      return z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
  }
}

const TEXT: Shape = { kind: 'string' };

/**
 * Whether the shape surely accepts the value, decided without zod. It accepts nothing the zod
 * schema refuses (the tests of the config keys, the answers and the lockfile hold it to that);
 * false means "ask zod", which may still accept it (a URL, an object of another class).
 * `unchanged`: and zod's parse would give back the value as it is, not a copy without the keys
 * an object's shape does not name (what a reader that keeps the parsed value needs).
 */
export function plainlyAccepts(shape: Shape, value: unknown, { unchanged = false }: { unchanged?: boolean } = {}): boolean {
  const accepts = (inner: Shape, item: unknown): boolean => plainlyAccepts(inner, item, { unchanged });
  if (value === undefined && shape.optional === true) return true;
  switch (shape.kind) {
    case 'string':
      return typeof value === 'string' && (shape.nonEmpty !== true || value.length > 0) && shape.check?.(value) === undefined;
    case 'literal':
      return value === shape.value;
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
      for (const item of value as unknown[]) if (!accepts(shape.of, item)) return false;
      return true;
    case 'object':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
      if (shape.strict === true) return false;
      if (unchanged && Object.keys(value).some((key) => !Object.hasOwn(shape.fields, key))) return false;
      for (const [key, field] of Object.entries(shape.fields)) if (!accepts(field, (value as Record<string, unknown>)[key])) return false;
      return true;
    case 'record': {
      if (!isPlainRecord(value)) return false;
      const keyShape = shape.key ?? TEXT;
      const valueShape = shape.of ?? TEXT;
      for (const [key, item] of Object.entries(value)) if (!accepts(keyShape, key) || !accepts(valueShape, item)) return false;
      return true;
    }
    case 'nullable':
      return value === null || accepts(shape.of, value);
    case 'partialRecord':
    case 'url':
      return false;
  }
}

/**
 * An object zod's record reads as this check does: a plain object (JSON's kind) whose own keys
 * are all enumerable strings. `__proto__` as an own key (JSON.parse makes one) is left to zod,
 * which cannot copy it as it is.
 */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return false;
  const keys = Reflect.ownKeys(value);
  return keys.length === Object.keys(value).length && !keys.includes('__proto__');
}
