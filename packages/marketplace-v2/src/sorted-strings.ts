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

/**
 * The lines of one text as a list: a file of names read with no parse, a string made only for
 * a line that is looked at (a search looks at a few tokens of the whole vocabulary). No line holds a `\n`. The count is given, as the text alone cannot
 * tell no line from one empty line; a text with another number of lines is refused (a damaged file).
 */
export class LineList implements StringList {
  readonly #text: string;
  /** Where each line starts, and one past the last line's end. */
  readonly #starts: Uint32Array;

  constructor(text: string, count: number) {
    const starts = new Uint32Array(count + 1);
    let line = 1;
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) {
      if (line >= count) throw new Error(`more than ${count} lines`);
      starts[line++] = at + 1;
    }
    if (count > 0 ? line !== count : text !== '')
      throw new Error(`${count === 0 ? 'text' : `${line} lines`} where ${count} were expected`);
    starts[count] = text.length + 1;
    this.#text = text;
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
    return this.#text.slice(this.#starts[index], (this.#starts[index + 1] ?? 0) - 1);
  }
}

/**
 * A sorted list and a few more sorted strings that it lacks, read as one sorted list (the
 * shards' tokens and the registry journal's), without copying the large one.
 */
export class MergedList implements StringList {
  readonly #base: StringList;
  readonly #extra: readonly string[];
  /** Where each extra string stands in the merged list. */
  readonly #positions: number[];

  constructor(base: StringList, extra: readonly string[]) {
    this.#base = base;
    this.#extra = extra;
    this.#positions = extra.map((value, index) => lowerBound(base, value) + index);
  }

  get length(): number {
    return this.#base.length + this.#extra.length;
  }

  at(index: number): string | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    // How many extra strings stand before `index`, and whether one stands at it.
    let low = 0;
    let high = this.#positions.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#positions[mid] ?? 0) < index) low = mid + 1;
      else high = mid;
    }
    if (this.#positions[low] === index) return this.#extra[low];
    return this.#base.at(index - low);
  }
}
