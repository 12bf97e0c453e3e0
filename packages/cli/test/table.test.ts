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
  });
});
