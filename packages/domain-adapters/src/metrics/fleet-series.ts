import { errorClassOfCode, ROUTED_OPERATIONS } from '@ggen/marketplace-core';
import type { OperationRecord } from './operation-record.js';
import { backendFailure, fallbackTotals } from './summarize-metrics.js';

/**
 * The fleet view: one install's cumulative series, named as Prometheus expects (`_seconds`,
 * counters `_total`, errors labelled by code and class), computed from its local record and
 * pushed to a Pushgateway group of its own (a push replaces the group, so every run pushes the
 * whole cumulative state). Prometheus scrapes the Pushgateway and sums across installs. The
 * plan's OpenTelemetry instruments (`marketplace.*`, OTLP push) are unchanged beside these.
 */
export const FLEET_SERIES = {
  attemptDuration: 'ggen_marketplace_attempt_duration_seconds',
  attempts: 'ggen_marketplace_attempts_total',
  errors: 'ggen_marketplace_errors_total',
  operations: 'ggen_marketplace_operations_total',
  selections: 'ggen_marketplace_selections_total',
  fallbacks: 'ggen_marketplace_fallbacks_total',
  compareOverlap: 'ggen_marketplace_compare_overlap_at10',
} as const;

/** Bucket bounds in seconds; the plan's thresholds (100 ms search, 200 ms install) are bounds, so p95 is exact at them. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string>;

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: Labels): string => {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '' : `{${entries.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}`;
};

class Counters {
  readonly #values = new Map<string, { labels: Labels; value: number }>();

  /** A series at 0 until something counts in it: present from an install's first push on. */
  ensure(labels: Labels): void {
    this.add(labels, 0);
  }

  add(labels: Labels, by = 1): void {
    const key = labelText(labels);
    const entry = this.#values.get(key) ?? { labels, value: 0 };
    entry.value += by;
    this.#values.set(key, entry);
  }

  lines(name: string): string[] {
    return [...this.#values.values()]
      .sort((a, b) => (labelText(a.labels) < labelText(b.labels) ? -1 : 1))
      .map((entry) => `${name}${labelText(entry.labels)} ${entry.value}`);
  }
}

/** The Prometheus text exposition (version 0.0.4) of these records' cumulative series. */
export function fleetSeriesText(records: readonly OperationRecord[]): string {
  const histograms = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();
  const attempts = new Counters();
  const errors = new Counters();
  const operations = new Counters();
  const selections = new Counters();
  const fallbacks = new Counters();
  let overlapSum = 0;
  let overlapCount = 0;
  // Every series a verdict reads exists from the first push, at 0: PromQL's increase() takes a
  // series' first sample as its baseline, so a series born in an outage (the first v2 failure)
  // would hide the outage's first scrape, and a dashboard panel would show no data until then.
  const histogramOf = (labels: Labels) => {
    const key = labelText(labels);
    const histogram = histograms.get(key) ?? { labels, buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 };
    histograms.set(key, histogram);
    return histogram;
  };
  for (const operation of ROUTED_OPERATIONS) {
    operations.ensure({ operation });
    for (const result of ['succeeded', 'failed']) fallbacks.ensure({ operation, result });
    for (const backend of ['v1', 'v2']) {
      histogramOf({ operation, backend });
      selections.ensure({ operation, backend });
      for (const result of ['ok', 'backend_error', 'refused']) attempts.ensure({ operation, backend, result });
    }
  }
  for (const record of records) {
    operations.add({ operation: record.op });
    if (record.ok) selections.add({ operation: record.op, backend: record.backend });
    for (const attempt of record.attempts) {
      if (attempt.plan === true) continue;
      const labels = { operation: record.op, backend: attempt.backend };
      const histogram = histogramOf(labels);
      const seconds = attempt.ms / 1000;
      DURATION_BUCKETS.forEach((bound, index) => {
        if (seconds <= bound) histogram.buckets[index] = (histogram.buckets[index] ?? 0) + 1;
      });
      histogram.sum += seconds;
      histogram.count += 1;
      const result = attempt.ok ? 'ok' : backendFailure(attempt) ? 'backend_error' : 'refused';
      attempts.add({ ...labels, result });
      if (!attempt.ok) {
        const code = attempt.error ?? 'GGEN_E_INTERNAL';
        errors.add({ ...labels, code, class: errorClassOfCode(code) });
      }
    }
    if (record.op === 'search' && record.comparison?.overlapAt10 !== undefined) {
      overlapSum += record.comparison.overlapAt10;
      overlapCount += 1;
    }
    const { attempted, succeeded } = fallbackTotals([record]);
    if (attempted > 0) fallbacks.add({ operation: record.op, result: succeeded > 0 ? 'succeeded' : 'failed' });
  }

  const out: string[] = [];
  out.push(
    `# HELP ${FLEET_SERIES.attemptDuration} Time of one backend attempt of an operation.`,
    `# TYPE ${FLEET_SERIES.attemptDuration} histogram`,
  );
  for (const histogram of [...histograms.values()].sort((a, b) =>
    labelText(a.labels) < labelText(b.labels) ? -1 : 1,
  )) {
    DURATION_BUCKETS.forEach((bound, index) => {
      out.push(
        `${FLEET_SERIES.attemptDuration}_bucket${labelText({ ...histogram.labels, le: String(bound) })} ${histogram.buckets[index] ?? 0}`,
      );
    });
    out.push(
      `${FLEET_SERIES.attemptDuration}_bucket${labelText({ ...histogram.labels, le: '+Inf' })} ${histogram.count}`,
    );
    out.push(`${FLEET_SERIES.attemptDuration}_sum${labelText(histogram.labels)} ${histogram.sum}`);
    out.push(`${FLEET_SERIES.attemptDuration}_count${labelText(histogram.labels)} ${histogram.count}`);
  }
  const counter = (name: string, help: string, values: Counters): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, ...values.lines(name));
  };
  counter(
    FLEET_SERIES.attempts,
    'Backend attempts by result: ok, backend_error (counted against the backend) or refused (a caller error or security verdict).',
    attempts,
  );
  counter(FLEET_SERIES.errors, 'Failed backend attempts by error code and class (caller, backend, security).', errors);
  counter(FLEET_SERIES.operations, 'Routed operations.', operations);
  counter(FLEET_SERIES.selections, 'Operations served, by the backend that served them.', selections);
  counter(
    FLEET_SERIES.fallbacks,
    'Operations handed to v1 after a v2 backend failure, by whether v1 then served them.',
    fallbacks,
  );
  out.push(
    `# HELP ${FLEET_SERIES.compareOverlap} overlap@10 of v1 and v2 results of compared searches.`,
    `# TYPE ${FLEET_SERIES.compareOverlap} summary`,
  );
  out.push(`${FLEET_SERIES.compareOverlap}_sum ${overlapSum}`, `${FLEET_SERIES.compareOverlap}_count ${overlapCount}`);
  return `${out.join('\n')}\n`;
}

/**
 * Replaces this install's group on a Pushgateway (`PUT /metrics/job/ggen/install_id/<id>`).
 * Throws on failure; the caller decides how loud to be (a command never fails for its telemetry).
 */
export async function pushFleetSeries(
  pushgateway: string,
  installId: string,
  text: string,
  timeoutMs: number,
): Promise<void> {
  const url = `${pushgateway.replace(/\/+$/, '')}/metrics/job/ggen/install_id/${encodeURIComponent(installId)}`;
  const response = await fetch(url, {
    method: 'PUT',
    body: text,
    headers: { 'content-type': 'text/plain; version=0.0.4' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`PUT ${url} answered ${response.status} ${(await response.text()).slice(0, 200)}`);
}
