import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { enableCompileCache, type EnableCompileCache } from '../src/program-loader.js';
import { cliRoot, freshHome, runGgen } from './helpers/run-ggen.js';

// Node's compile cache (module.enableCompileCache, node 22.1 and later) is turned on only in a
// directory of the user's own with mode 700, never in one others can write, and not at all with
// GGEN_CODE_CACHE=0. Node's function is stood in for by a recorder (node 20 has none), and the
// real launcher runs the same with and without it.
const recorder = (): { enable: EnableCompileCache; dirs: string[] } => {
  const dirs: string[] = [];
  return {
    dirs,
    enable: (dir) => {
      dirs.push(dir ?? '');
      return { status: 1, directory: dir };
    },
  };
};

describe('the compile cache', () => {
  it('is turned on in a private directory under XDG_CACHE_HOME, made with mode 700', () => {
    const cacheHome = join(freshHome(), 'cache');
    const { enable, dirs } = recorder();
    const dir = enableCompileCache({ XDG_CACHE_HOME: cacheHome }, enable);
    expect(dir).toBe(join(cacheHome, 'ggen', 'compile-cache'));
    expect(dirs).toEqual([dir]);
    expect(statSync(dir ?? '').mode & 0o777).toBe(0o700);
  });

  it('falls back to ~/.cache when XDG_CACHE_HOME is unset', () => {
    const home = freshHome();
    const { enable } = recorder();
    expect(enableCompileCache({ HOME: home }, enable)).toBe(join(home, '.cache', 'ggen', 'compile-cache'));
  });

  it('is never turned on in a directory other users can write, nor with GGEN_CODE_CACHE=0, nor where node has none', () => {
    const cacheHome = join(freshHome(), 'cache');
    const open = join(cacheHome, 'ggen', 'compile-cache');
    mkdirSync(open, { recursive: true });
    chmodSync(open, 0o777);
    const first = recorder();
    expect(enableCompileCache({ XDG_CACHE_HOME: cacheHome }, first.enable)).toBeUndefined();
    expect(first.dirs).toEqual([]);

    const off = join(freshHome(), 'cache');
    const second = recorder();
    expect(enableCompileCache({ XDG_CACHE_HOME: off, GGEN_CODE_CACHE: '0' }, second.enable)).toBeUndefined();
    expect(second.dirs).toEqual([]);
    expect(existsSync(join(off, 'ggen'))).toBe(false);

    // A node without one (node 20): null, since an undefined argument is the default, node's own.
    expect(enableCompileCache({ XDG_CACHE_HOME: off }, null)).toBeUndefined();
    expect(existsSync(join(off, 'ggen'))).toBe(false);
  });

  it('changes nothing a command prints: the launcher runs a search the same with the cache off', async () => {
    const bin = join(cliRoot, 'bin', 'ggen.cjs');
    const search = ['marketplace', 'search', 'agent memory', '--json'];
    const home = freshHome();
    const env = { GGEN_DAEMON: '0', XDG_CACHE_HOME: join(home, 'cache') };
    const withoutTimes = (stdout: string): unknown => ({
      ...(JSON.parse(stdout) as Record<string, unknown>),
      queryTimeMs: 0,
    });
    const off = await runGgen(search, { bin, home, env: { ...env, GGEN_CODE_CACHE: '0' } });
    const on = await runGgen(search, { bin, home, env });
    expect([off.code, on.code]).toEqual([0, 0]);
    expect(withoutTimes(on.stdout)).toEqual(withoutTimes(off.stdout));
    expect((JSON.parse(on.stdout) as { packages: { name: string }[] }).packages[0]?.name).toBe('agent-memory-forge');
  });
});
