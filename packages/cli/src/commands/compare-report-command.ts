import { buildCompareReport, type CompareReport } from '@ggen/domain-adapters';
import { defineCommand, defineGroup, table, truncate } from '../command-spec.js';
import { formatMs, metricsStore, parseSince, SINCE_OPTION } from '../metrics-options.js';

const ratio = (value: number | null | undefined): string =>
  value === null || value === undefined ? '-' : value.toFixed(3);

export const compareReportCommand = defineCommand({
  command: 'report',
  describe: 'What the compare strategy recorded: overlap of v1 and v2 results, worst queries, latency ratio',
  options: {
    ...SINCE_OPTION,
    worst: { type: 'number', default: 10, describe: 'how many of the least similar queries to list' },
  },
  builder: (yargs) =>
    yargs
      .example('GGEN_MARKETPLACE_BACKEND=compare $0 marketplace search "rust web"', 'record a comparison')
      .example('$0 marketplace compare report --since 7d', 'then read the report'),
  run: (context, args): Promise<CompareReport> => {
    const since = parseSince(args.since);
    return Promise.resolve(buildCompareReport(metricsStore(context).read(since), since, args.worst));
  },
  render: (report) => {
    if (report.searches === 0 && report.others.compared === 0) {
      return 'No comparisons recorded. Run operations with --backend compare (or marketplace.backend: compare) first.';
    }
    const lines = [
      `searches compared: ${report.searches}`,
      `mean overlap@10:   ${ratio(report.meanOverlapAt10)}`,
      `mean RBO (p=0.9):  ${ratio(report.meanRbo)}`,
      `latency: v1 median ${formatMs(report.medianV1Ms)} ms, v2 median ${formatMs(report.medianV2Ms)} ms, ratio v2/v1 ${ratio(report.latencyRatio)}`,
    ];
    if (report.worst.length > 0) {
      const rows = [
        [
          'QUERY',
          'TIMES',
          'RESULTS V1',
          'RESULTS V2',
          'OVERLAP@10',
          'RBO',
          'ONLY IN V1 (TOP 10)',
          'ONLY IN V2 (TOP 10)',
        ],
      ];
      const count = (value: number | undefined): string => (value === undefined ? '-' : String(value));
      for (const entry of report.worst) {
        rows.push([
          truncate(entry.subject || '(filters only)', 30),
          String(entry.times),
          count(entry.v1Count),
          count(entry.v2Count),
          ratio(entry.overlapAt10),
          ratio(entry.rbo),
          truncate((entry.onlyV1 ?? []).slice(0, 3).join(', '), 40),
          truncate((entry.onlyV2 ?? []).slice(0, 3).join(', '), 40),
        ]);
      }
      lines.push('', 'least similar searches:', table(rows));
    }
    lines.push('', `info and resolution compared: ${report.others.compared}, differing: ${report.others.differing}`);
    for (const entry of report.others.examples)
      lines.push(`  ${entry.op} ${entry.subject}: ${(entry.fieldDifferences ?? []).join('; ')}`);
    return lines.join('\n');
  },
});

export const compareGroup = defineGroup({
  group: 'compare',
  describe: 'What the compare strategy recorded',
  subcommands: [compareReportCommand],
});
