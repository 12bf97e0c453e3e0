import { recordsAsPrometheusText, summarizeMetrics, type MetricsSummary } from '@ggen/domain-adapters';
import { defineCommand, table } from '../command-spec.js';
import { formatMs, formatPercent, metricsStore, parseSince, SINCE_OPTION } from '../metrics-options.js';

type MetricsResult = (MetricsSummary & { store: string; prometheus?: undefined }) | { prometheus: string };

export const metricsCommand = defineCommand({
  command: 'metrics',
  describe: 'Latency, errors, fallbacks and selections per backend and operation, from the local record',
  options: {
    ...SINCE_OPTION,
    prometheus: { type: 'boolean', default: false, describe: 'print the marketplace.* instruments as Prometheus text' },
  },
  builder: (yargs) =>
    yargs
      .example('$0 marketplace metrics --since 24h', 'the last day')
      .example(
        '$0 marketplace metrics --prometheus > /var/lib/node_exporter/ggen.prom',
        'for a Prometheus textfile collector',
      ),
  run: async (context, args): Promise<MetricsResult> => {
    const since = parseSince(args.since);
    const store = metricsStore(context);
    const records = store.read(since);
    if (args.prometheus) return { prometheus: await recordsAsPrometheusText(records) };
    return { ...summarizeMetrics(records, since), store: store.dir };
  },
  render: (result) => {
    if (result.prometheus !== undefined) return result.prometheus.trimEnd();
    if (result.operations === 0)
      return `No operations recorded${result.since > 0 ? ` since ${new Date(result.since).toISOString()}` : ''} (${result.store}).`;
    const rows = [
      ['OPERATION', 'BACKEND', 'COUNT', 'P50 MS', 'P95 MS', 'P99 MS', 'ERRORS', 'ERROR RATE', 'SERVED', 'FALLBACKS'],
    ];
    for (const row of result.rows) {
      rows.push([
        row.operation,
        row.backend,
        String(row.count),
        formatMs(row.p50),
        formatMs(row.p95),
        formatMs(row.p99),
        String(row.errors),
        formatPercent(row.errorRate),
        String(row.selections),
        String(row.fallbacks),
      ]);
    }
    const { attempted, succeeded } = result.fallbacks;
    return [
      table(rows),
      '',
      `${result.operations} operation(s)${result.since > 0 ? ` since ${new Date(result.since).toISOString()}` : ''}; fallbacks to v1: ${attempted} attempted, ${succeeded} succeeded`,
      `(COUNT, latency and errors are per backend attempt; ERRORS are backend failures: a caller's mistake or a refused signature is not one; SERVED counts the operations each backend answered)`,
    ].join('\n');
  },
});
