import { describe, expect, it } from '@jest/globals';
import { judgeRollout, MIN_SAMPLE, type RolloutFigures, type RolloutStatus } from '@ggen/domain-adapters';
import { adapterConfig } from './helpers/adapter-fixtures.js';

// The plan's success criteria, each judged on both sides of its threshold: the suite that the
// phase gates run, and that criteria-mutations.test.ts proves fails when any criterion is
// loosened, made non-critical or dropped from its phase.

/** A fleet or install where every criterion of every phase is met, with samples to spare. */
const clean = (): RolloutFigures => ({
  searchV2: { count: 40, p95: 50 },
  installV2: { count: 40, p95: 100 },
  v2: { judged: 1000, failures: 0 },
  v1: { judged: 1000, failures: 0 },
  fallbacks: { attempted: 0, succeeded: 0 },
  compare: { searches: 0, meanOverlapAt10: null },
  operations: 2000,
});

function judged(phase: number, change: (figures: RolloutFigures) => void): RolloutStatus {
  const figures = clean();
  change(figures);
  return judgeRollout(adapterConfig(), figures, 0, phase);
}

/** The verdict, and the criteria that failed or lacked data. */
function outcome(status: RolloutStatus): { verdict: string; failed: string[] } {
  return {
    verdict: status.verdict,
    failed: status.criteria
      .filter((criterion) => criterion.state === 'fail' || criterion.state === 'not enough data')
      .map((criterion) => `${criterion.name}: ${criterion.state}`),
  };
}

const advance = { verdict: 'advance', failed: [] };

describe("the plan's criteria, each on both sides of its threshold", () => {
  it('advances phases 3, 4 and 6 when every figure is well inside its target', () => {
    for (const phase of [3, 4, 6]) expect(outcome(judged(phase, () => undefined))).toEqual(advance);
  });

  it('search p95 (v2) < 100 ms: holds at 100 ms from samples; a histogram at its 100 ms bound passes', () => {
    expect(outcome(judged(3, (f) => (f.searchV2.p95 = 99.9)))).toEqual(advance);
    expect(outcome(judged(3, (f) => (f.searchV2.p95 = 100)))).toEqual({
      verdict: 'hold',
      failed: ['search p95 (v2), ms: fail'],
    });
    const histogram = (p95: number) => (f: RolloutFigures) => {
      f.searchV2.p95 = p95;
      f.latencyFromHistogram = true;
    };
    expect(outcome(judged(3, histogram(100)))).toEqual(advance);
    expect(outcome(judged(6, histogram(100.5)))).toEqual({ verdict: 'hold', failed: ['search p95 (v2), ms: fail'] });
  });

  it('install p95 (v2) < 200 ms: judged from phase 4 on, a hold when missed', () => {
    expect(outcome(judged(4, (f) => (f.installV2.p95 = 199.9)))).toEqual(advance);
    expect(outcome(judged(4, (f) => (f.installV2.p95 = 200)))).toEqual({
      verdict: 'hold',
      failed: ['install p95 (v2), ms: fail'],
    });
    expect(outcome(judged(3, (f) => (f.installV2.p95 = 500)))).toEqual(advance);
  });

  it('error rate (v2) < 1%: a roll back at 1%, in every phase that judges operations', () => {
    for (const phase of [3, 4, 6]) {
      expect(outcome(judged(phase, (f) => (f.v2.failures = 9)))).toEqual(advance);
      expect(outcome(judged(phase, (f) => (f.v2.failures = 10))).verdict).toBe('roll back');
      expect(outcome(judged(phase, (f) => (f.v2.failures = 10))).failed).toContain('error rate (v2): fail');
    }
  });

  it('error rate (v1) < 1%: the baseline, a hold in phase 3', () => {
    expect(outcome(judged(3, (f) => (f.v1.failures = 9)))).toEqual(advance);
    expect(outcome(judged(3, (f) => (f.v1.failures = 10)))).toEqual({
      verdict: 'hold',
      failed: ['error rate (v1): fail'],
    });
  });

  it('error-rate difference < 5 points: a roll back at 5 points in phases 3 and 4', () => {
    expect(outcome(judged(4, (f) => (f.v1.failures = 49)))).toEqual(advance);
    for (const phase of [3, 4]) {
      const status = outcome(judged(phase, (f) => (f.v1.failures = 50)));
      expect(status.verdict).toBe('roll back');
      expect(status.failed).toContain('error-rate difference v1/v2, points: fail');
    }
  });

  it('fallback success > 99%: a roll back at 99%, judged on any sample', () => {
    const fallbacks = (attempted: number, succeeded: number) => (f: RolloutFigures) => {
      f.fallbacks = { attempted, succeeded };
    };
    expect(outcome(judged(6, fallbacks(1000, 991)))).toEqual(advance);
    expect(outcome(judged(6, fallbacks(1000, 990)))).toEqual({
      verdict: 'roll back',
      failed: ['fallback success: fail'],
    });
    expect(outcome(judged(6, fallbacks(1, 0)))).toEqual({ verdict: 'roll back', failed: ['fallback success: fail'] });
  });

  it('compare overlap@10 >= 0.5: a hold below it', () => {
    const overlap = (mean: number) => (f: RolloutFigures) => {
      f.compare = { searches: 40, meanOverlapAt10: mean };
    };
    expect(outcome(judged(3, overlap(0.5)))).toEqual(advance);
    expect(outcome(judged(3, overlap(0.49)))).toEqual({
      verdict: 'hold',
      failed: ['compare overlap@10 (mean): fail'],
    });
  });

  it(`needs ${MIN_SAMPLE} samples per criterion before it judges one`, () => {
    expect(MIN_SAMPLE).toBe(30);
    expect(outcome(judged(3, (f) => (f.searchV2.count = 30)))).toEqual(advance);
    expect(outcome(judged(3, (f) => (f.searchV2 = { count: 29, p95: 500 })))).toEqual({
      verdict: 'hold',
      failed: ['search p95 (v2), ms: not enough data'],
    });
    expect(outcome(judged(6, (f) => (f.v2 = { judged: 29, failures: 29 }))).verdict).toBe('hold');
  });
});
