import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';

// A gate that cannot fail is not a gate. Each mutation below loosens, breaks or drops one of the
// plan's criteria in a copy of rollout-status.ts; the criteria suite the phase gates run
// (rollout-criteria.test.ts) is then run against that copy and must fail. The copy lives under
// the workspace's dist/ (ignored by git, lint and typecheck); the sources are never touched.

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workspaceRoot = resolve(packageRoot, '..', '..');
const original = join(packageRoot, 'src', 'metrics', 'rollout-status.ts');
const mutantsDir = join(workspaceRoot, 'dist', 'criteria-mutants', String(process.pid));

/** [what it does, a snippet found exactly once in rollout-status.ts, what replaces it]. */
const MUTATIONS: [string, string, string][] = [
  ['search p95 target 100 -> 150 ms', 'searchP95Ms: 100,', 'searchP95Ms: 150,'],
  ['install p95 target 200 -> 300 ms', 'installP95Ms: 200,', 'installP95Ms: 300,'],
  ['error rate target 1% -> 50%', 'errorRate: 0.01,', 'errorRate: 0.5,'],
  ['error-rate difference 5 -> 50 points', 'errorRateDifference: 0.05,', 'errorRateDifference: 0.5,'],
  ['fallback success 99% -> 50%', 'fallbackSuccess: 0.99,', 'fallbackSuccess: 0.5,'],
  ['compare overlap 0.5 -> 0.1', 'compareOverlap: 0.5,', 'compareOverlap: 0.1,'],
  ['minimum sample 30 -> 1', 'export const MIN_SAMPLE = 30;', 'export const MIN_SAMPLE = 1;'],
  [
    'error rate (v2) made non-critical',
    '(value) => value < THRESHOLDS.errorRate,\n      true,',
    '(value) => value < THRESHOLDS.errorRate,\n      false,',
  ],
  [
    'error-rate difference made non-critical',
    '(value) => value < THRESHOLDS.errorRateDifference * 100,\n      true,',
    '(value) => value < THRESHOLDS.errorRateDifference * 100,\n      false,',
  ],
  [
    'fallback success made non-critical',
    'sample: fallbacks.attempted,\n    critical: true,',
    'sample: fallbacks.attempted,\n    critical: false,',
  ],
  ['a p95 from samples judged at or under the target', ': value < target;', ': value <= target;'],
  [
    'error rate (v2) not judged in phase 3',
    'THRESHOLDS.errorRate,\n      true,\n      phase.phase >= 3,',
    'THRESHOLDS.errorRate,\n      true,\n      phase.phase >= 4,',
  ],
  [
    'fallbacks judged only after 30 of them',
    'if (fallbacks.attempted === 0) return',
    'if (fallbacks.attempted < 30) return',
  ],
];

/** Runs the criteria suite against `source` in place of rollout-status.ts; resolves to jest's exit code. */
function runCriteriaSuite(name: string, source: string): Promise<number> {
  const dir = join(mutantsDir, name);
  mkdirSync(dir, { recursive: true });
  // The copy's own relative imports point back at the real sources beside the original.
  const mutant = source.replace(
    /from '(\.{1,2}\/[^']+)\.js'/g,
    (_, path: string) => `from '${join(dirname(original), path)}'`,
  );
  writeFileSync(join(dir, 'rollout-status.ts'), mutant);
  const config = join(dir, 'jest.config.mjs');
  writeFileSync(
    config,
    [
      `import { createJestConfig } from ${JSON.stringify(join(workspaceRoot, 'jest.preset.mjs'))};`,
      `const base = createJestConfig('criteria-mutant', { rootDir: ${JSON.stringify(packageRoot)} });`,
      'export default { ...base, globalSetup: undefined, globalTeardown: undefined, moduleNameMapper: {',
      `  '(^|/)rollout-status(\\\\.js)?$': ${JSON.stringify(join(dir, 'rollout-status.ts'))},`,
      '  ...base.moduleNameMapper,',
      '} };',
    ].join('\n'),
  );
  return new Promise((resolveCode, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--experimental-vm-modules',
        '--no-warnings=ExperimentalWarning',
        join(workspaceRoot, 'node_modules', 'jest', 'bin', 'jest.js'),
        '--config',
        config,
        '--ci',
        '--silent',
        'test/rollout-criteria.test.ts',
      ],
      { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      resolveCode(code ?? 1);
    });
  });
}

afterAll(() => {
  rmSync(mutantsDir, { recursive: true, force: true });
});

describe('the criteria suite fails on every mutation of a criterion', () => {
  const source = readFileSync(original, 'utf8');

  it('finds each mutated snippet exactly once in rollout-status.ts', () => {
    for (const [label, from, to] of MUTATIONS) {
      expect({ label, found: source.split(from).length - 1, changes: from !== to }).toEqual({
        label,
        found: 1,
        changes: true,
      });
    }
  });

  it('passes on the unmutated copy (so a failure below is the mutation, not the harness)', async () => {
    expect(await runCriteriaSuite('unmutated', source)).toBe(0);
  }, 120_000);

  it('fails on each mutation', async () => {
    const survivors: string[] = [];
    // Two at a time: a 2-core machine runs the whole set in about a minute.
    const queue = MUTATIONS.map((mutation, index) => ({ mutation, index }));
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const [label, from, to] = next.mutation;
        const code = await runCriteriaSuite(`m${next.index}`, source.replace(from, to));
        if (code === 0) survivors.push(label);
      }
    };
    await Promise.all([worker(), worker()]);
    expect(survivors).toEqual([]);
  }, 600_000);
});
