import { errorClassOfCode, type BackendType } from '@ggen/marketplace-core';
import type { Attempt } from '../strategies/routed-operation.js';
import type { OperationRecord } from './operation-record.js';

/**
 * Whether an attempt failed as a backend (unreachable, timeout, damaged catalog, malformed
 * answer, a bug). A caller's mistake (a mistyped name, a conflict) or a security verdict is an
 * answer, not a failure: it never counts against the backend in error rates or verdicts.
 */
export function backendFailure(attempt: Pick<Attempt, 'ok' | 'error'>): boolean {
  return !attempt.ok && errorClassOfCode(attempt.error ?? 'GGEN_E_INTERNAL') === 'backend';
}

/** The attempts an error rate is computed over: those that succeeded or failed as a backend. */
export function judgedAttempts<T extends Pick<Attempt, 'ok' | 'error'>>(attempts: readonly T[]): T[] {
  return attempts.filter((attempt) => attempt.ok || backendFailure(attempt));
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
}

/** Per backend and operation: what the attempts on that backend did. */
export interface BackendOperationSummary extends LatencySummary {
  backend: BackendType;
  operation: string;
  /** Backend failures (a caller's mistake or a security verdict is not one). */
  errors: number;
  /** Backend failures over the attempts that succeeded or failed as a backend. */
  errorRate: number;
  /** Attempts answered with a caller's error or a security verdict: not counted in the rate. */
  refusals: number;
  /** Operations this backend served (selections). */
  selections: number;
  /** Operations v1 served after v2 failed (v1 rows only). */
  fallbacks: number;
}

export interface MetricsSummary {
  since: number;
  operations: number;
  rows: BackendOperationSummary[];
  fallbacks: { attempted: number; succeeded: number };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? 0;
}

export function latencySummary(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
  };
}

/** Attempts on a backend whose failure fallback handed on to v1. */
export function fallbackTotals(records: readonly OperationRecord[]): { attempted: number; succeeded: number } {
  let attempted = 0;
  let succeeded = 0;
  for (const record of records) {
    const real = record.attempts.filter((attempt) => attempt.plan !== true);
    const v2Failed = real.some((attempt) => attempt.backend === 'v2' && backendFailure(attempt));
    const v1Tried = real.some((attempt) => attempt.backend === 'v1');
    if (record.strategy !== 'v1' && v2Failed && v1Tried) {
      attempted += 1;
      if (record.ok && record.backend === 'v1') succeeded += 1;
    }
  }
  return { attempted, succeeded };
}

export function summarizeMetrics(records: readonly OperationRecord[], since: number): MetricsSummary {
  const groups = new Map<
    string,
    {
      backend: BackendType;
      operation: string;
      ms: number[];
      errors: number;
      refusals: number;
      selections: number;
      fallbacks: number;
    }
  >();
  const group = (backend: BackendType, operation: string): NonNullable<ReturnType<typeof groups.get>> => {
    const key = `${backend}\0${operation}`;
    let entry = groups.get(key);
    if (entry === undefined) {
      entry = { backend, operation, ms: [], errors: 0, refusals: 0, selections: 0, fallbacks: 0 };
      groups.set(key, entry);
    }
    return entry;
  };
  for (const record of records) {
    for (const attempt of record.attempts) {
      if (attempt.plan === true) continue;
      const entry = group(attempt.backend, record.op);
      entry.ms.push(attempt.ms);
      if (backendFailure(attempt)) entry.errors += 1;
      else if (!attempt.ok) entry.refusals += 1;
    }
    if (record.ok) {
      const served = group(record.backend, record.op);
      served.selections += 1;
      if (record.fallback) served.fallbacks += 1;
    }
  }
  const rows = [...groups.values()]
    .map((entry) => ({
      backend: entry.backend,
      operation: entry.operation,
      ...latencySummary(entry.ms),
      errors: entry.errors,
      errorRate: entry.ms.length - entry.refusals === 0 ? 0 : entry.errors / (entry.ms.length - entry.refusals),
      refusals: entry.refusals,
      selections: entry.selections,
      fallbacks: entry.fallbacks,
    }))
    .sort((a, b) =>
      a.operation === b.operation ? (a.backend < b.backend ? -1 : 1) : a.operation < b.operation ? -1 : 1,
    );
  return { since, operations: records.length, rows, fallbacks: fallbackTotals(records) };
}
