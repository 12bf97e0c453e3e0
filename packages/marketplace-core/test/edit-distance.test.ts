import { describe, expect, it } from '@jest/globals';
import { editDistanceWithin, nearestWord } from '@ggen/marketplace-core';

/** The whole table, no band, no early stop: optimal string alignment (Levenshtein with adjacent swaps when asked). */
function reference(a: string, b: string, transpositions: boolean): number {
  const table = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1)
    for (let j = 1; j <= b.length; j += 1) {
      const row = table[i] ?? [];
      const above = table[i - 1] ?? [];
      let value = Math.min(
        (above[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (above[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (transpositions && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, (table[i - 2]?.[j - 2] ?? 0) + 1);
      row[j] = value;
    }
  return table[a.length]?.[b.length] ?? 0;
}

describe('editDistanceWithin', () => {
  it('agrees with the whole table on 20,000 pairs of every length, bound and kind', () => {
    // A fixed generator: the same pairs every run. Few letters, so that near strings are common.
    let seed = 7;
    const random = (below: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % below;
    };
    const word = (): string => Array.from({ length: random(14) }, () => 'abcd-'[random(5)]).join('');
    const near = (text: string): string => {
      const letters = Array.from({ length: text.length }, (_, index) => text.charAt(index));
      for (let edits = random(4); edits > 0; edits -= 1) {
        const at = random(letters.length + 1);
        const kind = random(4);
        if (kind === 0) letters.splice(at, 0, 'abcd-'[random(5)] ?? 'a');
        else if (kind === 1) letters.splice(at, 1);
        else if (kind === 2) letters[at] = 'abcd-'[random(5)] ?? 'a';
        else if (at + 1 < letters.length) [letters[at], letters[at + 1]] = [letters[at + 1] ?? '', letters[at] ?? ''];
      }
      return letters.join('');
    };
    const seen = new Map<string, number>();
    for (let pair = 0; pair < 20_000; pair += 1) {
      const a = word();
      const b = pair % 2 === 0 ? near(a) : word();
      const max = random(4);
      const transpositions = random(2) === 1;
      const exact = reference(a, b, transpositions);
      const expected = exact <= max ? exact : undefined;
      const kind = expected === undefined ? 'over' : String(expected);
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
      expect({ a, b, max, transpositions, distance: editDistanceWithin(a, b, max, transpositions) }).toEqual({
        a,
        b,
        max,
        transpositions,
        distance: expected,
      });
    }
    // Every outcome was met many times: distances 0 to 3 and over the bound.
    expect([...seen.keys()].sort()).toEqual(['0', '1', '2', '3', 'over']);
    expect(Math.min(...seen.values())).toBeGreaterThan(200);
  });

  it('counts a swapped pair as one edit only when asked, and finds the nearest known word', () => {
    expect(editDistanceWithin('wbepack', 'webpack', 1, true)).toBe(1);
    expect(editDistanceWithin('wbepack', 'webpack', 1)).toBeUndefined();
    expect(editDistanceWithin('wbepack', 'webpack', 2)).toBe(2);
    expect(nearestWord('instal', ['install', 'info', 'search'])).toBe('install');
  });
});
