/** overlap@k: the share of the top k that both rankings hold (k shrinks to the longer list). */
export function overlapAtK(a: readonly string[], b: readonly string[], k = 10): number {
  const topA = a.slice(0, k);
  const topB = new Set(b.slice(0, k));
  const depth = Math.max(topA.length, topB.size);
  if (depth === 0) return 1;
  return topA.filter((name) => topB.has(name)).length / depth;
}

/**
 * Rank-biased overlap (Webber, Moffat and Zobel 2010), extrapolated form for lists of uneven
 * length cut at their depth: 1 for identical rankings, 0 for disjoint ones; agreement near the
 * top weighs most (p = 0.9 puts ~86% of the weight on the first 10 ranks).
 */
export function rankBiasedOverlap(a: readonly string[], b: readonly string[], p = 0.9): number {
  if (a.length === 0 && b.length === 0) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  const s = short.length;
  const l = long.length;
  const seenShort = new Set<string>();
  const seenLong = new Set<string>();
  let overlap = 0;
  let sum = 0;
  let overlapAtS = 0;
  for (let depth = 1; depth <= l; depth += 1) {
    const fromLong = long[depth - 1] ?? '';
    const fromShort = depth <= s ? (short[depth - 1] ?? '') : undefined;
    if (fromShort !== undefined) {
      if (fromShort === fromLong) overlap += 1;
      else {
        if (seenLong.has(fromShort)) overlap += 1;
        if (seenShort.has(fromLong)) overlap += 1;
      }
      seenShort.add(fromShort);
    } else if (seenShort.has(fromLong)) overlap += 1;
    seenLong.add(fromLong);
    if (depth === s) overlapAtS = overlap;
    sum += (overlap / depth) * p ** depth;
    if (depth > s) sum += ((overlapAtS * (depth - s)) / (s * depth)) * p ** depth;
  }
  const extrapolated = ((1 - p) / p) * sum + ((overlap - overlapAtS) / l + overlapAtS / s) * p ** l;
  return Math.min(1, Math.max(0, extrapolated));
}

export function onlyIn(a: readonly string[], b: readonly string[]): string[] {
  const other = new Set(b);
  return a.filter((name) => !other.has(name));
}
