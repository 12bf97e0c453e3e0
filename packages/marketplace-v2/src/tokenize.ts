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

/**
 * The one tokenizer of catalog text and query text: NFKC, lowercase, letters and digits
 * only. Query text never reaches SPARQL except as these tokens, bound as literals.
 */
export function tokenize(text: string): string[] {
  return (
    ASCII.test(text)
      ? text.toLowerCase().split(/[^a-z0-9]+/)
      : text
          .normalize('NFKC')
          .toLowerCase()
          .split(/[^\p{L}\p{N}]+/u)
  ).filter((token) => token.length > 1 && token.length <= MAX_TOKEN_LENGTH && !STOP_WORDS.has(token));
}

/** A name is also one token as a whole, so that an exact name can be boosted. */
export function exactNameToken(text: string): string {
  return `=${(ASCII.test(text) ? text : text.normalize('NFKC')).trim().toLowerCase().replace(/\s+/g, '-').slice(0, 214)}`;
}
