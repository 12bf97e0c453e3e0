import { isAscii } from 'node:buffer';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { cliRoot, freshHome, runGgen } from './helpers/run-ggen.js';

// The code cache (program-loader.ts), through the real launcher: written once per build in a
// private directory, used as it is afterwards, replaced when V8 refuses it, never read from or
// written to a directory others can write, and never changing what a command prints.
const bin = join(cliRoot, 'bin', 'ggen.cjs');
const search = ['marketplace', 'search', 'agent memory', '--json'];

function setup(): { home: string; cacheHome: string; dir: string; env: Record<string, string> } {
  const home = freshHome();
  const cacheHome = join(home, 'cache');
  return { home, cacheHome, dir: join(cacheHome, 'ggen', 'code-cache'), env: { GGEN_DAEMON: '0', XDG_CACHE_HOME: cacheHome } };
}

const caches = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.bin')) : []);
const withoutTimes = (stdout: string): unknown => ({ ...(JSON.parse(stdout) as Record<string, unknown>), queryTimeMs: 0 });

describe('the code cache', () => {
  it('is written by the first run in a private directory, then used unchanged, and changes no output', async () => {
    const { home, dir, env } = setup();
    const uncached = await runGgen(search, { bin, home, env: { ...env, GGEN_CODE_CACHE: '0' } });
    expect(uncached.code).toBe(0);
    expect(caches(dir)).toEqual([]);

    const first = await runGgen(search, { bin, home, env });
    expect(first.code).toBe(0);
    const [cache] = caches(dir);
    expect(cache).toMatch(new RegExp(`^[0-9a-f]{16}-${process.version.replace(/\./g, '\\.')}-quick-start-marketplace-search\\.bin$`));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const written = statSync(join(dir, cache ?? ''));
    expect(written.mode & 0o777).toBe(0o600);
    expect(written.size).toBeGreaterThan(100_000);

    const second = await runGgen(search, { bin, home, env });
    expect(second.code).toBe(0);
    // Accepted: not rewritten (a rewrite renames a new file into place).
    const after = statSync(join(dir, cache ?? ''));
    expect([after.ino, after.mtimeMs]).toEqual([written.ino, written.mtimeMs]);
    expect(withoutTimes(second.stdout)).toEqual(withoutTimes(uncached.stdout));
    expect(withoutTimes(first.stdout)).toEqual(withoutTimes(uncached.stdout));
    expect(second.stderr).toBe(uncached.stderr);
  });

  it('is kept per command: another command writes its own, and no search text reaches a file name', async () => {
    const { home, dir, env } = setup();
    expect((await runGgen(search, { bin, home, env })).code).toBe(0);
    const [searchCache = ''] = caches(dir);
    const before = statSync(join(dir, searchCache));
    expect((await runGgen(['marketplace', 'search', 'rust ../web', '--limit', '3'], { bin, home, env })).code).toBe(0);
    expect((await runGgen(['marketplace', 'info', 'agent-editor'], { bin, home, env })).code).toBe(0);
    const names = caches(dir).sort();
    expect(names.map((name) => name.replace(/^[0-9a-f]{16}-[^-]+-/, ''))).toEqual(['quick-start-marketplace-info.bin', 'quick-start-marketplace-search.bin']);
    // The second search used the first one's cache as it was.
    const after = statSync(join(dir, searchCache));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('replaces a cache V8 refuses (damaged), and the command runs as without one', async () => {
    const { home, dir, env } = setup();
    expect((await runGgen(search, { bin, home, env })).code).toBe(0);
    const [cache = ''] = caches(dir);
    writeFileSync(join(dir, cache), Buffer.alloc(4096, 0x5a));
    const damaged = statSync(join(dir, cache));
    const run = await runGgen(search, { bin, home, env });
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { packages: { name: string }[] }).packages[0]?.name).toBe('agent-memory-forge');
    const replaced = statSync(join(dir, cache));
    expect(replaced.ino).not.toBe(damaged.ino);
    expect(replaced.size).toBeGreaterThan(100_000);
  });

  it('runs programs the build wrote as ASCII (read as latin1, no UTF-8 decoding), every build', () => {
    for (const build of ['v1', 'v2', 'parallel']) {
      const program = readFileSync(join(cliRoot, 'dist', build, 'ggen.cjs'));
      expect({ build, ascii: isAscii(program) }).toEqual({ build, ascii: true });
    }
  });

  it('is never written to a directory other users can write, nor when GGEN_CODE_CACHE=0', async () => {
    const { home, dir, env } = setup();
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    const open = await runGgen(search, { bin, home, env });
    expect(open.code).toBe(0);
    expect(caches(dir)).toEqual([]);

    const off = setup();
    expect((await runGgen(search, { bin, home: off.home, env: { ...off.env, GGEN_CODE_CACHE: '0' } })).code).toBe(0);
    expect(existsSync(off.dir)).toBe(false);
  });
});
