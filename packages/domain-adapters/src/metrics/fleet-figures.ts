import { MarketplaceError, readLimited } from '@ggen/marketplace-core';
import { FLEET_SERIES } from './fleet-series.js';
import type { RolloutFigures } from './rollout-status.js';

const D = FLEET_SERIES.attemptDuration;
const A = FLEET_SERIES.attempts;

/**
 * The rollout figures of the whole fleet, from Prometheus (which scrapes the Pushgateway that
 * every install pushes its cumulative series to): p95 from histogram buckets, error rates and
 * their v1/v2 difference from counters summed across every install id.
 *
 * Over `windowSeconds`, each counter counts what it gained in the window (PromQL `increase`),
 * so that a verdict judges that window, never a lifetime total: an install that stopped
 * reporting adds nothing (its series no longer grow), and one that re-pushes its whole history
 * adds only what is new since Prometheus last scraped it. Without a window, the totals the
 * series hold now (what a caller waits on to know Prometheus has scraped a push).
 */
export function fleetQueries(windowSeconds?: number) {
  const over = (series: string): string =>
    windowSeconds === undefined ? series : `increase(${series}[${Math.max(1, Math.round(windowSeconds))}s])`;
  const sum = (series: string): string => `sum(${over(series)})`;
  const p95 = (operation: string): string =>
    `histogram_quantile(0.95, sum by (le) (${over(`${D}_bucket{operation="${operation}",backend="v2"}`)}))`;
  const perInstall = `sum by (install_id) (${over(FLEET_SERIES.operations)})`;
  return {
    searchV2Count: sum(`${D}_count{operation="search",backend="v2"}`),
    searchV2P95: p95('search'),
    installV2Count: sum(`${D}_count{operation="install",backend="v2"}`),
    installV2P95: p95('install'),
    v2Judged: sum(`${A}{backend="v2",result=~"ok|backend_error"}`),
    v2Failures: sum(`${A}{backend="v2",result="backend_error"}`),
    v1Judged: sum(`${A}{backend="v1",result=~"ok|backend_error"}`),
    v1Failures: sum(`${A}{backend="v1",result="backend_error"}`),
    fallbacksAttempted: sum(FLEET_SERIES.fallbacks),
    fallbacksSucceeded: sum(`${FLEET_SERIES.fallbacks}{result="succeeded"}`),
    compareSearches: sum(`${FLEET_SERIES.compareOverlap}_count`),
    compareOverlapSum: sum(`${FLEET_SERIES.compareOverlap}_sum`),
    operations: sum(FLEET_SERIES.operations),
    /** Installs that report operations. */
    installs: `count(${perInstall} > 0)`,
    /** Series that no install can produce: a counter or histogram below zero (now, whatever the window). */
    negativeSeries: `count({__name__=~"ggen_marketplace_.+"} < 0)`,
    /** The largest share of the fleet's operations: the busiest install's count. */
    busiestInstall: `max(${perInstall})`,
  };
}

/** The fleet's totals now: the queries without a window. */
export const FLEET_QUERIES = fleetQueries();

/** With at least this many installs, none may account for more than half the operations. */
const DOMINANCE_MIN_INSTALLS = 3;

/** One instant query; an empty answer is null (no such series yet). */
export async function promQuery(prometheus: string, query: string, timeoutMs: number): Promise<number | null> {
  const url = `${prometheus.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`;
  let body: {
    status?: string;
    error?: string;
    data?: { resultType?: string; result?: { value?: [number, string] }[] };
  };
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    // One instant vector of a few series: an answer past a megabyte is not Prometheus's.
    body = JSON.parse(Buffer.from(await readLimited(response, url, 1024 * 1024)).toString('utf8')) as typeof body;
  } catch (cause) {
    throw new MarketplaceError(
      'GGEN_E_REGISTRY_UNREACHABLE',
      `Cannot query Prometheus at ${prometheus}: ${(cause as Error).message}`,
      {
        hint: 'Check the --prometheus URL (the server, not the Pushgateway), e.g. http://127.0.0.1:9090.',
        cause,
        details: { location: prometheus },
      },
    );
  }
  if (body.status !== 'success') {
    throw new MarketplaceError(
      'GGEN_E_BACKEND_MALFORMED',
      `Prometheus refused ${query}: ${body.error ?? 'no status'}`,
      {
        hint: 'Is this a Prometheus server?',
        details: { location: prometheus },
      },
    );
  }
  const value = body.data?.result?.[0]?.value?.[1];
  if (value === undefined) return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

export async function figuresFromPrometheus(
  prometheus: string,
  timeoutMs: number,
  windowSeconds: number,
): Promise<RolloutFigures & { installs: number }> {
  const entries = await Promise.all(
    Object.entries(fleetQueries(windowSeconds)).map(
      async ([key, query]) => [key, await promQuery(prometheus, query, timeoutMs)] as const,
    ),
  );
  const q = Object.fromEntries(entries) as Record<keyof typeof FLEET_QUERIES, number | null>;
  // Counts over a window are extrapolated to its edges by PromQL: whole operations are judged.
  const n = (value: number | null): number => Math.round(value ?? 0);
  // Figures no honest fleet produces are refused, not judged: a forged push must not buy an ADVANCE.
  const impossible = (reason: string): MarketplaceError =>
    new MarketplaceError(
      'GGEN_E_BACKEND_MALFORMED',
      `The fleet's figures in ${prometheus} cannot be judged: ${reason}`,
      {
        hint: 'Remove the offending install group from the Pushgateway (DELETE /metrics/job/ggen/install_id/<id>), then judge again.',
        details: { location: prometheus },
      },
    );
  if (n(q.negativeSeries) > 0) throw impossible(`${n(q.negativeSeries)} series are negative (a counter never is)`);
  if (n(q.installs) >= DOMINANCE_MIN_INSTALLS && n(q.busiestInstall) > n(q.operations) / 2)
    throw impossible(
      `one install accounts for ${n(q.busiestInstall)} of ${n(q.operations)} operations, more than all the others together`,
    );
  const ms = (seconds: number | null, count: number): number | null =>
    seconds === null || count === 0 ? null : seconds * 1000;
  return {
    searchV2: { count: n(q.searchV2Count), p95: ms(q.searchV2P95, n(q.searchV2Count)) },
    installV2: { count: n(q.installV2Count), p95: ms(q.installV2P95, n(q.installV2Count)) },
    v2: { judged: n(q.v2Judged), failures: n(q.v2Failures) },
    v1: { judged: n(q.v1Judged), failures: n(q.v1Failures) },
    fallbacks: { attempted: n(q.fallbacksAttempted), succeeded: n(q.fallbacksSucceeded) },
    compare: {
      searches: n(q.compareSearches),
      meanOverlapAt10: n(q.compareSearches) === 0 ? null : (q.compareOverlapSum ?? 0) / (q.compareSearches ?? 1),
    },
    operations: n(q.operations),
    installs: n(q.installs),
    latencyFromHistogram: true,
  };
}
