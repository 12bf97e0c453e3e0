// One PASS/MISS line per target, and a benchmark that missed any target exits non-zero: a check
// that cannot fail is not a gate. Every bench prints its figures first, then its verdicts.
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
