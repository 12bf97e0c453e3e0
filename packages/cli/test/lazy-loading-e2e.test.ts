import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { cliRoot, freshHome, runGgen, sampleRegistry } from './helpers/run-ggen.js';

// What a command loads, seen from inside the real CLI process: a preload (node --require) that
// writes at exit whether zod was ever initialised (it sets globalThis.__zod_globalConfig when
// its core module runs) and which of node's own modules were loaded.
const bin = join(cliRoot, 'bin', 'ggen.cjs');
const dir = mkdtempSync(join(tmpdir(), 'ggen-lazy-'));
const preload = join(dir, 'report-loaded.cjs');
writeFileSync(
  preload,
  `process.on('exit', () => {
  const builtins = process.moduleLoadList.filter((entry) => entry.startsWith('NativeModule ')).map((entry) => entry.slice('NativeModule '.length));
  require('node:fs').writeFileSync(process.env.GGEN_TEST_LOADED, JSON.stringify({ zod: '__zod_globalConfig' in globalThis, builtins }));
});
`,
);

interface Loaded {
  zod: boolean;
  builtins: string[];
}

async function loadedBy(args: string[], home = freshHome()): Promise<Loaded> {
  const report = join(mkdtempSync(join(dir, 'run-')), 'loaded.json');
  const run = await runGgen(args, { bin, home, env: { GGEN_DAEMON: '0', NODE_OPTIONS: `--require ${preload}`, GGEN_TEST_LOADED: report } });
  expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
  return JSON.parse(readFileSync(report, 'utf8')) as Loaded;
}

describe('what a command loads', () => {
  it('a search or an info loads no zod, no node:crypto, fs/promises or perf_hooks, with or without a registry flag', async () => {
    // The checked-out sample, named by flag: a copy made just now is within the store's clock
    // margin (a catalog changed within 2 s of its sync is synced again by the next search).
    const registry = sampleRegistry;
    const home = freshHome();
    await loadedBy(['marketplace', 'sync', '--registry', registry], home);
    for (const args of [
      ['marketplace', 'search', 'rust web'],
      ['marketplace', 'search', 'agent', '--registry', registry, '--json'],
      // Its answer's dependency records pass the plain check too.
      ['marketplace', 'info', 'agent-reasoning-mcp', '--registry', registry, '--json'],
    ]) {
      // The first run builds what later runs read (the sample's local store, the code cache, the install id).
      await loadedBy(args, home);
      const loaded = await loadedBy(args, home);
      expect({ args, zod: loaded.zod }).toEqual({ args, zod: false });
      expect(loaded.builtins.filter((name) => ['crypto', 'fs/promises', 'perf_hooks', 'net'].includes(name))).toEqual([]);
      // The report itself is right: node's own fs is always there.
      expect(loaded.builtins).toContain('fs');
    }
  });

  it('an install into a new directory or over its own lockfile loads no zod (answer and lockfile pass their plain checks); a lockfile with a key ggen does not write is checked by zod', async () => {
    const home = freshHome();
    const target = join(home, 'gpacks');
    const first = await loadedBy(['marketplace', 'install', 'agent-editor', '--target', target], home);
    expect(first.zod).toBe(false);
    expect(first.builtins).toEqual(expect.arrayContaining(['crypto', 'fs/promises', 'zlib']));
    // Its stderr is a pipe here (captured, as CI's is): asking whether to draw a bar makes no process.stderr, so no node:net.
    expect(first.builtins).not.toContain('net');
    const again = await loadedBy(['marketplace', 'install', 'agent-editor', '--target', target], home);
    expect(again.zod).toBe(false);
    const lockfilePath = join(home, 'ggen.lock');
    const lockfile = JSON.parse(readFileSync(lockfilePath, 'utf8')) as { packages: Record<string, Record<string, unknown>> };
    const entry = lockfile.packages['agent-editor'];
    if (entry === undefined) throw new Error('agent-editor is not in the lockfile');
    entry.fromANewerGgen = true;
    writeFileSync(lockfilePath, JSON.stringify(lockfile));
    const unknownKey = await loadedBy(['marketplace', 'install', 'agent-editor', '--target', target], home);
    expect(unknownKey.zod).toBe(true);
  });

  it('a config file with a bad value is still checked (zod loads for it and names the key)', async () => {
    const home = freshHome();
    const config = join(home, 'config.yaml');
    writeFileSync(config, 'marketplace:\n  v2_percentage: 150\n');
    const run = await runGgen(['marketplace', 'search', 'rust', '--config', config], { bin, home, env: { GGEN_DAEMON: '0' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('marketplace.v2_percentage');
  });
});
