// Three reused rows: search calls this for most catalog entries on every query, so it must
// not allocate.
let rowA = new Int32Array(64);
let rowB = new Int32Array(64);
let rowC = new Int32Array(64);

/**
 * Levenshtein distance between `a` and `b` when it is at most `max`, else undefined. With
 * `transpositions`, two neighbouring letters swapped count as one edit (optimal string
 * alignment: "wbepack" is one edit from "webpack", the typo people make most). Only strings
 * whose lengths differ by at most `max` are compared, and the work stops as soon as a whole
 * row exceeds the bound.
 */
export function editDistanceWithin(a: string, b: string, max: number, transpositions = false): number | undefined {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return undefined;
  if (b.length + 2 > rowA.length) {
    rowA = new Int32Array(b.length + 2);
    rowB = new Int32Array(b.length + 2);
    rowC = new Int32Array(b.length + 2);
  }
  // Only the band |i - j| <= max can hold a distance within the bound (Ukkonen): each row
  // computes 2 max + 1 cells, not b.length, and the cells beside the band read as over it.
  const over = max + 1;
  let beforePrevious = rowC;
  let previous = rowA;
  let current = rowB;
  for (let j = 0; j <= b.length; j += 1) previous[j] = j;
  previous[b.length + 1] = over;
  for (let i = 1; i <= a.length; i += 1) {
    const from = Math.max(1, i - max);
    const to = Math.min(b.length, i + max);
    current[0] = i;
    current[from - 1] = from === 1 ? i : over;
    let rowMin = from === 1 ? i : over;
    const code = a.charCodeAt(i - 1);
    const codeBefore = i > 1 ? a.charCodeAt(i - 2) : -1;
    for (let j = from; j <= to; j += 1) {
      const bCode = b.charCodeAt(j - 1);
      const substitution = (previous[j - 1] ?? 0) + (code === bCode ? 0 : 1);
      const deletion = (previous[j] ?? 0) + 1;
      const insertion = (current[j - 1] ?? 0) + 1;
      let value = substitution < deletion ? substitution : deletion;
      if (insertion < value) value = insertion;
      if (transpositions && j > 1 && codeBefore === bCode && code === b.charCodeAt(j - 2)) {
        const swapped = (beforePrevious[j - 2] ?? 0) + 1;
        if (swapped < value) value = swapped;
      }
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    // The next row reads one cell past this row's band.
    current[to + 1] = over;
    if (rowMin > max) return undefined;
    const oldest = beforePrevious;
    beforePrevious = previous;
    previous = current;
    current = oldest;
  }
  const distance = previous[b.length] ?? over;
  return distance <= max ? distance : undefined;
}

/**
 * The known word nearest to `word` ("did you mean"), within a third of the shorter one's length
 * (one edit at least; a swapped pair of letters is one), or undefined when none is that close.
 */
export function nearestWord(word: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistanceWithin(
      word,
      name,
      Math.max(1, Math.floor(Math.min(word.length, name.length) / 3)),
      true,
    );
    if (distance !== undefined && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
