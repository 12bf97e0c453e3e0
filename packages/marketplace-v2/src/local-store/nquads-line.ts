/**
 * One line of the catalogs ggen writes (n3's Writer, one quad a line), read without an RDF
 * engine: the local store cuts its shards with it at sync, and reads packages back from them.
 * Subject, predicate, an IRI or a string literal (with a datatype or a language), the graph.
 * Blank nodes and other line shapes do not match: a catalog that has them is not ours.
 */
export const QUAD_LINE =
  /^<([^>]*)> <([^>]*)> (?:<([^>]*)>|"((?:[^"\\]|\\.)*)"(?:\^\^<([^>]*)>|@([a-zA-Z0-9-]+))?) <([^>]*)> \.$/;

/**
 * The predicate IRI of one shard line, found without the whole line's regular expression (a
 * search sorts thousands of lines into buckets by it); undefined for a line not of QUAD_LINE's shape.
 */
export function predicateOfLine(line: string): string | undefined {
  if (!line.startsWith('<')) return undefined;
  const start = line.indexOf('> <');
  const end = start < 0 ? -1 : line.indexOf('>', start + 3);
  return end < 0 ? undefined : line.slice(start + 3, end);
}

const ECHAR: Record<string, string> = { t: '\t', b: '\b', n: '\n', r: '\r', f: '\f', '"': '"', "'": "'", '\\': '\\' };

/**
 * The text of an N-Quads literal or IRI as written (N-Triples' ECHAR and UCHAR escapes:
 * `\n`, `\"`, `\u00e9`, `\U0001F600`), or undefined when an escape is not one of them.
 */
export function unescapeNQuads(text: string): string | undefined {
  if (!text.includes('\\')) return text;
  const escape = /\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|([\s\S]))/g;
  let value = '';
  let from = 0;
  for (let match = escape.exec(text); match !== null; match = escape.exec(text)) {
    const [whole, short, long, char] = match;
    const hex = short ?? long;
    let replacement: string | undefined;
    if (hex !== undefined) {
      const codePoint = Number.parseInt(hex, 16);
      if (codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff))
        replacement = String.fromCodePoint(codePoint);
    } else replacement = ECHAR[char ?? ''];
    if (replacement === undefined) return undefined;
    value += text.slice(from, match.index) + replacement;
    from = match.index + whole.length;
  }
  // A lone backslash at the end is no escape either.
  const rest = text.slice(from);
  return rest.includes('\\') ? undefined : value + rest;
}

/** An N-Quads string literal's text; one with an escape N-Quads does not have stays as written. */
export function literalText(literal: string): string {
  return unescapeNQuads(literal) ?? literal;
}

/**
 * A string that holds no reference to the text it was cut from. V8 keeps a substring (a regular
 * expression's group, a split line) as a slice of its parent: a package IRI or a token kept past
 * its chunk would keep that chunk of the catalog alive, and so every chunk.
 */
export function own(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}
