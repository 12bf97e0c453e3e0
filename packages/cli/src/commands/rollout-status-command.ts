import { MarketplaceError } from '@ggen/marketplace-core';
import {
  evaluateRollout,
  figuresFromPrometheus,
  judgeRollout,
  RECORDED_PHASES,
  type Criterion,
  type RolloutStatus,
} from '@ggen/domain-adapters';
import type { Options } from 'yargs';
import type { CliContext } from '../cli-context.js';
import { defineCommand, defineGroup, table } from '../command-spec.js';
import { adapterConfigOf } from '../parallel-backend.js';
import { metricsStore, parseSince } from '../metrics-options.js';

const figure = ({ value, unit, name }: Criterion): string => {
  if (value === null) return '-';
  if (unit === 'ratio') return name.includes('overlap') ? value.toFixed(3) : `${(value * 100).toFixed(2)}%`;
  return value.toFixed(1);
};

/** The window a verdict judges unless --since says otherwise (docs/migration-runbook.md states it). */
export const DEFAULT_WINDOW = '24h';

/**
 * The fleet (Prometheus, every install's pushed series) or this install's local record, over a
 * stated window. The fleet's phase is the operator's (--phase), never this machine's config: a
 * CI runner with none would otherwise judge the built-in default's phase.
 */
async function statusOf(
  context: CliContext,
  args: { since: string | undefined; prometheus: string | undefined; phase: number | undefined },
): Promise<RolloutStatus & { source: string; installs?: number }> {
  const { phase } = args;
  if (phase !== undefined && (!Number.isInteger(phase) || phase < 1 || phase > 6)) {
    throw new MarketplaceError('GGEN_E_USAGE', `--phase is ${String(phase)}: the plan has phases 1 to 6`, {
      hint: 'ggen marketplace rollout gate --phase 3',
    });
  }
  const config = adapterConfigOf(context.config());
  const window = args.since ?? DEFAULT_WINDOW;
  const since = parseSince(window);
  const stated = args.since === undefined ? `the last ${DEFAULT_WINDOW}` : `since ${args.since}`;
  if (args.prometheus !== undefined) {
    if (phase === undefined) {
      throw new MarketplaceError('GGEN_E_USAGE', 'Judging the fleet needs the phase it is in: --phase <1-6>', {
        hint: `ggen marketplace rollout gate --prometheus ${args.prometheus} --phase 3 (the phase comes from the operator, not this machine's config)`,
      });
    }
    const figures = await figuresFromPrometheus(
      args.prometheus,
      context.config().config.timeout_ms,
      (Date.now() - since) / 1000,
    );
    return {
      ...judgeRollout(config, figures, since, phase),
      source: `prometheus ${args.prometheus}, ${stated}`,
      installs: figures.installs,
    };
  }
  return {
    ...evaluateRollout(config, metricsStore(context).read(since), since, phase),
    source: `local record, ${stated}`,
  };
}

/** The flags of `rollout status` and `rollout gate`. */
const JUDGE_OPTIONS = {
  since: {
    type: 'string',
    describe: `judge operations since a duration ago (30m, 24h, 7d) or a date (default: the last ${DEFAULT_WINDOW})`,
  },
  phase: { type: 'number', describe: 'the phase to judge (default: the current one; needed with --prometheus)' },
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
  options: JUDGE_OPTIONS,
  builder: (yargs) =>
    yargs
      .example('$0 marketplace rollout gate --since 24h', 'exit 0 only when the current phase may advance')
      .example('$0 marketplace rollout gate --prometheus http://127.0.0.1:9090 --phase 3 --since 1h', 'the fleet'),
  run: async (context, args) => {
    const status = await statusOf(context, args);
    // Phases 1, 2 and 5 are judged from the repository: no recorded operation can pass them, so a
    // gate on them would hold for ever. Said as a usage error, with the gate that does judge them.
    if (!(RECORDED_PHASES as readonly number[]).includes(status.phase)) {
      throw new MarketplaceError(
        'GGEN_E_USAGE',
        `Phase ${status.phase}'s criteria are release-time checks: no recorded operation can pass them`,
        { hint: `Run its gate from the repository: npx nx run workspace:gate-${status.phase}` },
      );
    }
    return status;
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
      .example('$0 marketplace rollout status --prometheus http://127.0.0.1:9090 --phase 3', 'judge the whole fleet'),
  run: (context, args) => statusOf(context, args),
  render: renderStatus,
});

export const rolloutGroup = defineGroup({
  group: 'rollout',
  describe: 'The migration phase: its criteria judged (status), or as a gate (gate)',
  subcommands: [rolloutStatusCommand, rolloutGateCommand],
});
