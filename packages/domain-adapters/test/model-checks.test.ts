import { describe, expect, it } from '@jest/globals';
import { MarketplaceError } from '@ggen/marketplace-core';
import { plainSearchResults, searchResultsShape, shapeCheck } from '../src/model-checks.js';

const summary = { name: 'hello', version: '1.0.0', description: '', tags: ['a'], keywords: [], downloads: 0, stars: 3.5, extra: 'kept' };
const good = { packages: [summary, { ...summary, name: 'other', score: 2 }], total: 2, queryTimeMs: 0.25, backend: 'v2' };

/** Every field of the answer broken in each way an answer can be broken. */
function broken(): unknown[] {
  const bad: unknown[] = [null, [], 'results', { ...good, packages: 'none' }, { ...good, backend: 'v3' }, { ...good, backend: undefined }];
  for (const total of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '2', undefined, 2 ** 60]) bad.push({ ...good, total });
  for (const queryTimeMs of [Number.NaN, Number.NEGATIVE_INFINITY, '1', undefined]) bad.push({ ...good, queryTimeMs });
  const fields: Record<string, unknown[]> = {
    name: ['', 1, undefined, null],
    version: ['', 1, undefined],
    description: [undefined, 0, null],
    tags: ['a', [1], [undefined], null, { 0: 'a', length: 1 }],
    keywords: [undefined, [null]],
    downloads: [-1, Number.NaN, Number.POSITIVE_INFINITY, '5', undefined],
    stars: [-0.5, Number.NaN, null],
  };
  for (const [field, values] of Object.entries(fields)) for (const value of values) bad.push({ ...good, packages: [summary, { ...summary, [field]: value }] });
  // eslint-disable-next-line no-sparse-arrays -- a hole where a tag should be
  bad.push({ ...good, packages: [{ ...summary, tags: ['a', , 'b'] }] }, { ...good, packages: [summary, null] }, { ...good, packages: [summary, ['x']] });
  return bad;
}

describe('the plain check of a search answer', () => {
  it('accepts a well-formed answer, so that a search checks it without zod', () => {
    expect(plainSearchResults(good)).toBe(true);
    expect(plainSearchResults({ ...good, packages: [], total: 0 })).toBe(true);
    expect(searchResultsShape().safeParse(good).success).toBe(true);
  });

  it('accepts nothing the zod shape refuses, and refuses every broken answer here', () => {
    const bad = broken();
    expect(bad.length).toBeGreaterThan(40);
    for (const value of bad) {
      expect({ value, zod: searchResultsShape().safeParse(value).success }).toEqual({ value, zod: false });
      expect({ value, plain: plainSearchResults(value) }).toEqual({ value, plain: false });
    }
  });

  it('leaves the error to zod: a broken answer still names its bad field', () => {
    const check = shapeCheck(searchResultsShape, 'search "x"', plainSearchResults);
    expect(() => {
      check(good);
    }).not.toThrow();
    let thrown: unknown;
    try {
      check({ ...good, packages: [summary, { ...summary, downloads: -1 }] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MarketplaceError);
    expect((thrown as MarketplaceError).code).toBe('GGEN_E_BACKEND_MALFORMED');
    expect((thrown as MarketplaceError).message).toContain('packages.1.downloads');
  });
});
