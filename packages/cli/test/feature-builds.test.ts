import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cliRoot, parseJson, runGgen, sampleRegistry, workspaceRoot } from './helpers/run-ggen.js';

const run = promisify(execFile);
const FEATURES = ['v1', 'v2', 'parallel', 'v2-default'] as const;

async function buildBundle(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(cliRoot, 'scripts', 'bundle.mjs'), ...args], {
      cwd: cliRoot,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}

// Built here into a directory of this test's own: other test files run the bundles in
// dist/ at the same time, and must never see them half rewritten.
// Inside dist/ so that the bundles still find oxigraph, which stays external, in node_modules.
const built = mkdtempSync(join(cliRoot, 'dist', 'feature-test-'));
const builtBundle = (features: (typeof FEATURES)[number]): string => join(built, features, 'ggen.mjs');

describe('feature builds', () => {
  beforeAll(async () => {
    for (const features of FEATURES) {
      const result = await buildBundle([`--features=${features}`, '--outdir', join(built, features)]);
      expect(result).toMatchObject({ code: 0 });
    }
  });
  afterAll(() => {
    rmSync(built, { recursive: true, force: true });
  });

  it.each([
    ['v1', ['v1'], false, 'v1'],
    ['v2', ['v2'], false, 'v2'],
    ['parallel', ['v1', 'v2'], true, 'v2-with-fallback'],
    ['v2-default', ['v1', 'v2'], true, 'v2'],
  ] as const)('the %s bundle runs and reports its backends', async (features, backends, adapters, defaultBackend) => {
    const result = await runGgen(['marketplace', 'features', '--json'], { bin: builtBundle(features) });
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(parseJson(result)).toEqual({ build: `marketplace-${features}`, backends, adapters, defaultBackend });
  });

  it('keeps v2, the adapters, oxigraph and sparqljs out of the v1 bundle', () => {
    const inputs = Object.keys((JSON.parse(readFileSync(join(built, 'v1', 'meta.json'), 'utf8')) as Metafile).inputs);
    expect(inputs.some((input) => input.startsWith('packages/marketplace-v1/'))).toBe(true);
    expect(
      inputs.filter((input) =>
        /packages\/(marketplace-v2|domain-adapters)\/|node_modules\/(oxigraph|sparqljs|n3)\//.test(input),
      ),
    ).toEqual([]);
    const parallel = Object.keys(
      (JSON.parse(readFileSync(join(built, 'parallel', 'meta.json'), 'utf8')) as Metafile).inputs,
    );
    expect(parallel.some((input) => input.startsWith('packages/domain-adapters/'))).toBe(true);
    expect(parallel.some((input) => input.startsWith('packages/marketplace-v2/'))).toBe(true);
  });

  it("keeps the v1 backend and adapter out of the v2 bundle, and v1's index reader in it for registry migrate", () => {
    const meta = JSON.parse(readFileSync(join(built, 'v2', 'meta.json'), 'utf8')) as Metafile;
    const holds = new Set(
      Object.values(meta.outputs).flatMap((output) =>
        Object.entries(output.inputs)
          .filter(([, use]) => use.bytesInOutput > 0)
          .map(([input]) => input),
      ),
    );
    expect(holds.has('packages/marketplace-v1/src/v1-backend.ts')).toBe(false);
    expect(holds.has('packages/domain-adapters/src/v1-adapter.ts')).toBe(false);
    expect(holds.has('packages/marketplace-v1/src/v1-index.ts')).toBe(true);
    expect(holds.has('packages/marketplace-v2/src/v2-backend.ts')).toBe(true);
  });

  it('fails a build whose bundle holds what its feature set excludes', async () => {
    const result = await buildBundle([
      '--features=v1',
      '--entry',
      join(cliRoot, 'test', 'fixtures', 'leaky-v1-entry.ts'),
      '--outdir',
      mkdtempSync(join(tmpdir(), 'ggen-leak-')),
    ]);
    expect(result.code).toBe(1);
    expect(result.output).toContain('packages/marketplace-v2/src/index.ts (package marketplace-v2)');
  });

  it('runs the v1 bundle with no node_modules at all: no oxigraph, no sparqljs', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ggen-standalone-'));
    mkdirSync(join(root, 'dist', 'v1'), { recursive: true });
    for (const file of ['ggen.mjs', 'ggen.cjs']) copyFileSync(join(built, 'v1', file), join(root, 'dist', 'v1', file));
    cpSync(sampleRegistry, join(root, 'sample-registry'), { recursive: true });
    expect(existsSync(join(root, 'node_modules'))).toBe(false);
    const bin = join(root, 'dist', 'v1', 'ggen.mjs');
    const search = await runGgen(['marketplace', 'search', 'agent memory', '--json'], { bin });
    expect(search.code).toBe(0);
    expect(parseJson<{ packages: { name: string }[] }>(search).packages[0]?.name).toBe('agent-memory-forge');
    const home = mkdtempSync(join(tmpdir(), 'ggen-home-'));
    const install = await runGgen(['marketplace', 'install', 'agent-context-crafter'], { bin, home });
    expect(install.code).toBe(0);
    expect(existsSync(join(home, '.ggen', 'packages', 'agent-memory-forge', 'gpack.yaml'))).toBe(true);
  });

  it('refuses a v2 strategy in the v1 build with a coded error', async () => {
    const result = await runGgen(['marketplace', 'search', 'agent', '--backend', 'v2'], { features: 'v1' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('GGEN_E_BACKEND_UNAVAILABLE');
  });

  it('the workspace root is where the checks resolve inputs from', () => {
    expect(existsSync(join(workspaceRoot, 'nx.json'))).toBe(true);
  });
});
