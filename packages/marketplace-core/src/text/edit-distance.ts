// Two reused rows: search calls this for most catalog entries on every query, so it must
// not allocate.
let rowA = new Int32Array(64);
let rowB = new Int32Array(64);

/**
 * Levenshtein distance between `a` and `b` when it is at most `max`, else undefined. Only
 * strings whose lengths differ by at most `max` are compared, and the work stops as soon as
 * a whole row exceeds the bound.
 */
export function editDistanceWithin(a: string, b: string, max: number): number | undefined {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return undefined;
  if (b.length + 1 > rowA.length) {
    rowA = new Int32Array(b.length + 1);
    rowB = new Int32Array(b.length + 1);
  }
  let previous = rowA;
  let current = rowB;
  for (let j = 0; j <= b.length; j += 1) previous[j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    current[0] = i;
    let rowMin = i;
    const code = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (code === b.charCodeAt(j - 1) ? 0 : 1);
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return undefined;
    [previous, current] = [current, previous];
  }
  const distance = previous[b.length] ?? max + 1;
  return distance <= max ? distance : undefined;
}
