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
