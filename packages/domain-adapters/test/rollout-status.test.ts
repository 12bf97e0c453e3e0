import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ROUTED_OPERATIONS } from '@ggen/marketplace-core';
import {
  buildCompareReport,
  currentPhase,
  evaluateRollout,
  MetricsStore,
  MIN_SAMPLE,
  percentile,
  routingFor,
  summarizeMetrics,
  type AdapterConfig,
  type OperationRecord,
} from '@ggen/domain-adapters';
import { adapterConfig, tempDir } from './helpers/adapter-fixtures.js';

const record = (
  op: OperationRecord['op'],
  backend: 'v1' | 'v2',
  ms: number,
  ok = true,
  extra: Partial<OperationRecord> = {},
): OperationRecord => ({
  t: Date.now(),
  op,
  strategy: 'ab-test',
  backend,
  ok,
  ms,
  fallback: false,
  attempts: [{ backend, ok, ms, ...(ok ? {} : { error: 'GGEN_E_REGISTRY_UNREACHABLE' }) }],
  ...extra,
});
const many = (count: number, make: (index: number) => OperationRecord): OperationRecord[] =>
  Array.from({ length: count }, (_, index) => make(index));

describe('the plan phase of a configuration', () => {
  it('follows the rollout from v1 through A/B search and install to cutover', () => {
    expect(currentPhase(adapterConfig({ backend: 'v1' })).phase).toBe(2);
    expect(
      currentPhase(
        adapterConfig({
          backend: 'ab-test',
          v2_percentage: 10,
          enable_ab_testing: true,
          operations: { install: { backend: 'v1' } },
        }),
      ),
    ).toMatchObject({
      phase: 3,
      next: 'raise v2_percentage 10 -> 25',
    });
    expect(
      currentPhase(
        adapterConfig({ backend: 'ab-test', v2_percentage: 50, operations: { install: { v2_percentage: 25 } } }),
      ),
    ).toMatchObject({
      phase: 4,
      next: 'raise install v2_percentage 25 -> 50',
    });
    expect(currentPhase(adapterConfig({ backend: 'v2-with-fallback' })).phase).toBe(6);
  });
});

describe("what the plan's A/B blocks route", () => {
  const routes = (config: Partial<AdapterConfig>) =>
    Object.fromEntries(
      ROUTED_OPERATIONS.map((op) => {
        const routing = routingFor(adapterConfig(config), op);
        return [op, routing.strategy === 'ab-test' ? `ab-test ${routing.v2Percentage}%` : routing.strategy];
      }),
    );

  it('tests search alone in phase 3, at each share of its ramp', () => {
    for (const share of [10, 25, 50])
      expect(routes({ backend: 'ab-test', v2_percentage: share, enable_ab_testing: true })).toEqual({
        search: `ab-test ${share}%`,
        info: `ab-test ${share}%`,
        install: 'v1',
        update: 'v1',
        remove: 'v1',
        publish: 'v1',
      });
  });

  it('tests the installation operations in phase 4, search staying on v2 with fallback', () => {
    const day21 = {
      backend: 'ab-test',
      v2_percentage: 25,
      fallback_on_error: true,
      fallback_on_error_set: true,
    } as const;
    expect(routes(day21)).toEqual({
      search: 'v2-with-fallback',
      info: 'v2-with-fallback',
      install: 'ab-test 25%',
      update: 'ab-test 25%',
      remove: 'ab-test 25%',
      publish: 'v1',
    });
    expect(currentPhase(adapterConfig(day21)).phase).toBe(4);
    // The runbook's phase-4 rollback: installs back to v1, and with them update and remove.
    expect(routes({ ...day21, operations: { install: { backend: 'v1' } } })).toMatchObject({
      search: 'v2-with-fallback',
      install: 'v1',
      update: 'v1',
      remove: 'v1',
    });
  });

  it('tests every operation from 75% (day 31), and v2_percentage: 0 sends all of them to v1', () => {
    const day31 = routes({ backend: 'ab-test', v2_percentage: 75 });
    expect(new Set(Object.values(day31))).toEqual(new Set(['ab-test 75%']));
    const rolledBack = routes({ backend: 'ab-test', v2_percentage: 0, fallback_on_error_set: true });
    expect(Object.values(rolledBack).every((route) => route === 'v1' || route === 'ab-test 0%')).toBe(true);
    expect(rolledBack.search).toBe('ab-test 0%');
  });
});

describe('rollout status', () => {
  const phase4 = adapterConfig({
    backend: 'ab-test',
    v2_percentage: 50,
    enable_ab_testing: true,
    operations: { install: { v2_percentage: 25 } },
  });

  it('says "not enough data" with fewer samples than it needs', () => {
    const status = evaluateRollout(
      phase4,
      many(MIN_SAMPLE - 1, () => record('search', 'v2', 5)),
      0,
    );
    expect(status.verdict).toBe('hold');
    expect(status.reason).toContain('not enough data');
  });

  it('advances when every criterion of the phase is met, naming the next step', () => {
    const records = [
      ...many(40, (index) => record('search', 'v2', 10 + index)),
      ...many(40, (index) => record('search', 'v1', 12 + index)),
      ...many(40, (index) => record('install', 'v2', 50 + index)),
    ];
    const status = evaluateRollout(phase4, records, 0);
    expect(status.criteria.filter((criterion) => criterion.state === 'fail')).toEqual([]);
    expect(status).toMatchObject({ verdict: 'advance', next: 'raise install v2_percentage 25 -> 50' });
  });

  it('holds when v2 is too slow and rolls back when v2 errs', () => {
    const slow = [
      ...many(40, () => record('search', 'v2', 150)),
      ...many(40, () => record('search', 'v1', 5)),
      ...many(40, () => record('install', 'v2', 20)),
    ];
    expect(evaluateRollout(phase4, slow, 0)).toMatchObject({ verdict: 'hold', reason: 'failed: search p95 (v2), ms' });
    const failing = [
      ...many(40, (index) => record('search', 'v2', 5, index % 10 !== 0)),
      ...many(40, () => record('search', 'v1', 5)),
      ...many(40, () => record('install', 'v2', 20)),
    ];
    const status = evaluateRollout(phase4, failing, 0);
    expect(status.verdict).toBe('roll back');
    expect(status.next).toBe('set operations.install.v2_percentage: 0 (search stays in phase 3)');
    expect(status.criteria.find((criterion) => criterion.name === 'error rate (v2)')).toMatchObject({
      value: 0.05,
      state: 'fail',
    });
  });
});

describe('metrics summary and store', () => {
  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    expect([percentile(values, 0.5), percentile(values, 0.95), percentile(values, 0.99)]).toEqual([50, 95, 99]);
  });

  it('counts attempts per backend and fallbacks per served operation', () => {
    const fellBack: OperationRecord = {
      ...record('search', 'v1', 30),
      fallback: true,
      attempts: [
        { backend: 'v2', ok: false, ms: 25, error: 'GGEN_E_BACKEND_TIMEOUT' },
        { backend: 'v1', ok: true, ms: 5 },
      ],
    };
    const summary = summarizeMetrics([fellBack, record('search', 'v2', 3)], 0);
    expect(summary.rows).toEqual([
      expect.objectContaining({ operation: 'search', backend: 'v1', count: 1, errors: 0, selections: 1, fallbacks: 1 }),
      expect.objectContaining({
        operation: 'search',
        backend: 'v2',
        count: 2,
        errors: 1,
        errorRate: 0.5,
        selections: 1,
      }),
    ]);
    expect(summary.fallbacks).toEqual({ attempted: 1, succeeded: 1 });
  });

  it('rotates its file so that it stays bounded, and skips a torn line', () => {
    const dir = join(tempDir('ggen-metrics-'), 'metrics');
    const store = new MetricsStore(dir, 2_000);
    // One CLI run each: the store writes at the end of every run.
    for (let index = 0; index < 100; index += 1) {
      store.append(record('search', 'v2', index));
      store.flush();
    }
    // A line cut short by a crash mid-write.
    appendFileSync(join(dir, 'operations.jsonl'), '{"t":1,"op":"sea');
    expect(readdirSync(dir).sort()).toEqual(['operations.1.jsonl', 'operations.jsonl']);
    const kept = store.read();
    expect(kept.length).toBeGreaterThan(10);
    expect(kept.length).toBeLessThan(100);
    expect(kept.at(-1)?.ms).toBe(99);
  });
});

describe('rollout status on small fallback samples', () => {
  it('judges fallbacks on their true sample, and rolls back on one failed fallback', () => {
    const phase6 = adapterConfig({ backend: 'v2-with-fallback' });
    const fellBack = (ok: boolean): OperationRecord => ({
      ...record('search', 'v1', 20, ok),
      fallback: ok,
      strategy: 'v2-with-fallback',
      attempts: [
        { backend: 'v2', ok: false, ms: 5, error: 'GGEN_E_BACKEND_TIMEOUT' },
        { backend: 'v1', ok, ms: 15 },
      ],
    });
    const good = evaluateRollout(phase6, [...many(12, () => fellBack(true))], 0);
    expect(good.criteria.find((criterion) => criterion.name === 'fallback success')).toMatchObject({
      sample: 12,
      value: 1,
      state: 'pass',
    });
    const bad = evaluateRollout(phase6, [...many(11, () => fellBack(true)), fellBack(false)], 0);
    expect(bad.criteria.find((criterion) => criterion.name === 'fallback success')).toMatchObject({
      sample: 12,
      state: 'fail',
    });
    expect(bad.verdict).toBe('roll back');
  });
});

describe('compare report', () => {
  it('lists each distinct search once, with its mean figures and how often it was compared', () => {
    const compared = (subject: string, rbo: number): OperationRecord => ({
      ...record('search', 'v2', 10),
      strategy: 'compare',
      comparison: { subject, overlapAt10: rbo, rbo, onlyV1: [], onlyV2: [], v1Ms: 4, v2Ms: 8 },
    });
    const report = buildCompareReport(
      [compared('rust web', 0.7), compared('rust web', 0.9), compared('bibtex', 1), compared('agent', 0.95)],
      0,
    );
    expect(report.searches).toBe(4);
    expect(report.worst.map((entry) => [entry.subject, entry.times, Math.round((entry.rbo ?? 0) * 100) / 100])).toEqual(
      [
        ['rust web', 2, 0.8],
        ['agent', 1, 0.95],
        ['bibtex', 1, 1],
      ],
    );
    expect(report.latencyRatio).toBe(2);
  });
});
