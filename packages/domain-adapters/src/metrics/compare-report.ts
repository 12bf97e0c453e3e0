import type { Comparison } from '../strategies/routed-operation.js';
import type { OperationRecord } from './operation-record.js';

export interface CompareReport {
  since: number;
  /** Search comparisons recorded. */
  searches: number;
  meanOverlapAt10: number | null;
  meanRbo: number | null;
  /** Median v2 latency over median v1 latency across compared operations (< 1: v2 faster). */
  latencyRatio: number | null;
  medianV1Ms: number | null;
  medianV2Ms: number | null;
  /** Per distinct search, its mean figures over every time it was compared; least similar first. */
  worst: (Comparison & { op: string; times: number })[];
  /** Info and resolution comparisons, and how many of them differed. */
  others: { compared: number; differing: number; examples: (Comparison & { op: string })[] };
}

const median = (values: number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const mean = (values: number[]): number | null =>
  values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;

/** One row per distinct search: the same query compared ten times is one query, not ten. */
function bySubject(searches: (Comparison & { op: string })[]): (Comparison & { op: string; times: number })[] {
  const groups = new Map<string, (Comparison & { op: string })[]>();
  for (const entry of searches) groups.set(entry.subject, [...(groups.get(entry.subject) ?? []), entry]);
  return [...groups.values()].map((group) => {
    const last = group.at(-1) ?? group[0];
    const average = (pick: (entry: Comparison) => number | undefined): number =>
      mean(group.map((entry) => pick(entry) ?? 0)) ?? 0;
    return {
      ...last,
      overlapAt10: average((entry) => entry.overlapAt10),
      rbo: average((entry) => entry.rbo),
      v1Ms: average((entry) => entry.v1Ms),
      v2Ms: average((entry) => entry.v2Ms),
      times: group.length,
    } as Comparison & { op: string; times: number };
  });
}

export function buildCompareReport(records: readonly OperationRecord[], since: number, worstCount = 10): CompareReport {
  const compared = records.flatMap((record) =>
    record.comparison === undefined ? [] : [{ ...record.comparison, op: record.op }],
  );
  const searches = compared.filter((entry) => entry.op === 'search');
  const others = compared.filter((entry) => entry.op !== 'search');
  const differing = others.filter((entry) => (entry.fieldDifferences?.length ?? 0) > 0);
  const medianV1Ms = median(compared.map((entry) => entry.v1Ms));
  const medianV2Ms = median(compared.map((entry) => entry.v2Ms));
  return {
    since,
    searches: searches.length,
    meanOverlapAt10: mean(searches.map((entry) => entry.overlapAt10 ?? 0)),
    meanRbo: mean(searches.map((entry) => entry.rbo ?? 0)),
    latencyRatio: medianV1Ms === null || medianV2Ms === null || medianV1Ms === 0 ? null : medianV2Ms / medianV1Ms,
    medianV1Ms,
    medianV2Ms,
    worst: bySubject(searches)
      .sort((a, b) => (a.rbo ?? 0) - (b.rbo ?? 0) || (a.subject < b.subject ? -1 : 1))
      .slice(0, worstCount),
    others: { compared: others.length, differing: differing.length, examples: differing.slice(0, worstCount) },
  };
}
