import { describe, expect, it } from '@jest/globals';
import { table, truncate } from '../src/command-spec.js';

describe('tables as a terminal shows them', () => {
  it('pads columns by display width: wide CJK, emoji and combining marks line up', () => {
    const lines = table([
      ['NAME', 'VERSION'],
      ['日本語パック', '1.0.0'],
      ['e\u0301cole', '2.0.0'],
      ['🚀-rocket', '3.0.0'],
      ['plain', '4.0.0'],
    ]).split('\n');
    // Every VERSION cell starts at the same column: the name column is 12 columns wide (日本語パック).
    const columns = lines.map((line) => {
      const at = line.search(/(VERSION|\d\.0\.0)$/);
      return [...new Intl.Segmenter().segment(line.slice(0, at))].reduce(
        (width, { segment }) =>
          width + (/[\u3000-\u9fff\u30a0-\u30ff]|\p{Extended_Pictographic}/u.test(segment) ? 2 : 1),
        0,
      );
    });
    expect(columns).toEqual([14, 14, 14, 14, 14]);
  });

  it('truncates to a number of columns at a whole character', () => {
    expect(truncate('日本語のパッケージ説明', 7)).toBe('日本語…');
    expect(truncate('🚀🚀🚀🚀', 5)).toBe('🚀🚀…');
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('e\u0301cole e\u0301te\u0301', 6)).toBe('e\u0301cole…');
    expect(truncate('ab👨‍👩‍👧cd', 4)).toBe('ab…');
    expect(truncate('ab👨‍👩‍👧cd', 5)).toBe('ab👨‍👩‍👧…');
    // A description as long as a registry may send is cut to the same columns.
    expect(truncate(`${'x'.repeat(59)}${'y'.repeat(100_000)}`, 60)).toBe(`${'x'.repeat(59)}…`);
    expect(truncate('exactly 10', 10)).toBe('exactly 10');
    expect(truncate('exactly 11!', 10)).toBe('exactly 1…');
    expect(truncate('tab\there and more', 8)).toBe('tab\there…');
    expect(truncate('e\u0301', 1)).toBe('e\u0301');
  });
});
