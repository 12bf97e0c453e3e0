// The builds are the plan's switches (phase 1, the build-level rollback, month 3 and month 6):
// each packs and runs on its own, and each reads what the default build wrote.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import type { SearchResults } from '@ggen/marketplace-core';
import { cliRoot, copyOfSampleRegistry, freshHome, parseJson, runGgen } from './helpers/run-ggen.js';

const run = promisify(execFile);

function writeConfig(home: string, yaml: string): void {
  mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
  writeFileSync(join(home, '.config', 'ggen', 'config.yaml'), yaml);
}

describe('each feature build packs and runs from its own tarball', () => {
  it('packs v1, v2-default and v2 beside the default build; each installs offline and runs', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ggen-packs-'));
    const packed = await run(
      process.execPath,
      [join(cliRoot, 'scripts', 'pack.mjs'), '--features', 'all', '--out', root],
      { encoding: 'utf8' },
    );
    expect(packed.stdout).toMatch(/ggen-cli-v1-0\.1\.0\.tgz \(marketplace-v1: \d+ files, \d+ bytes; bundled: none\)/);
    for (const build of ['v1', 'v2-default', 'v2'] as const) {
      const prefix = join(root, `prefix-${build}`);
      await run(
        'npm',
        ['install', '-g', '--prefix', prefix, join(root, `ggen-cli-${build}-0.1.0.tgz`), '--offline', '--no-audit'],
        { encoding: 'utf8', env: { ...process.env, npm_config_cache: join(root, 'empty-cache') } },
      );
      const home = join(root, `home-${build}`);
      mkdirSync(home);
      const env = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home };
      const ggen = join(prefix, 'bin', 'ggen');
      const features = JSON.parse(
        (await run(ggen, ['marketplace', 'features', '--json'], { cwd: home, env, encoding: 'utf8' })).stdout,
      ) as { build: string };
      expect(features.build).toBe(`marketplace-${build}`);
      const search = JSON.parse(
        (await run(ggen, ['marketplace', 'search', 'agent memory', '--json'], { cwd: home, env, encoding: 'utf8' }))
          .stdout,
      ) as SearchResults;
      expect([search.backend, search.packages[0]?.name]).toEqual([build === 'v1' ? 'v1' : 'v2', 'agent-memory-forge']);
    }
  }, 300_000);
});

describe('the v1 build (phase 1, and the build-level rollback) reads what the default build wrote', () => {
  it('serves a config naming an A/B block from v1, says so, and still refuses --backend v2', async () => {
    const home = freshHome();
    writeConfig(home, 'marketplace:\n  backend: ab-test\n  v2_percentage: 25\n  fallback_on_error: true\n');
    const search = await runGgen(['marketplace', 'search', 'agent', '--json'], { home, features: 'v1' });
    expect(search.code).toBe(0);
    expect(parseJson<SearchResults>(search).backend).toBe('v1');
    // Said to people (not under --json).
    const said = await runGgen(['marketplace', 'search', 'agent'], { home, features: 'v1' });
    expect(said.stderr).toMatch(
      /^note: marketplace\.backend: ab-test \(from .*config\.yaml\) is served by v1: this build \(marketplace-v1\) has the v1 backend only$/m,
    );
    const flag = await runGgen(['marketplace', 'search', 'agent', '--backend', 'v2'], { home, features: 'v1' });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^error GGEN_E_BACKEND_UNAVAILABLE: /m);
  });

  it("installs a default build's lockfile from v1's copies, and names a v2-only entry it cannot install", async () => {
    const home = freshHome();
    const project = join(home, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'ggen.yaml'), '');
    const at = { home, cwd: project };
    expect((await runGgen(['marketplace', 'install', 'agent-reasoning-mcp'], at)).code).toBe(0);
    const lockfile = join(project, 'ggen.lock');
    const written = readFileSync(lockfile, 'utf8');
    expect(written).toContain('"resolved": "v2:archives/agent-reasoning-mcp-');
    // A fresh checkout, the v1 build shipped: v1 lists the same bytes, so the install is restored.
    rmSync(join(project, 'gpacks'), { recursive: true });
    const restored = await runGgen(['marketplace', 'install', '--frozen-lockfile'], { ...at, features: 'v1' });
    expect({ code: restored.code, stderr: restored.stderr }).toEqual({ code: 0, stderr: '' });
    expect(restored.stdout).toContain('installed 3 package(s)');

    // A pack only the v2 registry has: named, with what to do, and nothing installed.
    const locked = JSON.parse(written) as { packages: Record<string, { resolved: string }> };
    const entry = locked.packages['agent-reasoning-mcp'];
    expect(entry).toBeDefined();
    const onlyV2 = written.replaceAll('agent-reasoning-mcp', 'only-in-v2');
    writeFileSync(lockfile, onlyV2);
    rmSync(join(project, 'gpacks'), { recursive: true });
    const refused = await runGgen(['marketplace', 'install', '--frozen-lockfile'], { ...at, features: 'v1' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^error GGEN_E_BACKEND_UNAVAILABLE: ggen\.lock entry only-in-v2 comes from the v2 registry \(v2:archives\/only-in-v2-1\.0\.0\.tgz\), which this build cannot read \(it has no v2 backend\), and the v1 registry has no copy with the locked integrity$/m,
    );
    expect(refused.stderr).toMatch(/^hint: .*ggen marketplace remove only-in-v2/m);
    expect(readFileSync(lockfile, 'utf8')).toBe(onlyV2);
  });
});

describe('the month-3 build (v2 default, v1 opt-in)', () => {
  it('serves v2 alone unless the config asks for v1 as the fallback', async () => {
    const broken = copyOfSampleRegistry();
    writeFileSync(join(broken, 'catalog.nq'), 'damaged\n');
    const env = { GGEN_MARKETPLACE_V2_REGISTRY: broken, GGEN_MARKETPLACE_REGISTRY: copyOfSampleRegistry() };
    const home = freshHome();
    const alone = await runGgen(['marketplace', 'search', 'agent'], { home, env, features: 'v2-default' });
    expect(alone.code).not.toBe(0);
    expect(alone.stderr).toMatch(/^error GGEN_E_INDEX_INVALID: /m);
    writeConfig(home, 'marketplace:\n  fallback_on_error: true\n');
    const optedIn = await runGgen(['marketplace', 'search', 'agent', '--json'], { home, env, features: 'v2-default' });
    expect(optedIn.code).toBe(0);
    expect(parseJson<SearchResults>(optedIn).backend).toBe('v1');
    const asked = await runGgen(['marketplace', 'search', 'agent', '--backend', 'v1', '--json'], {
      home: freshHome(),
      env,
      features: 'v2-default',
    });
    expect(parseJson<SearchResults>(asked).backend).toBe('v1');
  });
});

describe('the month-6 build (v2 only)', () => {
  it('refuses the migration keys by name, and keeps registry migrate and the metrics', async () => {
    for (const [yaml, key] of [
      ['marketplace:\n  backend: ab-test\n  v2_percentage: 10\n', 'v2_percentage'],
      ['marketplace:\n  backend: ab-test\n', 'backend: ab-test'],
      ['marketplace:\n  fallback_on_error: true\n', 'fallback_on_error'],
      ['marketplace:\n  operations:\n    install: { backend: v1 }\n', 'operations'],
    ] as const) {
      const home = freshHome();
      writeConfig(home, yaml);
      const result = await runGgen(['marketplace', 'search', 'agent'], { home, features: 'v2' });
      expect({ key, code: result.code }).toEqual({ key, code: 2 });
      expect(result.stderr).toContain(
        `error GGEN_E_CONFIG_INVALID: marketplace.${key} (from ${join(home, '.config', 'ggen', 'config.yaml')}) was removed with v1`,
      );
      expect(result.stderr).toMatch(/^hint: Delete /m);
    }
    const home = freshHome();
    writeConfig(home, 'marketplace:\n  backend: v2\n');
    expect((await runGgen(['marketplace', 'search', 'agent'], { home, features: 'v2' })).code).toBe(0);
    const metrics = parseJson<{ operations: number; backends: Record<string, unknown> }>(
      await runGgen(['marketplace', 'metrics', '--json'], { home, features: 'v2' }),
    );
    expect(metrics.operations).toBe(1);

    // A last v1 registry, converted by the v2-only build.
    const registry = copyOfSampleRegistry();
    const catalog = join(registry, 'catalog.nq');
    writeFileSync(catalog, '');
    const migrated = await runGgen(['marketplace', 'registry', 'migrate', '--from', registry, '--to', registry], {
      home,
      features: 'v2',
    });
    expect(migrated.code).toBe(0);
    expect(readFileSync(catalog, 'utf8').length).toBeGreaterThan(1000);
  });
});
