import { evaluateRollout, type Criterion, type RolloutStatus } from '@ggen/domain-adapters';
import { defineCommand, table } from '../command-spec.js';
import { metricsStore, parseSince, withSinceOption } from '../metrics-options.js';

const figure = ({ value, unit, name }: Criterion): string => {
  if (value === null) return '-';
  if (unit === 'ratio') return name.includes('overlap') ? value.toFixed(3) : `${(value * 100).toFixed(2)}%`;
  return value.toFixed(1);
};

export const rolloutStatusCommand = defineCommand({
  command: 'rollout status',
  describe: "Judge the current phase's success criteria from the recorded operations: advance, hold or roll back",
  builder: (yargs) => withSinceOption(yargs).example('$0 marketplace rollout status --since 24h', 'judge the last day'),
  run: (context, args): Promise<RolloutStatus> => {
    const since = parseSince(args.since);
    return Promise.resolve(evaluateRollout(context.config().config, metricsStore(context).read(since), since));
  },
  render: (status) => {
    const rows = [['CRITERION', 'VALUE', 'THRESHOLD', 'SAMPLE', 'STATE']];
    for (const criterion of status.criteria) rows.push([criterion.name, figure(criterion), criterion.threshold, String(criterion.sample), criterion.state]);
    const routing = Object.entries(status.routing)
      .map(([op, route]) => `${op}=${route.strategy}${route.strategy === 'ab-test' ? `@${route.v2Percentage}%` : ''}`)
      .join(' ');
    return [
      `phase ${status.phase}: ${status.phaseName}`,
      `routing: ${routing}`,
      `operations judged: ${status.operations}`,
      '',
      table(rows),
      '',
      `verdict: ${status.verdict.toUpperCase()} (${status.reason})`,
      `next: ${status.next}`,
    ].join('\n');
  },
});
