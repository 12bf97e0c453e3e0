#!/usr/bin/env node
// The one test command (`npm test`): lint, typecheck, build and test every project with Nx,
// then add up Jest's --json results and end with one plain totals line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const resultsDir = join(root, 'dist', 'test-results');
const projects = readdirSync(join(root, 'packages')).filter((name) =>
  existsSync(join(root, 'packages', name, 'project.json')),
);

rmSync(resultsDir, { recursive: true, force: true });
// CI proves a real run: results restored from a cache would prove nothing about this machine.
const cacheFlags = process.env.CI === 'true' ? ['--skip-nx-cache'] : [];
const nx = spawnSync(
  process.execPath,
  [
    join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'),
    'run-many',
    '-t',
    'lint',
    'typecheck',
    'build',
    'test',
    '--nxBail=false',
    ...cacheFlags,
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' } },
);

let passed = 0;
let failed = 0;
const problems = [];
for (const project of projects) {
  const file = join(resultsDir, `${project}.json`);
  if (!existsSync(file)) {
    problems.push(`${project}: no test results (its build, lint or tests did not run)`);
    failed += 1;
    continue;
  }
  const result = JSON.parse(readFileSync(file, 'utf8'));
  passed += result.numPassedTests;
  failed += result.numFailedTests + result.numRuntimeErrorTestSuites;
  if (result.numPendingTests + result.numTodoTests > 0)
    problems.push(`${project}: ${result.numPendingTests + result.numTodoTests} skipped or todo tests`);
  if (result.numTotalTests === 0) problems.push(`${project}: no tests ran`);
}
for (const problem of problems) console.log(problem);
if (nx.status !== 0) console.log(`nx run-many exited with ${nx.status}`);
console.log(`Tests: ${passed} passed, ${failed} failed`);
process.exit(nx.status === 0 && failed === 0 && problems.length === 0 ? 0 : 1);
