import { MarketplaceError } from '@ggen/marketplace-core';
import { evaluateRollout, type Criterion, type RolloutStatus } from '@ggen/domain-adapters';
import { defineCommand, table } from '../command-spec.js';
import { adapterConfigOf } from '../parallel-backend.js';
import { metricsStore, parseSince, withSinceOption } from '../metrics-options.js';

const figure = ({ value, unit, name }: Criterion): string => {
  if (value === null) return '-';
  if (unit === 'ratio') return name.includes('overlap') ? value.toFixed(3) : `${(value * 100).toFixed(2)}%`;
  return value.toFixed(1);
};

/** What a gate's exit code says, for CI: 0 advance, 1 hold, 11 roll back. */
export const GATE_EXIT = { advance: 0, hold: 1, 'roll back': 11 } as const;

function renderStatus(status: RolloutStatus): string {
  const rows = [['CRITERION', 'VALUE', 'THRESHOLD', 'SAMPLE', 'STATE']];
  for (const criterion of status.criteria) rows.push([criterion.name, figure(criterion), criterion.threshold, String(criterion.sample), criterion.state]);
  const routing = Object.entries(status.routing)
    .map(([op, route]) => `${op}=${route.strategy}${route.strategy === 'ab-test' ? `@${route.v2Percentage}%` : ''}`)
    .join(' ');
  return [
    `phase ${status.phase}: ${status.phaseName}`,
    `routing: ${routing}`,
    `operations judged: ${status.operations}`,
    ...(status.criteria.length === 0 ? [] : ['', table(rows)]),
    '',
    `verdict: ${status.verdict.toUpperCase()} (${status.reason})`,
    `next: ${status.next}`,
  ].join('\n');
}

export const rolloutGateCommand = defineCommand({
  command: 'rollout gate',
  describe: 'Judge a phase like rollout status, and exit 0 only on advance (1 hold, 11 roll back): a gate for CI',
  builder: (yargs) =>
    withSinceOption(yargs)
      .option('phase', { type: 'number', describe: 'the phase to judge (default: the current one)' })
      .example('$0 marketplace rollout gate --since 24h', 'exit 0 only when the current phase may advance'),
  run: (context, args): Promise<RolloutStatus> => {
    if (args.phase !== undefined && (!Number.isInteger(args.phase) || args.phase < 1 || args.phase > 6)) {
      throw new MarketplaceError('GGEN_E_USAGE', `--phase is ${String(args.phase)}: the plan has phases 1 to 6`, { hint: 'ggen marketplace rollout gate --phase 3' });
    }
    const since = parseSince(args.since);
    return Promise.resolve(evaluateRollout(adapterConfigOf(context.config()), metricsStore(context).read(since), since, args.phase));
  },
  render: renderStatus,
  exitCode: (status) => GATE_EXIT[status.verdict],
});

export const rolloutStatusCommand = defineCommand({
  command: 'rollout status',
  describe: "Judge the current phase's success criteria from the recorded operations: advance, hold or roll back",
  builder: (yargs) => withSinceOption(yargs).example('$0 marketplace rollout status --since 24h', 'judge the last day'),
  run: (context, args): Promise<RolloutStatus> => {
    const since = parseSince(args.since);
    return Promise.resolve(evaluateRollout(adapterConfigOf(context.config()), metricsStore(context).read(since), since));
  },
  render: renderStatus,
});
