import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { MarketplaceError, plainlyAccepts, type Shape } from '@ggen/marketplace-core';
import { INSTALL_RESULT, PACKAGE_DETAILS, SEARCH_RESULTS, shapeCheck, type Answer } from '../src/model-checks.js';

// The answers' zod schemas as they were written by hand before the shapes were declared once:
// the schema made from each declaration must judge every value here as they did.
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
const written = {
  search: z.object({ packages: z.array(summary()), total: z.number().int().min(0), queryTimeMs: z.number(), backend: z.enum(['v1', 'v2']) }),
  details: summary()
    .extend({
      versions: z.array(z.object({ version: z.string().min(1), dependencies: z.record(z.string(), z.string()), yanked: z.boolean() })),
      dependencies: z.record(z.string(), z.string()),
    })
    .nullable(),
  install: (() => {
    const planned = z.object({ name: z.string().min(1), version: z.string().min(1), action: z.enum(['install', 'replace', 'unchanged']), backend: z.enum(['v1', 'v2']) });
    return z.object({ installed: z.array(planned), unchanged: z.array(planned), dryRun: z.boolean() });
  })(),
};

const pack = { name: 'hello', version: '1.0.0', description: '', tags: ['a'], keywords: [], downloads: 0, stars: 3.5, extra: 'kept' };
const plannedPack = { name: 'hello', version: '1.0.0', action: 'install', backend: 'v2', integrity: 'sha512-x', dependencies: {} };
const good = {
  search: { packages: [pack, { ...pack, name: 'other', score: 2 }], total: 2, queryTimeMs: 0.25, backend: 'v2' },
  details: { ...pack, versions: [{ version: '1.0.0', dependencies: { a: '^1' }, yanked: false }], dependencies: { a: '^1' } },
  install: { installed: [plannedPack], unchanged: [{ ...plannedPack, name: 'dep', action: 'unchanged', backend: 'v1' }], dryRun: false, cycles: [] },
};
const answers: Record<keyof typeof good, Answer> = { search: SEARCH_RESULTS, details: PACKAGE_DETAILS, install: INSTALL_RESULT };

/** Wrong values for a field of this shape: every way a backend could get it wrong. */
function wrongFor(shape: Shape): unknown[] {
  switch (shape.kind) {
    case 'string':
      return [1, null, undefined, ['a'], ...(shape.nonEmpty === true ? [''] : [])];
    case 'number':
      return [
        '1',
        null,
        undefined,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        ...(shape.min === undefined ? [] : [shape.min - 0.5]),
        ...(shape.integer === true ? [1.5, 2 ** 60] : []),
      ];
    case 'boolean':
      return ['true', 0, null, undefined];
    case 'literal':
      return [undefined, null, String(shape.value), typeof shape.value === 'number' ? shape.value + 1 : `${shape.value} `];
    case 'enum':
      return ['v3', undefined, 1, `${shape.values[0]} `];
    case 'array':
      // new Array(1): a hole where an element should be.
      return ['x', null, undefined, { 0: 'a', length: 1 }, [undefined], new Array(1), ...wrongFor(shape.of).map((item) => [item])];
    case 'object':
      return [null, [], 'x', undefined];
    case 'nullable':
      return [undefined, 'x'];
    case 'record':
      // Not JSON's objects: a Map, a symbol key, and the own __proto__ key JSON.parse makes.
      return [null, 'x', { a: 1 }, undefined, new Map([['a', 'b']]), { a: 'b', [Symbol('s')]: 'c' }, JSON.parse('{"__proto__":"x"}')];
    case 'partialRecord':
    case 'url':
      return [null, 1, undefined];
  }
}

/** The answer broken at every field, one field at a time, every way wrongFor knows (array elements at their first item). */
function broken(shape: Shape, value: unknown): unknown[] {
  const bad = wrongFor(shape);
  const inner = shape.kind === 'nullable' ? shape.of : shape;
  if (inner.kind === 'object') {
    for (const [key, field] of Object.entries(inner.fields)) {
      for (const wrong of broken(field, (value as Record<string, unknown>)[key])) bad.push({ ...(value as object), [key]: wrong });
    }
  }
  if (inner.kind === 'array' && Array.isArray(value) && value.length > 0) {
    for (const wrong of broken(inner.of, value[0])) bad.push([wrong, ...value.slice(1)]);
  }
  return bad;
}

describe('the answer shapes, each said once', () => {
  for (const name of Object.keys(good) as (keyof typeof good)[]) {
    describe(`the ${name} answer`, () => {
      it('passes a well-formed answer without zod', () => {
        expect(plainlyAccepts(answers[name].shape, good[name])).toBe(true);
        expect(answers[name].schema().safeParse(good[name]).success).toBe(true);
      });

      it('judges every broken answer as the hand-written schema did, and the plain check passes none of them', () => {
        const bad = broken(answers[name].shape, good[name]);
        expect(bad.length).toBeGreaterThan(40);
        for (const value of bad) {
          const made = answers[name].schema().safeParse(value);
          const before = written[name].safeParse(value);
          expect({ value, made: made.success, issue: made.error?.issues[0] }).toEqual({ value, made: before.success, issue: before.error?.issues[0] });
          expect({ value, plain: plainlyAccepts(answers[name].shape, value) && !before.success }).toEqual({ value, plain: false });
        }
        // Most of them are refused: the breakings reach the fields, not only the top.
        expect(bad.filter((value) => !written[name].safeParse(value).success).length).toBeGreaterThan(bad.length * 0.8);
      });
    });
  }

  it('leaves the error to zod: a broken answer still names its bad field', () => {
    const check = shapeCheck(SEARCH_RESULTS, 'search "x"');
    expect(() => {
      check(good.search);
    }).not.toThrow();
    let thrown: unknown;
    try {
      check({ ...good.search, packages: [pack, { ...pack, downloads: -1 }] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MarketplaceError);
    expect((thrown as MarketplaceError).code).toBe('GGEN_E_BACKEND_MALFORMED');
    expect((thrown as MarketplaceError).message).toBe('The v2 answer to search "x" is malformed: packages.1.downloads Too small: expected number to be >=0');
    expect(() => {
      shapeCheck(INSTALL_RESULT, 'install hello')({ ...good.install, dryRun: 'no' });
    }).toThrow('The backend answer to install hello is malformed: dryRun Invalid input: expected boolean, received string');
  });
});
