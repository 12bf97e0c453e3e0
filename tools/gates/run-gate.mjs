#!/usr/bin/env node
// The release-time gate of one phase of the migration plan: runs that phase's checks in turn
// (builds, test suites, benchmarks) and exits non-zero if any of them failed or missed a
// target. `npx nx run workspace:gate-N` runs it; CI runs every phase as a matrix leg. The
// operational criteria (latency, error rates, fallbacks from recorded operations) are judged by
// `ggen marketplace rollout gate`, which the phase 3, 4 and 6 suites exercise end to end.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const jest = (project, ...args) => ({
  label: `tests of ${project}${args.length > 0 ? ` (${args.join(' ')})` : ''}`,
  cwd: join(root, 'packages', project),
  command: [
    process.execPath,
    '--experimental-vm-modules',
    '--no-warnings=ExperimentalWarning',
    join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
    '--ci',
    ...args,
  ],
});
const node = (label, ...args) => ({ label, cwd: root, command: [process.execPath, ...args] });
const nx = (...args) => ({
  label: `nx ${args.join(' ')}`,
  cwd: root,
  command: [process.execPath, join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), ...args],
});
const docs = (...files) => ({
  label: `documents present: ${files.join(', ')}`,
  check: () => files.filter((file) => !existsSync(join(root, file))),
});

// The plan's operational criteria on both sides of each threshold, and the proof that this suite
// fails when any criterion is loosened, made non-critical or dropped (a mutation per criterion).
const CRITERIA = jest('domain-adapters', 'test/rollout-criteria.test.ts', 'test/criteria-mutations.test.ts');

const PHASES = {
  1: [
    'feature gates: each build holds only its feature set',
    [nx('run-many', '-t', 'build'), jest('cli', 'test/feature-builds.test.ts', 'test/boundaries.test.ts')],
  ],
  2: [
    'adapter layer: both adapters pass the contract suites, fallback tested',
    [jest('marketplace-v1', 'test/v1-backend.test.ts'), jest('domain-adapters')],
  ],
  3: [
    'search migration: v2 search p95, relevance against v1 and BM25, error classes and fallback',
    [
      nx('run-many', '-t', 'build'),
      node('v2 search bench', '--max-old-space-size=8192', 'tools/bench/v2-bench.mjs'),
      node('relevance', 'tools/bench/relevance.mjs'),
      CRITERIA,
      jest('cli', 'test/cli-rollout-gate-e2e.test.ts', 'test/cli-plan-config-e2e.test.ts'),
    ],
  ],
  4: [
    'registry/installation migration: install p95, verified install, cross-format dependencies',
    [
      nx('run-many', '-t', 'build'),
      node('v1 bench (install)', 'tools/bench/v1-bench.mjs'),
      node('signed install bench', 'tools/bench/signed-install-bench.mjs'),
      CRITERIA,
      jest('cli', 'test/cli-attacks-e2e.test.ts', '-t', 'v2 lacks|update verifies'),
    ],
  ],
  5: [
    'publishing with signing: sign and verify round trips, minisign interop, Wycheproof',
    [
      nx('run-many', '-t', 'build'),
      jest('marketplace-v2', 'test/signing.test.ts'),
      jest('cli', 'test/cli-signing-e2e.test.ts'),
    ],
  ],
  6: [
    'cutover: SLOs, v2 the default, documents present',
    [
      nx('run-many', '-t', 'build'),
      node('adapter overhead bench', 'tools/bench/adapter-bench.mjs'),
      node('signed install bench', 'tools/bench/signed-install-bench.mjs'),
      CRITERIA,
      jest('cli', 'test/cli-plan-config-e2e.test.ts'),
      docs(
        'README.md',
        'CHANGELOG.md',
        'docs/user-guide.md',
        'docs/migration-runbook.md',
        'docs/publishers-migration.md',
        'docs/publishing.md',
        'docs/key-management.md',
        'docs/security.md',
        'docs/performance.md',
        'docs/performance-latency.svg',
        'docs/breaking-changes.md',
        'docs/deprecation-timeline.md',
        'docs/grafana/ggen-marketplace-dashboard.json',
      ),
      jest('cli', 'test/docs-e2e.test.ts'),
    ],
  ],
};

const phase = Number(process.argv[2]);
const entry = PHASES[phase];
if (entry === undefined) {
  console.error(`usage: run-gate.mjs <phase 1-6>`);
  process.exit(2);
}
const [title, steps] = entry;
console.log(`gate ${phase}: ${title}`);
const failed = [];
for (const step of steps) {
  let ok;
  if (step.check !== undefined) {
    const missing = step.check();
    ok = missing.length === 0;
    if (!ok) console.log(`missing: ${missing.join(', ')}`);
  } else {
    const [command, ...args] = step.command;
    ok =
      spawnSync(command, args, {
        cwd: step.cwd,
        stdio: 'inherit',
        env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
      }).status === 0;
  }
  console.log(`${ok ? 'PASS' : 'FAIL'} ${step.label}`);
  if (!ok) failed.push(step.label);
}
console.log(failed.length === 0 ? `gate ${phase}: PASS` : `gate ${phase}: FAIL (${failed.join('; ')})`);
process.exit(failed.length === 0 ? 0 : 1);
