import { describe, expect, it } from '@jest/globals';
import { LineList, lowerBound, positionIn } from '../src/sorted-strings.js';

describe('a list kept as the lines of one text', () => {
  it('reads back every list it was written from, one line at a time', () => {
    const lists = [
      [],
      [''],
      ['', 'a'],
      ['a', ''],
      ['only'],
      ['é', 'naïve', '日本語', '😀 smile', ' spaced ', '=exact'],
      Array.from({ length: 500 }, (_, i) => `token-${i}`),
    ];
    for (const list of lists) {
      const lines = new LineList(LineList.textOf(list), list.length);
      expect({ list, length: lines.length }).toEqual({ list, length: list.length });
      expect(Array.from({ length: list.length }, (_, i) => lines.at(i))).toEqual(list);
      for (const outside of [-1, list.length, 1.5, Number.NaN]) expect(lines.at(outside)).toBeUndefined();
    }
  });

  it('refuses a text with another number of lines than it is told (a damaged file), and a list item with a line break', () => {
    expect(() => new LineList('a\nb', 3)).toThrow('2 lines where 3 were expected');
    expect(() => new LineList('a\nb\nc', 2)).toThrow('more than 2 lines');
    expect(() => new LineList('a', 0)).toThrow('text where 0 were expected');
    expect(new LineList('', 1).at(0)).toBe('');
    expect(() => LineList.textOf(['a', 'b\nc'])).toThrow('line break');
  });

  it('is searched as the array it stands for', () => {
    const sorted = [...new Set(Array.from({ length: 2000 }, (_, i) => ((i * 7919) % 3001).toString(36)))].sort();
    const lines = new LineList(LineList.textOf(sorted), sorted.length);
    for (const probe of ['', '0', 'zz', ...sorted.slice(0, 50), ...sorted.map((value) => `${value}~`).slice(0, 50)]) {
      expect({ probe, at: lowerBound(lines, probe) }).toEqual({ probe, at: lowerBound(sorted, probe) });
      expect({ probe, at: positionIn(lines, probe) }).toEqual({ probe, at: positionIn(sorted, probe) });
    }
    expect(sorted.every((value, index) => positionIn(lines, value) === index)).toBe(true);
    expect(sorted.length).toBeGreaterThan(1000);
  });
});
