/**
 * Sorted string lists (the local store's package and token lists, a search's vocabulary),
 * in code-unit order: JavaScript's `<` and the default `sort()`.
 */

/** A list read by position: an array, or the lines of a text (LineList). */
export interface StringList {
  readonly length: number;
  at(index: number): string | undefined;
}

/** Whether every string is greater than the one before it: sorted, and each once. */
export function isStrictlySorted(list: readonly string[]): boolean {
  return list.every((value, index) => index === 0 || (list[index - 1] ?? '') < value);
}

/** The first position whose string is not below `value` (the list's length when none is). */
export function lowerBound(sorted: StringList, value: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted.at(mid) ?? '') < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Where `value` is in a sorted list, by binary search; undefined when it is not there. */
export function positionIn(sorted: StringList, value: string): number | undefined {
  const at = lowerBound(sorted, value);
  return at < sorted.length && sorted.at(at) === value ? at : undefined;
}

const NEWLINE = 0x0a;

/**
 * The lines of one text as a list: a file of names read with no parse, a string made only for
 * a line that is looked at (a search looks at a few tokens of the whole vocabulary). The text is
 * kept as its UTF-8 bytes, as read from the file: decoding a whole token list (7 MB at 100k
 * packages, a two-byte string as soon as one token is not ASCII) cost a one-shot search ~70 ms.
 * No line holds a `\n`. The count is given, as the text alone cannot tell no line from one empty
 * line; a text with another number of lines is refused (a damaged file).
 */
export class LineList implements StringList {
  readonly #bytes: Buffer;
  /** Where each line starts, and one past the last line's end (byte offsets). */
  readonly #starts: Uint32Array;

  constructor(text: string | Uint8Array, count: number) {
    const bytes =
      typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
    const starts = new Uint32Array(count + 1);
    let line = 1;
    for (let at = bytes.indexOf(NEWLINE); at >= 0; at = bytes.indexOf(NEWLINE, at + 1)) {
      if (line >= count) throw new Error(`more than ${count} lines`);
      starts[line++] = at + 1;
    }
    if (count > 0 ? line !== count : bytes.length > 0)
      throw new Error(`${count === 0 ? 'text' : `${line} lines`} where ${count} were expected`);
    starts[count] = bytes.length + 1;
    this.#bytes = bytes;
    this.#starts = starts;
  }

  /** A list's lines as one text, for LineList to read back (throws on a string that holds a line break). */
  static textOf(list: readonly string[]): string {
    for (const item of list)
      if (item.includes('\n')) throw new Error(`a list item holds a line break: ${JSON.stringify(item.slice(0, 80))}`);
    return list.join('\n');
  }

  get length(): number {
    return this.#starts.length - 1;
  }

  at(index: number): string | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    return this.#bytes.toString('utf8', this.#starts[index], (this.#starts[index + 1] ?? 0) - 1);
  }
}
