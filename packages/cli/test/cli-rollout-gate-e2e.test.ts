// The rollout as an operator runs it (issue 12): caller mistakes are not backend failures,
// the primary backend's error reaches the user, and `rollout gate` gates.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliRoot, copyOfSampleRegistry, freshHome, parseJson, runGgen, type Run } from './helpers/run-ggen.js';

const launcher = join(cliRoot, 'bin', 'ggen.cjs');
const serviceDirs: string[] = [];

afterAll(async () => {
  for (const dir of serviceDirs)
    await runGgen(['marketplace', 'daemon', 'stop'], {
      bin: launcher,
      env: { GGEN_DAEMON: '1', GGEN_DAEMON_DIR: dir },
    });
});

interface Status {
  phase: number;
  verdict: string;
  criteria: { name: string; value: number | null; sample: number; state: string }[];
}

function writeConfig(home: string, yaml: string): void {
  mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
  writeFileSync(join(home, '.config', 'ggen', 'config.yaml'), yaml);
}

describe('errors are classified where their codes are defined', () => {
  it('does not count mistyped names against v2, and never says roll back for them', async () => {
    const home = freshHome();
    for (const name of ['agent-edtior', 'agnet-memory-forge', 'hello-wrold']) {
      const run = await runGgen(['marketplace', 'install', name], { home });
      expect(run.stderr).toMatch(
        new RegExp(`^error GGEN_E_PACKAGE_NOT_FOUND: Package '${name}' is not in the registry$`, 'm'),
      );
      expect(run.code).toBe(4);
    }
    const status = parseJson<Status>(await runGgen(['marketplace', 'rollout', 'status', '--json'], { home }));
    expect(status.verdict).not.toBe('roll back');
    const byName = new Map(status.criteria.map((criterion) => [criterion.name, criterion]));
    expect(byName.get('error rate (v2)')).toMatchObject({ sample: 0, value: null });
    expect(byName.get('fallback success')).toMatchObject({ state: 'n/a', sample: 0 });
  });

  it("answers with the primary backend's error when every backend fails", async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    rmSync(join(registry, 'index.json'));
    for (const [spec, code, exit] of [
      ['nope', 'GGEN_E_PACKAGE_NOT_FOUND', 4],
      ['agent-editor@^9', 'GGEN_E_VERSION_NOT_FOUND', 4],
    ] as const) {
      const run = await runGgen(['marketplace', 'install', spec, '--registry', registry], { home });
      expect(run.stderr).toMatch(new RegExp(`^error ${code}: `, 'm'));
      expect(run.stderr).toMatch(
        /^note: install fell back to v1, which failed too: GGEN_E_REGISTRY_NOT_FOUND: .*index\.json does not exist$/m,
      );
      expect(run.code).toBe(exit);
    }
  });
});

describe('rollout gate gates', () => {
  it('refuses to gate a release-time phase (1, 2, 5) with a usage error naming the gate that judges it', async () => {
    const home = freshHome();
    for (const phase of ['1', '2', '5']) {
      const run = await runGgen(['marketplace', 'rollout', 'gate', '--phase', phase], { home });
      expect({ phase, code: run.code, stderr: run.stderr }).toEqual({
        phase,
        code: 2,
        stderr: `error GGEN_E_USAGE: Phase ${phase}'s criteria are release-time checks: no recorded operation can pass them\nhint: Run its gate from the repository: npx nx run workspace:gate-${phase}\n`,
      });
    }
    // Status still reports them (it judges nothing, and says where they are judged).
    const status = parseJson<Status & { reason: string }>(
      await runGgen(['marketplace', 'rollout', 'status', '--phase', '2', '--json'], { home }),
    );
    expect(status.reason).toContain('release-time checks');
  });

  const searches = async (home: string, env: Record<string, string>, count: number): Promise<Run[]> => {
    const runs: Run[] = [];
    const words = ['agent', 'memory', 'rust', 'finance', 'academic', 'api', 'health', 'workflow'];
    for (let at = 0; at < count; at += 1)
      runs.push(
        await runGgen(['marketplace', 'search', words[at % words.length] ?? 'agent'], { bin: launcher, home, env }),
      );
    return runs;
  };

  it('exits non-zero after 40 searches against a damaged v2 catalog, and 0 after a healthy run', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ggen-svc-')), 'run');
    serviceDirs.push(dir);
    const env = { GGEN_DAEMON: '1', GGEN_DAEMON_DIR: dir };

    const damagedHome = freshHome();
    const damaged = copyOfSampleRegistry();
    writeFileSync(join(damaged, 'catalog.nq'), 'not a catalog\n');
    const runs = await searches(damagedHome, { ...env, GGEN_MARKETPLACE_REGISTRY: damaged }, 40);
    expect(runs.filter((run) => run.code !== 0)).toEqual([]);
    const failing = await runGgen(['marketplace', 'rollout', 'gate', '--json'], { home: damagedHome });
    expect(failing.code).toBe(11);
    expect(parseJson<Status>(failing)).toMatchObject({ phase: 6, verdict: 'roll back' });

    // Phase 3 as the plan runs it with both backends measured: search compared on v1 and v2, install on v1.
    const healthyHome = freshHome();
    writeConfig(healthyHome, 'marketplace:\n  backend: v1\n  operations:\n    search: { backend: compare }\n');
    await searches(healthyHome, env, 40);
    const passing = await runGgen(['marketplace', 'rollout', 'gate'], { home: healthyHome });
    expect(passing.stdout).toMatch(/^phase 3: search migration/m);
    expect(passing.stdout).toMatch(/^verdict: ADVANCE/m);
    expect(passing.code).toBe(0);
    // Not enough data is a hold, and a hold is not a pass.
    const empty = await runGgen(['marketplace', 'rollout', 'gate', '--phase', '4'], { home: healthyHome });
    expect(empty.stdout).toMatch(/^verdict: HOLD/m);
    expect(empty.code).toBe(1);
  }, 180_000);
});
