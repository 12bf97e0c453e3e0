import { describe, expect, it } from '@jest/globals';
import { MarketplaceError } from '@ggen/marketplace-core';
import { INSTALL_RESULT, PACKAGE_DETAILS, SEARCH_RESULTS, shapeCheck } from '../src/model-checks.js';

// The answers' rules at the adapter boundary: well-formed answers pass, and an answer broken at
// any field is refused with that field named.
const pack = {
  name: 'hello',
  version: '1.0.0',
  description: '',
  tags: ['a'],
  keywords: [],
  downloads: 0,
  stars: 3.5,
  extra: 'kept',
};
const plannedPack = {
  name: 'hello',
  version: '1.0.0',
  action: 'install',
  backend: 'v2',
  integrity: 'sha512-x',
  dependencies: {},
};
const good = {
  search: { packages: [pack, { ...pack, name: 'other', score: 2 }], total: 2, queryTimeMs: 0.25, backend: 'v2' },
  details: {
    ...pack,
    versions: [{ version: '1.0.0', dependencies: { a: '^1' }, yanked: false }],
    dependencies: { a: '^1' },
  },
  install: {
    installed: [plannedPack],
    unchanged: [{ ...plannedPack, name: 'dep', action: 'unchanged', backend: 'v1' }],
    dryRun: false,
    cycles: [],
  },
};
const answers = { search: SEARCH_RESULTS, details: PACKAGE_DETAILS, install: INSTALL_RESULT };

/** The good answer broken at one field, one way each (array elements at their first item). */
function broken(value: unknown, path: string[] = []): { value: unknown; field: string }[] {
  const wrongs: unknown[] = [null, undefined, 'x', -1, 1.5, [], {}, ['a'], true];
  const out: { value: unknown; field: string }[] = [];
  const set = (root: unknown, at: string[], to: unknown): unknown => {
    if (at.length === 0) return to;
    const [head = '', ...rest] = at;
    if (Array.isArray(root))
      return (root as unknown[]).map((item, index) => (String(index) === head ? set(item, rest, to) : item));
    return { ...(root as object), [head]: set((root as Record<string, unknown>)[head], rest, to) };
  };
  const walk = (node: unknown, at: string[]): void => {
    if (at.length > 0) for (const wrong of wrongs) out.push({ value: set(value, at, wrong), field: at.join('.') });
    if (Array.isArray(node) && node.length > 0) walk(node[0], [...at, '0']);
    else if (typeof node === 'object' && node !== null && !Array.isArray(node))
      for (const [key, item] of Object.entries(node)) walk(item, [...at, key]);
  };
  walk(value, path);
  return out;
}

describe('the answer rules, each said once', () => {
  for (const name of Object.keys(good) as (keyof typeof good)[]) {
    it(`the ${name} answer: passes well-formed, refuses a break at a checked field and names it`, () => {
      expect(answers[name].safeParse(good[name]).success).toBe(true);
      const bad = broken(good[name]);
      expect(bad.length).toBeGreaterThan(40);
      let refused = 0;
      for (const { value, field } of bad) {
        const result = answers[name].safeParse(value);
        if (result.success) continue;
        refused += 1;
        // The issue is at the broken field: the field itself, where it sits, or inside what replaced it.
        const at = result.error.issues[0]?.path.join('.') ?? '?';
        expect({ field, at: field.startsWith(at) || at.startsWith(field) }).toEqual({ field, at: true });
      }
      expect(refused).toBeGreaterThan(bad.length * 0.5);
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
    expect((thrown as MarketplaceError).message).toBe(
      'The v2 answer to search "x" is malformed: packages.1.downloads Too small: expected number to be >=0',
    );
    expect(() => {
      shapeCheck(INSTALL_RESULT, 'install hello')({ ...good.install, dryRun: 'no' });
    }).toThrow(
      'The backend answer to install hello is malformed: dryRun Invalid input: expected boolean, received string',
    );
  });
});
