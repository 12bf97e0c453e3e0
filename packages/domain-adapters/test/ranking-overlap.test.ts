import { describe, expect, it } from '@jest/globals';
import { onlyIn, overlapAtK, rankBiasedOverlap } from '@ggen/domain-adapters';

const letters = (text: string): string[] => text.split('');

describe('overlap@k', () => {
  it('counts the names both top-k lists share', () => {
    expect(overlapAtK(letters('abcdefghij'), letters('abcdefghij'))).toBe(1);
    expect(overlapAtK(letters('abcdefghij'), letters('klmnopqrst'))).toBe(0);
    expect(overlapAtK(letters('abcdefghij'), letters('jihgfedcba'))).toBe(1);
    expect(overlapAtK(letters('abcde'), letters('abxyz'))).toBeCloseTo(0.4);
    // Only the top k count: an agreement at rank 11 is not an overlap at 10.
    expect(overlapAtK(letters('abcdefghijk'), letters('klmnopqrstu'))).toBe(0);
  });

  it('treats two empty answers as agreeing and one empty answer as disjoint', () => {
    expect(overlapAtK([], [])).toBe(1);
    expect(overlapAtK(['a'], [])).toBe(0);
  });
});

describe('rank-biased overlap', () => {
  it('is 1 for identical rankings and 0 for disjoint ones', () => {
    expect(rankBiasedOverlap(letters('abcdefg'), letters('abcdefg'))).toBeCloseTo(1, 10);
    expect(rankBiasedOverlap(letters('abcdefg'), letters('hijklmn'))).toBe(0);
  });

  it('weighs disagreement at the top more than at the bottom', () => {
    const base = letters('abcdefghij');
    const swappedTop = letters('bacdefghij');
    const swappedBottom = letters('abcdefghji');
    expect(rankBiasedOverlap(base, swappedBottom)).toBeGreaterThan(rankBiasedOverlap(base, swappedTop));
    expect(rankBiasedOverlap(base, swappedTop)).toBeLessThan(1);
  });

  it('is symmetric, also for lists of different lengths', () => {
    const a = letters('abcdefgh');
    const b = letters('acbxe');
    expect(rankBiasedOverlap(a, b)).toBeCloseTo(rankBiasedOverlap(b, a), 12);
    // A prefix of the other list agrees wherever both have ranks: the extrapolation scores it 1.
    expect(rankBiasedOverlap(letters('abc'), letters('abcdef'))).toBeCloseTo(1, 10);
  });

  it('matches a value computed by hand', () => {
    // Depth 1: {a}/{b}: 0; depth 2: {a,b}/{b,a}: 2/2 = 1. Extrapolated at l = s = 2, p = 0.5:
    // (1 - p)/p * (0 * p + 1 * p^2) + 1 * p^2 = 0.25 + 0.25 = 0.5.
    expect(rankBiasedOverlap(['a', 'b'], ['b', 'a'], 0.5)).toBeCloseTo(0.5, 12);
  });
});

describe('onlyIn', () => {
  it('keeps the order of the first list', () => {
    expect(onlyIn(letters('abcd'), letters('bd'))).toEqual(['a', 'c']);
  });
});
