import { ROUTED_OPERATIONS, type BackendStrategyName, type RoutedOperationName } from '@ggen/marketplace-core';
import { routingFor, type AdapterConfig } from '../dual-backend-adapter.js';
import { buildCompareReport } from './compare-report.js';
import type { OperationRecord } from './operation-record.js';
import { backendFailure, fallbackTotals, judgedAttempts, latencySummary } from './summarize-metrics.js';

/** Fewer samples than this and a figure is not judged. */
export const MIN_SAMPLE = 30;

export const THRESHOLDS = {
  searchP95Ms: 100,
  installP95Ms: 200,
  errorRate: 0.01,
  errorRateDifference: 0.05,
  fallbackSuccess: 0.99,
  compareOverlap: 0.5,
} as const;

export type CriterionState = 'pass' | 'fail' | 'not enough data' | 'n/a';

export interface Criterion {
  name: string;
  /** ms, a ratio 0..1, or percentage points. */
  unit: 'ms' | 'ratio' | 'points';
  value: number | null;
  threshold: string;
  sample: number;
  state: CriterionState;
  /** A failure that calls for rolling back, not only for holding. */
  critical: boolean;
}

export interface RolloutStatus {
  phase: number;
  phaseName: string;
  routing: Record<string, { strategy: BackendStrategyName; v2Percentage: number }>;
  verdict: 'advance' | 'hold' | 'roll back';
  reason: string;
  next: string;
  criteria: Criterion[];
  since: number;
  operations: number;
}

const PERCENT_STEPS = [10, 25, 50, 75, 100];
const nextStep = (percentage: number): number => PERCENT_STEPS.find((step) => step > percentage) ?? 100;
const usesV2 = (strategy: BackendStrategyName, percentage: number): boolean =>
  strategy !== 'v1' && !(strategy === 'ab-test' && percentage === 0);

/** The plan's phase that a configuration puts this install in. */
export function currentPhase(config: AdapterConfig): {
  phase: number;
  phaseName: string;
  next: string;
  rollback: string;
} {
  const search = routingFor(config, 'search');
  const install = routingFor(config, 'install');
  const full = (strategy: BackendStrategyName): boolean => strategy === 'v2' || strategy === 'v2-with-fallback';
  if (full(search.strategy) && full(install.strategy)) {
    return {
      phase: 6,
      phaseName: 'cutover: v2 is the default, v1 the fallback',
      next: 'stay: keep fallback_on_error true and watch the figures',
      rollback: 'set marketplace.backend: v1 (or ab-test with v2_percentage 0)',
    };
  }
  // One global A/B test, as the plan's blocks write it: its share says which phase it is (phase 3
  // starts search at 10%, phase 4 starts installs at 25% with fallback_on_error, phase 6 raises to 75%).
  const global =
    config.operations.search === undefined &&
    config.operations.install === undefined &&
    search.strategy === 'ab-test' &&
    config.enable_ab_testing;
  if (global && search.v2Percentage >= 75) {
    return {
      phase: 6,
      phaseName: `cutover: gradual traffic increase (ab-test ${search.v2Percentage}%)`,
      next: 'set marketplace.backend: v2 with fallback_on_error: true (day 32)',
      rollback: 'set v2_percentage back to 25',
    };
  }
  if (global && (search.v2Percentage < 25 || config.fallback_on_error_set !== true)) {
    const next =
      search.v2Percentage >= 50
        ? 'start phase 4: v2_percentage: 25 with fallback_on_error: true'
        : `raise v2_percentage ${search.v2Percentage} -> ${nextStep(search.v2Percentage)}`;
    return {
      phase: 3,
      phaseName: `search migration (ab-test ${search.v2Percentage}%)`,
      next,
      rollback: 'set v2_percentage: 0',
    };
  }
  if (usesV2(install.strategy, install.v2Percentage)) {
    const next =
      install.v2Percentage >= 75 || install.strategy === 'compare'
        ? 'set marketplace.backend: v2-with-fallback (phase 6 cutover)'
        : `raise install v2_percentage ${install.v2Percentage} -> ${nextStep(install.v2Percentage)}`;
    return {
      phase: 4,
      phaseName: `registry/installation migration (install ${install.strategy}${install.strategy === 'ab-test' ? ` ${install.v2Percentage}%` : ''})`,
      next,
      rollback: 'set operations.install.v2_percentage: 0 (search stays in phase 3)',
    };
  }
  if (usesV2(search.strategy, search.v2Percentage)) {
    const next =
      search.v2Percentage >= 50 || search.strategy !== 'ab-test'
        ? 'start phase 4: operations.install: { backend: ab-test, v2_percentage: 25 }'
        : `raise v2_percentage ${search.v2Percentage} -> ${nextStep(search.v2Percentage)}`;
    return {
      phase: 3,
      phaseName: `search migration (search ${search.strategy}${search.strategy === 'ab-test' ? ` ${search.v2Percentage}%` : ''})`,
      next,
      rollback: 'set v2_percentage: 0',
    };
  }
  return {
    phase: 2,
    phaseName: 'adapter layer: every operation through the adapters, v1 serving',
    next: 'start phase 3: backend: ab-test, v2_percentage: 10, enable_ab_testing: true',
    rollback: 'nothing to roll back: v1 serves everything',
  };
}

function judge(
  name: string,
  unit: Criterion['unit'],
  value: number | null,
  sample: number,
  threshold: string,
  passes: (value: number) => boolean,
  critical: boolean,
  applies = true,
): Criterion {
  if (!applies) return { name, unit, value, threshold, sample, state: 'n/a', critical };
  if (value === null || sample < MIN_SAMPLE)
    return { name, unit, value, threshold, sample, state: 'not enough data', critical };
  return { name, unit, value, threshold, sample, state: passes(value) ? 'pass' : 'fail', critical };
}

/**
 * Fallbacks are judged on any sample: they happen only when v2 fails, so waiting for 30 of
 * them would hide the failures that matter; one failed fallback is already a signal.
 */
function fallbackCriterion(fallbacks: { attempted: number; succeeded: number }): Criterion {
  const base = {
    name: 'fallback success',
    unit: 'ratio' as const,
    threshold: `> ${THRESHOLDS.fallbackSuccess * 100}%`,
    sample: fallbacks.attempted,
    critical: true,
  };
  if (fallbacks.attempted === 0) return { ...base, value: null, state: 'n/a' };
  const value = fallbacks.succeeded / fallbacks.attempted;
  return { ...base, value, state: value > THRESHOLDS.fallbackSuccess ? 'pass' : 'fail' };
}

/** Phases whose criteria the recorded operations can judge; 1, 2 and 5 are judged at release time from the repository. */
export const RECORDED_PHASES = [3, 4, 6] as const;

const PHASE_NAMES: Record<number, string> = {
  1: 'feature gates: v1, v2 and parallel builds, no leaks between them',
  2: 'adapter layer: both adapters pass the contract suites, fallback tested',
  3: 'search migration',
  4: 'registry/installation migration',
  5: 'crypto/signing: sign and verify round trip, verification rate',
  6: 'cutover: v2 is the default, v1 the fallback',
};

/** How every routed operation runs under this config, as status reports it. */
function routingOf(config: AdapterConfig): RolloutStatus['routing'] {
  return Object.fromEntries(ROUTED_OPERATIONS.map((op) => [op, routingFor(config, op)]));
}

/** The phase to judge: the current one, or the one asked for (`rollout gate --phase N`). */
function phaseFor(config: AdapterConfig, asked: number | undefined): ReturnType<typeof currentPhase> {
  const current = currentPhase(config);
  if (asked === undefined || asked === current.phase) return current;
  return {
    phase: asked,
    phaseName: PHASE_NAMES[asked] ?? `phase ${asked}`,
    next: current.next,
    rollback: current.rollback,
  };
}

/**
 * The figures the criteria are judged on, from wherever they come: one install's local record,
 * or the fleet's series in Prometheus. Samples are attempts; rates count backend failures only.
 */
export interface RolloutFigures {
  searchV2: { count: number; p95: number | null };
  installV2: { count: number; p95: number | null };
  v2: { judged: number; failures: number };
  v1: { judged: number; failures: number };
  fallbacks: { attempted: number; succeeded: number };
  compare: { searches: number; meanOverlapAt10: number | null };
  operations: number;
  /**
   * The p95 figures are estimated from histogram buckets (the fleet), not from the samples (one
   * install). A histogram whose bound is the target can only tell that 95% of the samples are
   * at or under it, so there a p95 at the target passes: `histogram_quantile` gives the bound
   * itself when the 95th percentile falls at the top of that bucket.
   */
  latencyFromHistogram?: boolean;
}

/** The figures of the recorded operations of this install. */
export function figuresFromRecords(records: readonly OperationRecord[], since: number): RolloutFigures {
  const attempts = (backend: 'v1' | 'v2', ops?: readonly RoutedOperationName[]) =>
    records.flatMap((record) =>
      ops === undefined || ops.includes(record.op)
        ? record.attempts.filter((attempt) => attempt.backend === backend && attempt.plan !== true)
        : [],
    );
  const searchV2 = latencySummary(attempts('v2', ['search']).map((attempt) => attempt.ms));
  const installV2 = latencySummary(attempts('v2', ['install']).map((attempt) => attempt.ms));
  // A caller's mistake or a security verdict is an answer, not a backend failure (errors.ts classes).
  const rates = (backend: 'v1' | 'v2'): { judged: number; failures: number } => {
    const judged = judgedAttempts(attempts(backend));
    return { judged: judged.length, failures: judged.filter((attempt) => backendFailure(attempt)).length };
  };
  const compare = buildCompareReport(records, since);
  return {
    searchV2: { count: searchV2.count, p95: searchV2.count === 0 ? null : searchV2.p95 },
    installV2: { count: installV2.count, p95: installV2.count === 0 ? null : installV2.p95 },
    v2: rates('v2'),
    v1: rates('v1'),
    fallbacks: fallbackTotals(records),
    compare: { searches: compare.searches, meanOverlapAt10: compare.meanOverlapAt10 },
    operations: records.length,
  };
}

/** The plan's success criteria for the current phase (or `phase`), judged from the recorded operations. */
export function evaluateRollout(
  config: AdapterConfig,
  records: readonly OperationRecord[],
  since: number,
  phaseAsked?: number,
): RolloutStatus {
  return judgeRollout(config, figuresFromRecords(records, since), since, phaseAsked);
}

/** A latency target as the figures can judge it: under it from samples, at or under a histogram bucket bound. */
const latencyTarget = (target: number, figures: RolloutFigures): string =>
  figures.latencyFromHistogram === true ? `<= ${target} (bucket bound)` : `< ${target}`;
const withinLatency = (value: number, target: number, figures: RolloutFigures): boolean =>
  figures.latencyFromHistogram === true ? value <= target + 1e-9 : value < target;

/** The plan's success criteria for the current phase (or `phase`), judged on the given figures. */
export function judgeRollout(
  config: AdapterConfig,
  figures: RolloutFigures,
  since: number,
  phaseAsked?: number,
): RolloutStatus {
  const phase = phaseFor(config, phaseAsked);
  if (phaseAsked !== undefined && !(RECORDED_PHASES as readonly number[]).includes(phaseAsked)) {
    return {
      phase: phase.phase,
      phaseName: phase.phaseName,
      routing: routingOf(config),
      verdict: 'hold',
      reason: `phase ${phaseAsked}'s criteria are release-time checks, not recorded operations`,
      next: 'judge them at release time, from the repository (npx nx run workspace:gate-N)',
      criteria: [],
      since,
      operations: figures.operations,
    };
  }
  const searchV2 = figures.searchV2;
  const installV2 = figures.installV2;
  const rate = (entry: { judged: number; failures: number }): number | null =>
    entry.judged === 0 ? null : entry.failures / entry.judged;
  const v2Rate = rate(figures.v2);
  const v1Rate = rate(figures.v1);
  const fallbacks = figures.fallbacks;
  const compare = figures.compare;
  const criteria = [
    judge(
      'search p95 (v2), ms',
      'ms',
      searchV2.p95,
      searchV2.count,
      latencyTarget(THRESHOLDS.searchP95Ms, figures),
      (value) => withinLatency(value, THRESHOLDS.searchP95Ms, figures),
      false,
      phase.phase >= 3,
    ),
    judge(
      'install p95 (v2), ms',
      'ms',
      installV2.p95,
      installV2.count,
      latencyTarget(THRESHOLDS.installP95Ms, figures),
      (value) => withinLatency(value, THRESHOLDS.installP95Ms, figures),
      false,
      phase.phase >= 4,
    ),
    judge(
      'error rate (v2)',
      'ratio',
      v2Rate,
      figures.v2.judged,
      `< ${THRESHOLDS.errorRate * 100}%`,
      (value) => value < THRESHOLDS.errorRate,
      true,
      phase.phase >= 3,
    ),
    judge(
      'error rate (v1)',
      'ratio',
      v1Rate,
      figures.v1.judged,
      `< ${THRESHOLDS.errorRate * 100}%`,
      (value) => value < THRESHOLDS.errorRate,
      false,
      phase.phase <= 3,
    ),
    judge(
      'error-rate difference v1/v2, points',
      'points',
      v1Rate === null || v2Rate === null ? null : Math.abs(v1Rate - v2Rate) * 100,
      Math.min(figures.v1.judged, figures.v2.judged),
      `< ${THRESHOLDS.errorRateDifference * 100}`,
      (value) => value < THRESHOLDS.errorRateDifference * 100,
      true,
      phase.phase >= 3 && phase.phase < 6,
    ),
    fallbackCriterion(fallbacks),
    compare.searches === 0
      ? {
          name: 'compare overlap@10 (mean)',
          unit: 'ratio' as const,
          value: null,
          threshold: `>= ${THRESHOLDS.compareOverlap}`,
          sample: 0,
          state: 'n/a' as const,
          critical: false,
        }
      : judge(
          'compare overlap@10 (mean)',
          'ratio',
          compare.meanOverlapAt10,
          compare.searches,
          `>= ${THRESHOLDS.compareOverlap}`,
          (value) => value >= THRESHOLDS.compareOverlap,
          false,
        ),
  ];
  const judged = criteria.filter((criterion) => criterion.state !== 'n/a');
  const failed = judged.filter((criterion) => criterion.state === 'fail');
  const unknown = judged.filter((criterion) => criterion.state === 'not enough data');
  let verdict: RolloutStatus['verdict'];
  let reason: string;
  let next: string;
  if (failed.some((criterion) => criterion.critical)) {
    verdict = 'roll back';
    reason = `failed: ${failed.map((criterion) => criterion.name).join(', ')}`;
    next = phase.rollback;
  } else if (failed.length > 0) {
    verdict = 'hold';
    reason = `failed: ${failed.map((criterion) => criterion.name).join(', ')}`;
    next = 'stay in this phase and fix what failed';
  } else if (unknown.length > 0 || judged.length === 0) {
    verdict = 'hold';
    reason = `not enough data (${MIN_SAMPLE} samples needed): ${unknown.map((criterion) => `${criterion.name} has ${criterion.sample}`).join(', ') || 'nothing recorded'}`;
    next = 'keep running in this phase until every figure has enough samples';
  } else {
    verdict = 'advance';
    reason = 'every criterion of this phase is met';
    next = phase.next;
  }
  return {
    phase: phase.phase,
    phaseName: phase.phaseName,
    routing: routingOf(config),
    verdict,
    reason,
    next,
    criteria,
    since,
    operations: figures.operations,
  };
}
