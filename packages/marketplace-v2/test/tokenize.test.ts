import { describe, expect, it } from '@jest/globals';
import { exactNameToken, legacyExactNameToken, literalNameToken, namePartTokens, tokenize } from '../src/tokenize.js';

// The name token on the Unicode path only: NFKC first, always.
const referenceName = (text: string): string =>
  `=${text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '')
    .join('-')
    .slice(0, 214)}`;

/** Deterministic pseudo-random ASCII strings over every code point 0..127. */
function asciiSamples(count: number): string[] {
  let seed = 12345;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  const samples: string[] = [];
  for (let index = 0; index < count; index += 1) {
    let text = '';
    const length = next() % 40;
    for (let char = 0; char < length; char += 1)
      text += String.fromCharCode(next() % 3 === 0 ? next() % 128 : 'aZ09 -_.@/xyzQW'.charCodeAt(next() % 15));
    samples.push(text);
  }
  return samples;
}

describe('the tokenizer', () => {
  it('gives ASCII text the tokens of NFKC and Unicode letters and digits', () => {
    const samples = [
      ...asciiSamples(3000),
      'Rust WEB server',
      'http2-server_v3',
      '@scope/Name.JS',
      String.fromCharCode(...Array.from({ length: 128 }, (_, code) => code)),
    ];
    let tokens = 0;
    for (const text of samples) {
      const words = tokenize(text);
      tokens += words.length;
      // A non-ASCII letter in front sends the text down the Unicode path; alone, it is too short to be a token.
      const unicode = tokenize(`\u00e9 ${text}`);
      expect({ text, words }).toEqual({ text, words: unicode });
      expect({ text, name: exactNameToken(text) }).toEqual({ text, name: referenceName(text) });
    }
    expect(tokens).toBeGreaterThan(3000);
  });

  it('still normalises and splits text that is not ASCII', () => {
    expect(tokenize('Ｒｕｓｔ ＷＥＢ café')).toEqual(['rust', 'web', 'café']);
    expect(exactNameToken('Ｈｅｌｌｏ  World')).toBe('=hello-world');
  });

  it('takes a name by its words: a scope, dots and spaces are one name', () => {
    for (const typed of ['@types/d3-fetch', 'types/d3-fetch', 'types d3 fetch', 'Types.D3_Fetch'])
      expect({ typed, token: exactNameToken(typed) }).toEqual({ typed, token: '=types-d3-fetch' });
    expect(namePartTokens('@parcel/transformer-html')).toEqual({
      tails: ['=transformer-html'],
      ends: ['=parcel-html'],
    });
    expect(namePartTokens('@babel/plugin-syntax-jsx')).toEqual({
      tails: ['=plugin-syntax-jsx', '=syntax-jsx'],
      ends: ['=babel-jsx', '=babel-plugin-jsx'],
    });
    expect(namePartTokens('react-dom')).toEqual({ tails: [], ends: [] });
    // The token of catalogs written before, still asked for.
    expect(legacyExactNameToken('@types/node')).toBe('=@types/node');
    expect(literalNameToken('@Types/node ')).toBe('==@types/node');
  });
});
