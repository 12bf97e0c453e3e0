// The installable CLI (issue 13): the packed tarball installs with `npm install -g` into a temp
// prefix without the monorepo or the network, and runs search and install from there.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { cliRoot, sampleRegistry } from './helpers/run-ggen.js';

const run = promisify(execFile);

describe('the packed CLI', () => {
  it('installs from its tarball into a temp prefix and runs search and install there', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ggen-pack-'));
    const packed = await run(process.execPath, [join(cliRoot, 'scripts', 'pack.mjs'), '--out', root], {
      encoding: 'utf8',
    });
    expect(packed.stdout).toMatch(
      /ggen-cli-0\.1\.0\.tgz \(marketplace-parallel: \d+ files, \d+ bytes; bundled: oxigraph\)/,
    );
    const prefix = join(root, 'prefix');
    // --offline: nothing may come from the network; the tarball carries its one runtime dependency.
    await run(
      'npm',
      ['install', '-g', '--prefix', prefix, join(root, 'ggen-cli-0.1.0.tgz'), '--offline', '--no-audit', '--no-fund'],
      {
        encoding: 'utf8',
        env: { ...process.env, npm_config_cache: join(root, 'empty-cache') },
      },
    );
    const installed = join(prefix, 'lib', 'node_modules', '@ggen', 'cli');
    expect(existsSync(join(installed, 'node_modules', 'oxigraph', 'package.json'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    // Every file the package exports or runs exists in what was installed.
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      exports: Record<string, string | Record<string, string>>;
      devDependencies?: unknown;
    };
    expect(manifest.devDependencies).toBeUndefined();
    const targets = [
      ...Object.values(manifest.bin),
      ...Object.values(manifest.exports).flatMap((entry) =>
        typeof entry === 'string'
          ? [entry]
          : Object.entries(entry)
              .filter(([condition]) => condition !== '@ggen/source')
              .map(([, path]) => path),
      ),
    ];
    expect(targets.length).toBeGreaterThanOrEqual(3);
    for (const target of targets) expect([target, existsSync(join(installed, target))]).toEqual([target, true]);
    // What the build wrote beside its program is loaded from there (the launcher, the registry
    // server, the sync worker): all of it is installed, from this tarball and from a plain `npm pack`.
    const built = readdirSync(join(cliRoot, 'dist', 'parallel'))
      .filter((name) => name !== 'meta.json')
      .sort();
    expect(built).toEqual(expect.arrayContaining(['ggen.cjs', 'launcher.cjs', 'sync-worker.js']));
    expect(readdirSync(join(installed, 'dist', 'parallel')).sort()).toEqual(built);
    const plain = await run('npm', ['pack', '--dry-run', '--json'], { cwd: cliRoot, encoding: 'utf8' });
    const [listed] = JSON.parse(plain.stdout) as [{ files: { path: string }[] }];
    expect(
      listed.files
        .map((file) => file.path)
        .filter((path) => path.startsWith('dist/parallel/'))
        .map((path) => path.slice('dist/parallel/'.length))
        .sort(),
    ).toEqual(built);

    // A clean environment: node on PATH, a fresh HOME, a directory outside the repository.
    const home = join(root, 'home');
    const work = join(root, 'work');
    mkdirSync(home);
    mkdirSync(work);
    const env = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home, GGEN_DAEMON: '0' };
    const ggen = join(prefix, 'bin', 'ggen');
    const version = await run(ggen, ['--version'], { cwd: work, env, encoding: 'utf8' });
    expect(version.stdout).toBe('ggen 0.1.0 (marketplace-parallel)\n');
    const search = await run(ggen, ['marketplace', 'search', 'agent memory', '--limit', '3', '--json'], {
      cwd: work,
      env,
      encoding: 'utf8',
    });
    const found = JSON.parse(search.stdout) as { packages: { name: string }[]; backend: string };
    expect([found.backend, found.packages[0]?.name]).toEqual(['v2', 'agent-memory-forge']);
    const install = await run(ggen, ['marketplace', 'install', 'agent-reasoning-mcp', '--target', './gpacks'], {
      cwd: work,
      env,
      encoding: 'utf8',
    });
    expect(install.stdout).toContain(`installed 3 package(s), 0 already up to date, into ${join(work, 'gpacks')}`);
    expect(existsSync(join(work, 'gpacks', 'agent-memory-forge', 'gpack.yaml'))).toBe(true);
    // The built-in sample registry is the installed copy, not the repository's.
    const config = await run(ggen, ['marketplace', 'config', 'show', '--json'], { cwd: work, env, encoding: 'utf8' });
    expect(config.stdout).toContain(join(installed, 'sample-registry'));
    expect(config.stdout).not.toContain(sampleRegistry);
    // The library entry runs the CLI in-process.
    const library = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(join(installed, manifest.exports['.'] === undefined ? '' : ((manifest.exports['.'] as Record<string, string>).default ?? '')))}); console.log(Object.keys(m).sort().join(','))`,
      ],
      { cwd: work, env, encoding: 'utf8' },
    );
    expect(library.stdout).toBe('defaultIo,parallelFeatures,runCli\n');
  }, 180_000);
});
