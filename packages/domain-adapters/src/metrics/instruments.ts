import { backendFailure } from './summarize-metrics.js';
import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import type { OperationRecord } from './operation-record.js';

/** The plan's instrument names (MIGRATION-PLAN.md, Monitoring Dashboard), each with `backend`. */
export const INSTRUMENT_NAMES = {
  searchLatency: 'marketplace.search.latency',
  searchErrorRate: 'marketplace.search.error_rate',
  installLatency: 'marketplace.install.latency',
  installSuccessRate: 'marketplace.install.success_rate',
  publishSignatureRate: 'marketplace.publish.signature_rate',
  fallbackCount: 'marketplace.adapter.fallback_count',
  backendSelection: 'marketplace.backend.selection',
  selectionTime: 'marketplace.adapter.selection_time',
  verificationRate: 'marketplace.signature.verification_rate',
} as const;

export interface MarketplaceInstruments {
  record(record: OperationRecord): void;
}

/**
 * Rates are histograms of 0/1 samples: their sum over their count is the rate, and they
 * aggregate across processes and backends without losing the denominator.
 */
export function createInstruments(meter: Meter): MarketplaceInstruments {
  const ratio = (name: string, description: string): Histogram =>
    meter.createHistogram(name, { description, unit: '1', advice: { explicitBucketBoundaries: [0.5] } });
  const searchLatency = meter.createHistogram(INSTRUMENT_NAMES.searchLatency, {
    description: 'search latency per backend attempt',
    unit: 'ms',
  });
  const searchErrorRate = ratio(INSTRUMENT_NAMES.searchErrorRate, '1 per failed search attempt, 0 per served one');
  const installLatency = meter.createHistogram(INSTRUMENT_NAMES.installLatency, {
    description: 'install latency per backend attempt',
    unit: 'ms',
  });
  const installSuccessRate = ratio(
    INSTRUMENT_NAMES.installSuccessRate,
    '1 per successful install attempt, 0 per failed one',
  );
  const publishSignatureRate = ratio(INSTRUMENT_NAMES.publishSignatureRate, '1 per signed publish, 0 per unsigned one');
  const fallbackCount: Counter = meter.createCounter(INSTRUMENT_NAMES.fallbackCount, {
    description: 'operations served by v1 after v2 failed',
  });
  const backendSelection: Counter = meter.createCounter(INSTRUMENT_NAMES.backendSelection, {
    description: 'operations per serving backend',
  });
  const selectionTime = meter.createHistogram(INSTRUMENT_NAMES.selectionTime, {
    description: "the adapter's own time per operation (routing, checks, recording): the operation less its attempts",
    unit: 'ms',
  });
  const verificationRate = ratio(
    INSTRUMENT_NAMES.verificationRate,
    '1 per package whose signature was verified, 0 per install refused for its signature',
  );
  return {
    record(record) {
      const attempted = record.attempts.reduce((sum, attempt) => sum + attempt.ms, 0);
      selectionTime.record(Math.max(0, record.ms - attempted), { operation: record.op });
      for (let count = 0; count < (record.verified ?? 0); count += 1)
        verificationRate.record(1, { backend: record.backend });
      for (const attempt of record.attempts) {
        if (attempt.plan === true) continue;
        const attributes = { backend: attempt.backend };
        if (attempt.error?.startsWith('GGEN_E_SIGNATURE_') === true) verificationRate.record(0, attributes);
        // Rates count backend failures only: a mistyped name or a refused signature is an answer (errors.ts classes).
        const judged = attempt.ok || backendFailure(attempt);
        if (record.op === 'search') {
          searchLatency.record(attempt.ms, attributes);
          if (judged) searchErrorRate.record(attempt.ok ? 0 : 1, attributes);
        } else if (record.op === 'install') {
          installLatency.record(attempt.ms, attributes);
          if (judged) installSuccessRate.record(attempt.ok ? 1 : 0, attributes);
        }
      }
      if (record.op === 'publish' && record.ok && record.signed !== undefined)
        publishSignatureRate.record(record.signed ? 1 : 0, { backend: record.backend });
      if (record.fallback) fallbackCount.add(1, { backend: 'v1', operation: record.op });
      backendSelection.add(1, { backend: record.backend, operation: record.op, strategy: record.strategy });
    },
  };
}
