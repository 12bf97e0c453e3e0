import type { BackendStrategyName, BackendType, MarketplaceBackend, RoutedOperationName } from '@ggen/marketplace-core';

/** What one backend attempt did: the raw material of every metric and report. */
export interface Attempt {
  backend: BackendType;
  ok: boolean;
  ms: number;
  /** The error code (GGEN_E_...) when the attempt failed. */
  error?: string;
  /** A Compare dry-run plan of a mutation, not the operation itself. */
  plan?: boolean;
}

/** Differences between the two answers of a Compare run. */
export interface Comparison {
  /** Search: names in the top 10 of both, divided by 10 (or by the longer list when shorter). */
  overlapAt10?: number;
  /** Search: rank-biased overlap (p = 0.9) of the two rankings. */
  rbo?: number;
  /** Search: names in one top 10 and not in the other (the top 10 that overlap@10 compares). */
  onlyV1?: string[];
  onlyV2?: string[];
  /** Search: how many results each side found in all (not only the page compared). */
  v1Count?: number;
  v2Count?: number;
  /** Info and resolution: the fields whose values differ. */
  fieldDifferences?: string[];
  /** What was asked (the search text or the package), for the worst-queries list. */
  subject: string;
  v1Ms: number;
  v2Ms: number;
}

/** One operation as the adapter runs it: how to run it on a backend, check it, compare it. */
export interface RoutedOperation<T> {
  operation: RoutedOperationName;
  subject: string;
  /** `signal` is aborted when the attempt runs out of time; a mutation must not commit after it. */
  run: (backend: MarketplaceBackend, signal: AbortSignal) => Promise<T>;
  /**
   * Whether a failure of the primary backend may be served by the other one. Writes never
   * fall back (a publish goes to the registry it was meant for); an install does not when the
   * primary registry knows the package it was asked for (see the adapter).
   */
  fallback?: (error: unknown) => boolean;
  /** Compare: the answers' differences. Mutations compare their plans (see `plan`). */
  compare?: (v1: T, v2: T) => Omit<Comparison, 'subject' | 'v1Ms' | 'v2Ms'>;
  /**
   * Mutations (install, update) are never run twice: Compare runs both backends' dry-run plans
   * concurrently, compares those, then applies the operation once on the serving backend.
   */
  plan?: (backend: MarketplaceBackend) => Promise<T>;
}

/** Which backend served an operation, and why. */
export interface Selection {
  strategy: BackendStrategyName;
  backend: BackendType;
  reason: string;
  /** The A/B bucket (0..99) of this install, when the strategy used it. */
  bucket?: number;
}

export interface StrategyOutcome<T> {
  value: T;
  selection: Selection;
  attempts: Attempt[];
  fallback: boolean;
  comparison?: Comparison;
}

/** The backends and settings a strategy works with; backends are created on first use. */
export interface StrategyContext {
  backend: (type: BackendType) => MarketplaceBackend;
  /** v2's time budget under fallback and compare. */
  v2TimeoutMs: number;
  fallbackOnError: boolean;
  /** Told, once, when an operation falls back or when the fallback failed too. */
  notice: (line: string) => void;
  v2Percentage: number;
  abTestingEnabled: boolean;
  /** The A/B bucket of this install (0..99), read lazily. */
  bucket: () => number;
}

export type Strategy = <T>(operation: RoutedOperation<T>, context: StrategyContext) => Promise<StrategyOutcome<T>>;

/** Error thrown by a failed attempt, kept with the attempt so that a strategy can rethrow it. */
export class AttemptFailure extends Error {
  readonly attempts: Attempt[];
  readonly failure: unknown;

  constructor(failure: unknown, attempts: Attempt[]) {
    super(failure instanceof Error ? failure.message : String(failure));
    this.name = 'AttemptFailure';
    this.failure = failure;
    this.attempts = attempts;
  }
}
