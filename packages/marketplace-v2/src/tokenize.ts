/** Words that carry no meaning for search. */
const STOP_WORDS = new Set([
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'by',
  'for',
  'from',
  'in',
  'into',
  'is',
  'it',
  'of',
  'on',
  'or',
  'that',
  'the',
  'this',
  'to',
  'with',
  'your',
  'you',
]);

export const MAX_TOKEN_LENGTH = 64;
export const MAX_QUERY_TOKENS = 16;

/**
 * ASCII text, as most queries and names are: NFKC leaves it as it is, and its letters and digits
 * are [a-z0-9] once lowercased, so it gets the same tokens without ICU's normaliser and a
 * Unicode-property pattern.
 */
// eslint-disable-next-line no-control-regex -- every ASCII code point, control characters included
const ASCII = /^[\x00-\x7f]*$/;

/** The words of a name as typed or published: every run of letters and digits, lowercased (`@types/d3-fetch`: types, d3, fetch). */
export function nameWords(text: string): string[] {
  return (
    ASCII.test(text)
      ? text.toLowerCase().split(/[^a-z0-9]+/)
      : text
          .normalize('NFKC')
          .toLowerCase()
          .split(/[^\p{L}\p{N}]+/u)
  ).filter((word) => word !== '');
}

/**
 * The one tokenizer of catalog text and query text: NFKC, lowercase, letters and digits
 * only (the words of nameWords, without one-letter words and stop words). Query text never
 * reaches SPARQL except as these tokens, bound as literals.
 */
export function tokenize(text: string): string[] {
  return nameWords(text).filter(
    (token) => token.length > 1 && token.length <= MAX_TOKEN_LENGTH && !STOP_WORDS.has(token),
  );
}

/**
 * A name is also one token as a whole, so that an exact name can be boosted: its words joined by
 * `-`, whatever punctuation stood between them, so that `@types/node`, `types/node` and
 * `types node` are one name, and `lodash.set` is `lodash set`.
 */
export function exactNameToken(text: string): string {
  return `=${nameWords(text).join('-').slice(0, 214)}`;
}

/**
 * The name token of catalogs written before names were taken by their words (spaces made `-`,
 * other punctuation kept): a search still asks for it, so that an exact name in such a catalog
 * keeps its boost until the catalog is written again.
 */
export function legacyExactNameToken(text: string): string {
  return `=${(ASCII.test(text) ? text : text.normalize('NFKC')).trim().toLowerCase().replace(/\s+/g, '-').slice(0, 214)}`;
}

/**
 * The name as it is spelled, punctuation and all: when two names share their words
 * (`babel-helper-x`, `@babel/helper-x`), the one typed letter for letter comes first.
 */
export function literalNameToken(text: string): string {
  return `=${legacyExactNameToken(text)}`;
}

/**
 * Parts of a name of three words or more, each a token of its own, for the words a user
 * remembers of a long or scoped name: its tails (`@parcel/transformer-html`: `=transformer-html`),
 * and its heads with its last word (`=parcel-html`, as one types `babel jsx` for
 * `@babel/plugin-syntax-jsx`, or `aws-sdk workspaces` for `@aws-sdk/client-workspaces`).
 */
export function namePartTokens(name: string): { tails: string[]; ends: string[] } {
  const words = nameWords(name).slice(0, 16);
  const tails: string[] = [];
  const ends: string[] = [];
  const last = words.at(-1) ?? '';
  for (let cut = 1; cut <= words.length - 2; cut += 1) {
    tails.push(`=${words.slice(cut).join('-').slice(0, 214)}`);
    ends.push(`=${[...words.slice(0, cut), last].join('-').slice(0, 214)}`);
  }
  return { tails, ends: ends.filter((end) => !tails.includes(end)) };
}
