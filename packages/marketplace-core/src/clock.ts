/**
 * Milliseconds on a monotonic clock, for durations (query times, the operation records of the
 * metrics). The same clock as performance.now(), read without it: node builds `performance`
 * (and loads perf_hooks) on its first use, in every command that times something.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** A search's queryTimeMs: milliseconds since `started` (a monotonicMs reading), to the microsecond. */
export function queryTimeSince(started: number): number {
  return Math.round((monotonicMs() - started) * 1000) / 1000;
}
