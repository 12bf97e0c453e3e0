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
  if (b.length + 1 > rowA.length) {
    rowA = new Int32Array(b.length + 1);
    rowB = new Int32Array(b.length + 1);
    rowC = new Int32Array(b.length + 1);
  }
  let beforePrevious = rowC;
  let previous = rowA;
  let current = rowB;
  for (let j = 0; j <= b.length; j += 1) previous[j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    current[0] = i;
    let rowMin = i;
    const code = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (code === b.charCodeAt(j - 1) ? 0 : 1);
      let value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
      if (
        transpositions &&
        i > 1 &&
        j > 1 &&
        code === b.charCodeAt(j - 2) &&
        a.charCodeAt(i - 2) === b.charCodeAt(j - 1)
      )
        value = Math.min(value, (beforePrevious[j - 2] ?? 0) + 1);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return undefined;
    [beforePrevious, previous, current] = [previous, current, beforePrevious];
  }
  const distance = previous[b.length] ?? max + 1;
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
