import { MarketplaceError } from '@ggen/marketplace-core';
import { metricsDir, MetricsStore } from '@ggen/domain-adapters';
import type { Options } from 'yargs';
import type { CliContext, GlobalArgs } from './cli-context.js';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since 30m | 24h | 7d | 2026-12-01 | 2026-12-01T10:00:00Z` as unix ms (0 when absent). */
export function parseSince(value: string | undefined, now = Date.now()): number {
  if (value === undefined) return 0;
  const relative = /^(\d+)\s*([smhdw])$/i.exec(value.trim());
  if (relative !== null) return now - Number(relative[1]) * (UNITS[(relative[2] ?? 's').toLowerCase()] ?? 1_000);
  const absolute = Date.parse(value);
  if (!Number.isNaN(absolute)) return absolute;
  throw new MarketplaceError('GGEN_E_USAGE', `--since '${value}' is neither a duration nor a date`, {
    hint: 'Use a duration such as 30m, 24h or 7d, or a date such as 2026-12-01.',
  });
}

/** `--since`, for the commands that read the local record. */
export const SINCE_OPTION = {
  since: { type: 'string', describe: 'only operations since a duration ago (30m, 24h, 7d) or a date' },
} as const satisfies Record<string, Options>;

export function metricsStore(context: CliContext): MetricsStore {
  return new MetricsStore(metricsDir(context.config().config.state_dir));
}

export type SinceArgs = GlobalArgs & { since: string | undefined };

export const formatMs = (value: number | null): string =>
  value === null ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(1);
export const formatPercent = (value: number | null): string => (value === null ? '-' : `${(value * 100).toFixed(2)}%`);
