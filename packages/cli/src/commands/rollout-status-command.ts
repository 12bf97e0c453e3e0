import { MarketplaceError } from '@ggen/marketplace-core';
import {
  evaluateRollout,
  figuresFromPrometheus,
  judgeRollout,
  type Criterion,
  type RolloutStatus,
} from '@ggen/domain-adapters';
import type { Options } from 'yargs';
import type { CliContext } from '../cli-context.js';
import { defineCommand, defineGroup, table } from '../command-spec.js';
import { adapterConfigOf } from '../parallel-backend.js';
import { metricsStore, parseSince, SINCE_OPTION } from '../metrics-options.js';

const figure = ({ value, unit, name }: Criterion): string => {
  if (value === null) return '-';
  if (unit === 'ratio') return name.includes('overlap') ? value.toFixed(3) : `${(value * 100).toFixed(2)}%`;
  return value.toFixed(1);
};

/** The fleet (Prometheus, every install's pushed series) or this install's local record. */
async function statusOf(
  context: CliContext,
  args: { since: string | undefined; prometheus: string | undefined },
  phase?: number,
): Promise<RolloutStatus & { source: string; installs?: number }> {
  const config = adapterConfigOf(context.config());
  if (args.prometheus !== undefined) {
    if (args.since !== undefined) {
      throw new MarketplaceError(
        'GGEN_E_USAGE',
        "--since applies to the local record; --prometheus judges every install's cumulative series",
        {
          hint: 'Drop --since, or drop --prometheus to judge this install alone.',
        },
      );
    }
    const figures = await figuresFromPrometheus(args.prometheus, context.config().config.timeout_ms);
    return {
      ...judgeRollout(config, figures, 0, phase),
      source: `prometheus ${args.prometheus}`,
      installs: figures.installs,
    };
  }
  const since = parseSince(args.since);
  return { ...evaluateRollout(config, metricsStore(context).read(since), since, phase), source: 'local record' };
}

/** The flags of `rollout status` and `rollout gate`. */
const JUDGE_OPTIONS = {
  ...SINCE_OPTION,
  prometheus: {
    type: 'string',
    describe: "judge the fleet: every install's series in this Prometheus (http://host:9090)",
  },
} as const satisfies Record<string, Options>;

/** What a gate's exit code says, for CI: 0 advance, 1 hold, 11 roll back. */
export const GATE_EXIT = { advance: 0, hold: 1, 'roll back': 11 } as const;

function renderStatus(status: RolloutStatus & { source?: string; installs?: number }): string {
  const rows = [['CRITERION', 'VALUE', 'THRESHOLD', 'SAMPLE', 'STATE']];
  for (const criterion of status.criteria)
    rows.push([criterion.name, figure(criterion), criterion.threshold, String(criterion.sample), criterion.state]);
  const routing = Object.entries(status.routing)
    .map(([op, route]) => `${op}=${route.strategy}${route.strategy === 'ab-test' ? `@${route.v2Percentage}%` : ''}`)
    .join(' ');
  return [
    `phase ${status.phase}: ${status.phaseName}`,
    `routing: ${routing}`,
    `operations judged: ${status.operations}${status.source === undefined ? '' : ` (${status.source}${status.installs === undefined ? '' : `, ${status.installs} install(s)`})`}`,
    ...(status.criteria.length === 0 ? [] : ['', table(rows)]),
    '',
    `verdict: ${status.verdict.toUpperCase()} (${status.reason})`,
    `next: ${status.next}`,
  ].join('\n');
}

export const rolloutGateCommand = defineCommand({
  command: 'gate',
  describe: 'Judge a phase like rollout status, and exit 0 only on advance (1 hold, 11 roll back): a gate for CI',
  options: {
    ...JUDGE_OPTIONS,
    phase: { type: 'number', describe: 'the phase to judge (default: the current one)' },
  },
  builder: (yargs) =>
    yargs.example('$0 marketplace rollout gate --since 24h', 'exit 0 only when the current phase may advance'),
  run: (context, args) => {
    if (args.phase !== undefined && (!Number.isInteger(args.phase) || args.phase < 1 || args.phase > 6)) {
      throw new MarketplaceError('GGEN_E_USAGE', `--phase is ${String(args.phase)}: the plan has phases 1 to 6`, {
        hint: 'ggen marketplace rollout gate --phase 3',
      });
    }
    return statusOf(context, args, args.phase);
  },
  render: renderStatus,
  exitCode: (status) => GATE_EXIT[status.verdict],
});

export const rolloutStatusCommand = defineCommand({
  command: 'status',
  describe: "Judge the current phase's success criteria from the recorded operations: advance, hold or roll back",
  options: JUDGE_OPTIONS,
  builder: (yargs) =>
    yargs
      .example('$0 marketplace rollout status --since 24h', 'judge the last day')
      .example('$0 marketplace rollout status --prometheus http://127.0.0.1:9090', 'judge the whole fleet'),
  run: (context, args) => statusOf(context, args),
  render: renderStatus,
});

export const rolloutGroup = defineGroup({
  group: 'rollout',
  describe: 'The migration phase: its criteria judged (status), or as a gate (gate)',
  subcommands: [rolloutStatusCommand, rolloutGateCommand],
});
