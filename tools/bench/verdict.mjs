// One PASS/MISS line per target, and a benchmark that missed any target exits non-zero: a check
// that cannot fail is not a gate. Every bench prints its figures first, then its verdicts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
let missed = 0;

/** Prints `PASS label` or `MISS label` and remembers a miss; returns whether it passed. */
export function verdict(passed, label) {
  console.log(`${passed ? 'PASS' : 'MISS'} ${label}`);
  if (!passed) {
    missed += 1;
    process.exitCode = 1;
  }
  return passed;
}

process.on('exit', () => {
  if (missed > 0) console.log(`${missed} target(s) missed`);
});

/** With BENCH_JSON_DIR set, a bench also writes its figures as `<dir>/<name>.json` (for tools/bench/perf-report.mjs). */
export function writeFigures(name, figures) {
  const dir = process.env.BENCH_JSON_DIR;
  if (dir === undefined || dir === '') return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${name}.json`),
    `${JSON.stringify({ name, node: process.version, at: new Date().toISOString(), ...figures }, null, 2)}\n`,
  );
}

/**
 * The median of the p95s of `rounds` equal slices of `values` (samples taken round after round):
 * how a gate judges an absolute latency target, so that one slow round on a shared machine is
 * not taken for the engine. `percentile` is the bench's nearest-rank percentile.
 */
export function medianOfRounds(values, rounds, percentile) {
  const size = Math.floor(values.length / rounds);
  const p95s = Array.from({ length: rounds }, (_, round) =>
    percentile(values.slice(round * size, (round + 1) * size), 95),
  );
  return percentile(p95s, 50);
}
