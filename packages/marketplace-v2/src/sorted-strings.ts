/**
 * Sorted string lists (the local store's package and token lists, a search's vocabulary),
 * in code-unit order: JavaScript's `<` and the default `sort()`.
 */

/** Whether every string is greater than the one before it: sorted, and each once. */
export function isStrictlySorted(list: readonly string[]): boolean {
  return list.every((value, index) => index === 0 || (list[index - 1] ?? '') < value);
}

/** The first position whose string is not below `value` (the list's length when none is). */
export function lowerBound(sorted: readonly string[], value: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] ?? '') < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Where `value` is in a sorted list, by binary search; undefined when it is not there. */
export function positionIn(sorted: readonly string[], value: string): number | undefined {
  const at = lowerBound(sorted, value);
  return sorted[at] === value ? at : undefined;
}
