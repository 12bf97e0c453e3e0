// Commands and conveniences a user of npm, pnpm or cargo expects (issue 13, part): --version,
// -h, aliases, "did you mean" that names the word, why, outdated, install from the lockfile.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { cliRoot, copyOfSampleRegistry, freshHome, parseJson, runGgen } from './helpers/run-ggen.js';

function writePack(dir: string, name: string, version: string): string {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(
    join(dir, 'gpack.yaml'),
    `name: ${name}\nversion: ${version}\ndescription: A pack for tests\nlicense: MIT\n`,
  );
  writeFileSync(join(dir, 'templates', 'a.tmpl'), `${name} ${version}\n`);
  return dir;
}

describe('what users expect of a package manager CLI', () => {
  it('prints its version, takes -h, and knows the usual aliases', async () => {
    const version = (JSON.parse(readFileSync(join(cliRoot, 'package.json'), 'utf8')) as { version: string }).version;
    for (const args of [['--version'], ['-V'], ['marketplace', '--version']]) {
      const run = await runGgen(args);
      expect([run.code, run.stdout]).toEqual([0, `ggen ${version} (marketplace-parallel)\n`]);
    }
    // The launcher (bin/ggen.cjs) answers it without loading the CLI, and says the same.
    const launched = await runGgen(['--version'], { bin: join(cliRoot, 'bin', 'ggen.cjs') });
    expect([launched.code, launched.stdout]).toEqual([0, `ggen ${version} (marketplace-parallel)\n`]);
    // features too: the launcher answers it from the build's facts, exactly as the CLI would.
    for (const args of [
      ['marketplace', 'features'],
      ['marketplace', 'features', '--json'],
    ]) {
      const fromBundle = await runGgen(args);
      const fromLauncher = await runGgen(args, { bin: join(cliRoot, 'bin', 'ggen.cjs') });
      expect(fromBundle.code).toBe(0);
      expect([fromLauncher.code, fromLauncher.stdout, fromLauncher.stderr]).toEqual([
        0,
        fromBundle.stdout,
        fromBundle.stderr,
      ]);
    }
    expect((await runGgen(['marketplace', 'features'])).stdout).toBe(
      'build: marketplace-parallel\nbackends: v1, v2\nadapters: yes\ndefault backend: v2-with-fallback\n',
    );
    const help = await runGgen(['marketplace', 'install', '-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ggen marketplace install \[specs\.\.\]/m);
    const listing = await runGgen(['marketplace', '--help']);
    expect(listing.stdout).toMatch(/ggen marketplace install \[specs\.\.\] .*\[aliases: i, add\]/);
    const home = freshHome();
    expect((await runGgen(['marketplace', 'i', 'agent-editor', '--target', join(home, 'gpacks')], { home })).code).toBe(
      0,
    );
    expect((await runGgen(['marketplace', 'ls', '--target', join(home, 'gpacks')], { home })).stdout).toMatch(
      /^agent-editor\s+1\.0\.0\s+ok/m,
    );
    expect(
      (await runGgen(['marketplace', 'uninstall', 'agent-editor', '--target', join(home, 'gpacks')], { home })).code,
    ).toBe(0);
    expect(
      (await runGgen(['marketplace', 'rm', 'agent-editor', '--target', join(home, 'gpacks')], { home })).code,
    ).toBe(4);
  });

  it('names the unknown word and what was probably meant, for commands and flags', async () => {
    const command = await runGgen(['marketplace', 'isntall', 'agent-editor']);
    expect([command.code, command.stderr.split('\n')[0]]).toEqual([
      2,
      "error GGEN_E_USAGE: Unknown command 'isntall'. Did you mean install?",
    ]);
    const flag = await runGgen(['marketplace', 'search', 'agent', '--limt', '3']);
    expect([flag.code, flag.stderr.split('\n')[0]]).toEqual([
      2,
      'error GGEN_E_USAGE: Unknown flag --limt. Did you mean --limit?',
    ]);
    const nothing = await runGgen(['marketplace', 'frobnicate']);
    expect(nothing.stderr.split('\n')[0]).toBe("error GGEN_E_USAGE: Unknown command 'frobnicate'");
  });

  it('why names who requires a pack, with ranges', async () => {
    const home = freshHome();
    const target = join(home, 'gpacks');
    expect((await runGgen(['marketplace', 'install', 'agent-reasoning-mcp', '--target', target], { home })).code).toBe(
      0,
    );
    const why = await runGgen(['marketplace', 'why', 'agent-memory-forge', '--target', target], { home });
    expect(why.code).toBe(0);
    expect(why.stdout.split('\n')[0]).toBe('agent-memory-forge@1.0.0');
    expect(why.stdout).toMatch(/^ {2}required by agent-reasoning-mcp@1\.0\.0 +\*$/m);
    const direct = parseJson<{ requested?: string; requiredBy: unknown[] }>(
      await runGgen(['marketplace', 'why', 'agent-reasoning-mcp', '--target', target, '--json'], { home }),
    );
    expect(direct).toEqual({ name: 'agent-reasoning-mcp', version: '1.0.0', requested: '^1.0.0', requiredBy: [] });
    expect((await runGgen(['marketplace', 'why', 'agent-editor', '--target', target], { home })).code).toBe(4);
  });

  it('outdated shows current, wanted and latest, and exits 1 when anything is outdated', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    for (const version of ['1.0.0', '1.1.0', '1.2.0', '2.0.0'])
      expect(
        (
          await runGgen(
            ['marketplace', 'publish', writePack(join(home, `p${version}`), 'aging', version), '--registry', registry],
            { home },
          )
        ).code,
      ).toBe(0);
    // A yanked version is not what update would move to, so it is not wanted either.
    expect((await runGgen(['marketplace', 'yank', 'aging@1.2.0', '--registry', registry], { home })).code).toBe(0);
    const target = join(home, 'gpacks');
    expect(
      (await runGgen(['marketplace', 'install', 'aging@1.0.0', '--registry', registry, '--target', target], { home }))
        .code,
    ).toBe(0);
    writeFileSync(
      join(home, 'ggen.lock'),
      readFileSync(join(home, 'ggen.lock'), 'utf8').replace('"aging": "1.0.0"', '"aging": "^1.0.0"'),
    );
    const outdated = await runGgen(['marketplace', 'outdated', '--registry', registry, '--target', target], { home });
    expect(outdated.stdout).toMatch(/^PACKAGE\s+CURRENT\s+WANTED\s+LATEST\naging\s+1\.0\.0\s+1\.1\.0\s+2\.0\.0$/m);
    expect(outdated.code).toBe(1);
    expect(
      (await runGgen(['marketplace', 'update', '--registry', registry, '--target', target], { home })).stdout,
    ).toContain('aging 1.0.0 -> 1.1.0');
    const wantedDone = await runGgen(
      ['marketplace', 'outdated', '--registry', registry, '--target', target, '--json'],
      { home },
    );
    expect(parseJson<{ name: string; wanted: string; latest: string }[]>(wantedDone)).toEqual([
      { name: 'aging', current: '1.1.0', wanted: '1.1.0', latest: '2.0.0', direct: true },
    ]);
    // Latest is the latest tag, as npm shows it: moved back to 1.1.0, nothing is outdated.
    expect(
      (await runGgen(['marketplace', 'dist-tag', 'add', 'aging@1.1.0', 'latest', '--registry', registry], { home }))
        .code,
    ).toBe(0);
    const tagged = await runGgen(['marketplace', 'outdated', '--registry', registry, '--target', target], { home });
    expect([tagged.code, tagged.stdout]).toEqual([0, 'Everything is up to date.\n']);
    expect(
      (await runGgen(['marketplace', 'dist-tag', 'add', 'aging@2.0.0', 'latest', '--registry', registry], { home }))
        .code,
    ).toBe(0);
    expect(
      (await runGgen(['marketplace', 'install', 'aging@^2', '--registry', registry, '--target', target], { home }))
        .code,
    ).toBe(0);
    const current = await runGgen(['marketplace', 'outdated', '--registry', registry, '--target', target], { home });
    expect([current.code, current.stdout]).toEqual([0, 'Everything is up to date.\n']);
  });

  it('install with no names installs exactly the lockfile, as npm ci does', async () => {
    const home = freshHome();
    const target = join(home, 'gpacks');
    const none = await runGgen(['marketplace', 'install', '--target', target], { home });
    expect(none.stderr).toMatch(
      /^error GGEN_E_USAGE: Nothing to install: no names given, and .*ggen\.lock is missing or empty$/m,
    );
    expect(none.code).toBe(2);
    expect((await runGgen(['marketplace', 'install', 'agent-reasoning-mcp', '--target', target], { home })).code).toBe(
      0,
    );
    const lock = readFileSync(join(home, 'ggen.lock'), 'utf8');
    rmSync(target, { recursive: true });
    const again = await runGgen(['marketplace', 'install', '--target', target], { home });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/installed 3 package\(s\)/);
    expect(readFileSync(join(home, 'ggen.lock'), 'utf8')).toBe(lock);
  });

  it('init starts a valid pack that publishes, and never overwrites a manifest', async () => {
    const home = freshHome();
    const init = await runGgen(
      ['marketplace', 'init', './rust-service', '--description', 'Scaffolds a Rust service', '--yes'],
      { home },
    );
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('created rust-service in');
    const validate = await runGgen(['marketplace', 'validate', './rust-service'], { home });
    expect([validate.code, validate.stdout.trim()]).toEqual([0, '✔ rust-service@0.1.0 is valid (gpack.yaml)']);
    const dry = await runGgen(
      ['marketplace', 'publish', './rust-service', '--registry', copyOfSampleRegistry(), '--dry-run'],
      { home },
    );
    expect(dry.stdout).toMatch(/^would publish rust-service@0\.1\.0/m);
    expect(dry.stdout).toMatch(/^ {2}templates\/hello\.tmpl$/m);
    const again = await runGgen(['marketplace', 'init', './rust-service'], { home });
    expect(again.code).toBe(2);
    expect(readFileSync(join(home, 'rust-service', 'gpack.yaml'), 'utf8')).toContain(
      'description: "Scaffolds a Rust service"',
    );
  });

  it('prints a shell completion script whose completions are the commands', async () => {
    const script = await runGgen(['completion']);
    expect(script.code).toBe(0);
    expect(script.stdout).toContain('--get-yargs-completions');
    const words = await runGgen(['--get-yargs-completions', 'ggen', 'marketplace', '']);
    expect(words.stdout.split('\n')).toEqual(expect.arrayContaining(['install', 'search', 'outdated', 'why', 'init']));
  });

  it('--quiet keeps results and errors, and drops notes and warnings', async () => {
    const noted = await runGgen(['marketplace', 'search', 'agent', '--backend', 'v1', '--limit', '1']);
    expect(noted.stderr).toMatch(/^note: the v1 backend is deprecated/m);
    const quiet = await runGgen(['marketplace', 'search', 'agent', '--backend', 'v1', '--limit', '1', '--quiet']);
    expect([quiet.code, quiet.stderr]).toEqual([0, '']);
    expect(quiet.stdout).toMatch(/^agent-/m);
    const failed = await runGgen(['marketplace', 'info', 'no-such-pack', '--backend', 'v1', '--quiet']);
    expect([failed.code, failed.stderr.split('\n')[0]]).toEqual([
      4,
      "error GGEN_E_PACKAGE_NOT_FOUND: Package 'no-such-pack' is not in the registry",
    ]);
  });
});
