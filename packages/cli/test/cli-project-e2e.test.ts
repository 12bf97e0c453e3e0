import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import { startStaticServer } from '../../../tools/testing/static-server.mjs';
import { bundle, freshHome, parseJson, runGgen, sampleRegistry, serverAddress, spawnGgen } from './helpers/run-ggen.js';

// Each test runs the CLI a dozen times; a loaded 2-core machine needs more than the default minute.
jest.setTimeout(180_000);

/** A project as a user starts one: a directory with a ggen.yaml naming the team's registry. */
function newProject(): { home: string; project: string } {
  const home = freshHome();
  const project = join(home, 'work', 'site');
  mkdirSync(join(project, 'registry'), { recursive: true });
  writeFileSync(join(project, 'ggen.yaml'), 'marketplace:\n  registry: ./registry\n');
  return { home, project };
}

describe('a project is found like npm finds package.json', () => {
  it('init, publish, install, list and outdated work with no --target, from any subdirectory, and say the project once', async () => {
    const { home, project } = newProject();
    const at = { home, cwd: project };
    expect((await runGgen(['marketplace', 'init', 'kit'], at)).code).toBe(0);
    const published = await runGgen(['marketplace', 'publish', 'kit'], at);
    expect(published.code).toBe(0);
    const install = await runGgen(['marketplace', 'install', 'kit'], at);
    expect(install.code).toBe(0);
    expect(install.stdout).toContain(`into ${join(project, 'gpacks')}`);
    expect(existsSync(join(project, 'gpacks', 'kit', 'gpack.yaml'))).toBe(true);
    expect(existsSync(join(home, '.ggen', 'packages'))).toBe(false);
    const lock = JSON.parse(readFileSync(join(project, 'ggen.lock'), 'utf8')) as {
      packagesDir: string;
      registries: Record<string, string>;
    };
    expect(lock.packagesDir).toBe('gpacks');
    // The registry inside the project is named relative to it: the lockfile travels with the project.
    expect(lock.registries).toEqual({ v2: 'registry' });

    // From a subdirectory, as git and npm work.
    const deeper = join(project, 'src', 'deep');
    mkdirSync(deeper, { recursive: true });
    const list = await runGgen(['marketplace', 'list'], { home, cwd: deeper });
    expect([list.code, list.stdout]).toEqual([0, expect.stringMatching(/^kit\s+0\.1\.0\s+ok\s+v2/m)]);
    const outdated = await runGgen(['marketplace', 'outdated'], { home, cwd: deeper });
    expect([outdated.code, outdated.stdout.trim()]).toEqual([0, 'Everything is up to date.']);
    // The project's registry setting was said the first time; not again on every command.
    expect(published.stderr).toContain(`note: ${join(project, 'ggen.yaml')} sets registry:`);
    expect(list.stderr).toBe('');
    expect(outdated.stderr).toBe('');

    // A yanked version is marked where search shows it.
    expect((await runGgen(['marketplace', 'yank', 'kit@0.1.0'], at)).code).toBe(0);
    const yanked = await runGgen(['marketplace', 'search', 'kit'], at);
    expect(yanked.stdout).toMatch(/^kit\s+0\.1\.0 \(yanked\)\s/m);
    expect(
      parseJson<{ packages: { yanked?: boolean }[] }>(await runGgen(['marketplace', 'search', 'kit', '--json'], at))
        .packages[0]?.yanked,
    ).toBe(true);

    // Outside any project, ~/.ggen is used as before.
    const outside = await runGgen(['marketplace', 'list'], { home, cwd: home });
    expect(outside.stdout.trim()).toBe('No packages installed.');
  });

  it('keeps one lockfile per packages directory: a second --target beside the first is refused, not mixed in', async () => {
    const home = freshHome();
    expect((await runGgen(['marketplace', 'install', 'hello-world', '--target', join(home, 'a')], { home })).code).toBe(
      0,
    );
    const second = await runGgen(['marketplace', 'install', 'agent-editor', '--target', join(home, 'b')], { home });
    expect(second.code).toBe(5);
    expect(second.stderr).toContain(
      `error GGEN_E_LOCKFILE_CONFLICT: ${join(home, 'ggen.lock')} belongs to the packages directory ${join(home, 'a')}, not ${join(home, 'b')}`,
    );
    expect(existsSync(join(home, 'b'))).toBe(false);
  });

  it('refuses to overwrite local edits without --force, and list fails on drift as npm ls does', async () => {
    const { home, project } = newProject();
    const at = { home, cwd: project };
    await runGgen(['marketplace', 'init', 'kit'], at);
    await runGgen(['marketplace', 'publish', 'kit'], at);
    expect((await runGgen(['marketplace', 'install', 'kit'], at)).code).toBe(0);
    const edited = join(project, 'gpacks', 'kit', 'templates', 'hello.tmpl');
    writeFileSync(edited, 'my own edit\n');
    const list = await runGgen(['marketplace', 'list'], at);
    expect(list.code).toBe(1);
    expect(list.stdout).toMatch(/^kit\s+0\.1\.0\s+modified/m);
    const refused = await runGgen(['marketplace', 'install'], at);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain(
      `error GGEN_E_LOCAL_CHANGES: kit has local changes in ${join(project, 'gpacks')} that this install would overwrite`,
    );
    expect(readFileSync(edited, 'utf8')).toBe('my own edit\n');
    expect((await runGgen(['marketplace', 'install', 'kit', '--force'], at)).code).toBe(0);
    expect(readFileSync(edited, 'utf8')).toBe('Hello, {{ name }}!\n');
    expect((await runGgen(['marketplace', 'list'], at)).code).toBe(0);
  });
});

describe('a teammate, the archive cache and --offline', () => {
  it('installs from the committed lockfile with one command, then offline from the cache; a damaged entry is caught', async () => {
    const registry = join(freshHome(), 'registry');
    mkdirSync(registry);
    const server = spawnGgen(['marketplace', 'registry', 'serve', registry, '--port', '0']);
    const url = await serverAddress(server);
    let running = true;
    try {
      const owner = freshHome();
      const token = parseJson<{ token: string }>(
        await runGgen(['marketplace', 'registry', 'token', 'create', registry, '--json'], { home: owner }),
      ).token;
      const pack = join(owner, 'kit');
      await runGgen(['marketplace', 'init', pack, '--name', '@acme/kit'], { home: owner });
      const published = await runGgen(['marketplace', 'publish', pack, '--registry', url], {
        home: owner,
        env: { GGEN_TOKEN: token },
      });
      expect(published.code).toBe(0);
      const ownerProject = join(owner, 'app');
      mkdirSync(ownerProject);
      writeFileSync(join(ownerProject, 'ggen.yaml'), `marketplace:\n  registry: ${url}\n`);
      expect((await runGgen(['marketplace', 'install', '@acme/kit'], { home: owner, cwd: ownerProject })).code).toBe(0);

      // The teammate's clone has the lockfile only (no ggen.yaml, no gpacks/), in a HOME with no config.
      const mate = freshHome();
      const clone = join(mate, 'app');
      mkdirSync(clone);
      cpSync(join(ownerProject, 'ggen.lock'), join(clone, 'ggen.lock'));
      const install = await runGgen(['marketplace', 'install'], { home: mate, cwd: clone });
      expect(install.code).toBe(0);
      expect(install.stderr).toContain(`note: using the v2 registry ${url}/ named by ${join(clone, 'ggen.lock')}`);
      expect(readFileSync(join(clone, 'gpacks', '@acme', 'kit', 'templates', 'hello.tmpl'), 'utf8')).toBe(
        'Hello, {{ name }}!\n',
      );
      const cached = parseJson<{ archives: { integrity: string; path: string }[] }>(
        await runGgen(['marketplace', 'cache', 'ls', '--json'], { home: mate }),
      ).archives;
      expect(cached).toHaveLength(1);

      // A damaged entry is dropped and the archive fetched again, said in one line.
      writeFileSync(cached[0]!.path, 'damaged');
      rmSync(join(clone, 'gpacks'), { recursive: true });
      const refetched = await runGgen(['marketplace', 'install'], { home: mate, cwd: clone });
      expect(refetched.code).toBe(0);
      expect(refetched.stderr).toContain(
        `warning: the cached archive of @acme/kit was damaged (${cached[0]!.path}); removed, fetching it again`,
      );
      expect(readFileSync(cached[0]!.path, 'utf8')).not.toBe('damaged');

      // The registry goes down: a plain install says so, an --offline one installs from the cache.
      server.kill('SIGTERM');
      await once(server, 'exit');
      running = false;
      rmSync(join(clone, 'gpacks'), { recursive: true });
      const offline = await runGgen(['marketplace', 'install', '--offline'], { home: mate, cwd: clone });
      expect([offline.code, offline.stderr]).toEqual([0, '']);
      expect(existsSync(join(clone, 'gpacks', '@acme', 'kit', 'gpack.yaml'))).toBe(true);

      // A damaged entry: verify finds it (exit 1) and removes it; offline then says what is missing.
      writeFileSync(cached[0]!.path, 'not the archive');
      const verify = await runGgen(['marketplace', 'cache', 'verify'], { home: mate });
      expect(verify.code).toBe(1);
      expect(verify.stdout).toContain('1 did not match their integrity and were removed');
      expect(readdirSync(join(mate, '.cache', 'ggen', 'archives', 'sha512'))).toEqual([]);
      rmSync(join(clone, 'gpacks'), { recursive: true });
      const missing = await runGgen(['marketplace', 'install', '--offline'], { home: mate, cwd: clone });
      expect(missing.code).toBe(8);
      expect(missing.stderr).toMatch(
        /^error GGEN_E_OFFLINE: Offline: http:\/\/127\.0\.0\.1:\d+\/archives\/@acme\/kit-0\.1\.0\.tgz is not kept on this machine$/m,
      );
      const down = await runGgen(['marketplace', 'install'], { home: mate, cwd: clone });
      expect(down.code).toBe(8);
      expect(down.stderr).toMatch(/^error GGEN_E_REGISTRY_REFUSED: Nothing is listening at 127\.0\.0\.1:\d+/m);
      expect(down.stderr).not.toContain('fell back to v1');
      expect((await runGgen(['marketplace', 'cache', 'clean'], { home: mate })).stdout).toContain(
        'Removed 0 archive(s)',
      );
    } finally {
      if (running) server.kill('SIGTERM');
    }
  });
});

describe('verified installs offline from a static http registry', () => {
  it('keeps the signature files beside the archives, so a signed pack reinstalls with --offline', async () => {
    const owner = freshHome();
    const registry = join(owner, 'registry');
    mkdirSync(registry);
    const env = { GGEN_KEY_PASSWORD: 'pw' };
    const key = join(owner, 'keys', 'signing.key');
    expect((await runGgen(['marketplace', 'keygen', '--output', key], { home: owner, env })).code).toBe(0);
    await runGgen(['marketplace', 'init', join(owner, 'kit'), '--name', 'signed-kit'], { home: owner });
    const published = await runGgen(
      ['marketplace', 'publish', join(owner, 'kit'), '--registry', registry, '--sign', '--key', key],
      { home: owner, env },
    );
    expect(published.code).toBe(0);
    const server = await startStaticServer(registry);
    const mate = freshHome();
    const trust = {
      GGEN_MARKETPLACE_TRUSTED_KEYS: join(owner, 'keys', 'signing.pub'),
      GGEN_MARKETPLACE_REQUIRE_SIGNATURES: 'true',
    };
    const args = [
      'marketplace',
      'install',
      'signed-kit',
      '--registry',
      server.url,
      '--target',
      join(mate, 'p', 'gpacks'),
    ];
    try {
      // A static registry's catalog is kept by sync (a registry server's documents are kept as read).
      expect((await runGgen(['marketplace', 'sync', '--registry', server.url], { home: mate })).code).toBe(0);
      expect((await runGgen(args, { home: mate, env: trust })).code).toBe(0);
    } finally {
      await server.close();
    }
    rmSync(join(mate, 'p', 'gpacks'), { recursive: true });
    const offline = await runGgen([...args, '--offline'], { home: mate, env: trust });
    expect([offline.code, offline.stderr]).toEqual([0, '']);
    expect(existsSync(join(mate, 'p', 'gpacks', 'signed-kit', 'gpack.yaml'))).toBe(true);
  });
});

describe('the built-in sample', () => {
  it('installs every one of its 77 packs, dependencies included', async () => {
    const names = (
      JSON.parse(readFileSync(join(sampleRegistry, 'index.json'), 'utf8')) as { packages: { name: string }[] }
    ).packages.map((entry) => entry.name);
    expect(names).toHaveLength(77);
    const home = freshHome();
    const run = await runGgen(['marketplace', 'install', ...names, '--target', join(home, 'gpacks'), '--json'], {
      home,
    });
    expect([run.code, run.stderr]).toEqual([0, '']);
    const installed = parseJson<{ installed: { name: string }[] }>(run).installed.map((entry) => entry.name);
    expect(installed.sort()).toEqual([...names].sort());
  });
});

describe('entry points and messages', () => {
  it('ggen alone shows help, -v and version print the version, and a marketplace word at the top gets "did you mean"', async () => {
    const bare = await runGgen([]);
    expect([bare.code, bare.stdout]).toEqual([0, expect.stringContaining('ggen marketplace')]);
    for (const words of [['-v'], ['version'], ['--version'], ['marketplace', '-v']])
      expect((await runGgen(words)).stdout).toMatch(/^ggen \d+\.\d+\.\d+ \(marketplace-parallel\)$/m);
    const search = await runGgen(['search', 'rust']);
    expect(search.code).toBe(2);
    expect(search.stderr).toBe(
      "error GGEN_E_USAGE: Unknown command 'search'. Did you mean: ggen marketplace search rust?\nhint: see ggen marketplace search --help\n",
    );
    const flag = await runGgen(['marketplace', 'install', '--bogus']);
    expect(flag.stderr).toContain('hint: see ggen marketplace install --help');
  });

  it('refuses a registry directory that does not exist the same way with and without --dry-run', async () => {
    const home = freshHome();
    await runGgen(['marketplace', 'init', 'kit'], { home });
    const missing = join(home, 'no-registry');
    for (const extra of [['--dry-run'], []]) {
      const run = await runGgen(['marketplace', 'publish', 'kit', '--registry', missing, ...extra], { home });
      expect([run.code, run.stdout]).toEqual([4, '']);
      expect(run.stderr).toBe(
        `error GGEN_E_REGISTRY_NOT_FOUND: The registry directory ${missing} does not exist\nhint: Check --registry (or marketplace.registry); a new registry starts as an empty directory: mkdir -p ${missing}\n`,
      );
    }
    expect(existsSync(missing)).toBe(false);
  });

  it('lists the categories, and suggests the one a search with none meant', async () => {
    const typo = await runGgen(['marketplace', 'search', '--category', 'acadmic-paper']);
    expect(typo.stdout).toMatch(/^No packages found/);
    expect(typo.stderr).toBe(
      "note: no pack is in the category 'acadmic-paper'. Did you mean --category academic-paper? (ggen marketplace categories lists them)\n",
    );
    const right = await runGgen(['marketplace', 'search', '--category', 'academic-paper']);
    expect(right.stdout).toMatch(/^NAME/);
    // Every category, with its count, the way the filter matches (without regard to case).
    const listed = parseJson<{ categories: { category: string; packages: number }[]; packages: number }>(
      await runGgen(['marketplace', 'categories', '--json']),
    );
    expect(listed.packages).toBe(77);
    expect(listed.categories.reduce((sum, entry) => sum + entry.packages, 0)).toBe(77);
    expect(listed.categories).toContainEqual({ category: 'finance', packages: 7 });
    const finance = await runGgen(['marketplace', 'search', '--category', 'finance', '--limit', '100', '--json']);
    expect(parseJson<{ total: number }>(finance).total).toBe(7);
  });

  it('colours errors and hints on a terminal or with FORCE_COLOR, never in a pipe or with FORCE_COLOR=0', async () => {
    const plain = await runGgen(['marketplace', 'info', 'nope']);
    expect(plain.stderr).toBe(
      "error GGEN_E_PACKAGE_NOT_FOUND: Package 'nope' is not in the registry\nhint: Search for it: ggen marketplace search nope\n",
    );
    const forced = await runGgen(['marketplace', 'info', 'nope'], { env: { FORCE_COLOR: '1' } });
    expect(forced.stderr).toBe(
      "\u001b[31merror GGEN_E_PACKAGE_NOT_FOUND: Package 'nope' is not in the registry\u001b[39m\n\u001b[36mhint: Search for it: ggen marketplace search nope\u001b[39m\n",
    );
    expect((await runGgen(['marketplace', 'info', 'nope'], { env: { FORCE_COLOR: '0' } })).stderr).toBe(plain.stderr);
  });

  it('init takes scoped names, and validate says every problem of a manifest in plain words in one run', async () => {
    const home = freshHome();
    expect((await runGgen(['marketplace', 'init', '@acme/tools'], { home })).code).toBe(0);
    expect(readFileSync(join(home, '@acme', 'tools', 'gpack.yaml'), 'utf8')).toMatch(/^name: "@acme\/tools"$/m);
    expect((await runGgen(['marketplace', 'validate', join(home, '@acme', 'tools')], { home })).code).toBe(0);
    expect((await runGgen(['marketplace', 'init', 'kit', '--name', '@acme/kit'], { home })).code).toBe(0);
    const manifest = join(home, 'kit', 'gpack.yaml');
    writeFileSync(
      manifest,
      readFileSync(manifest, 'utf8')
        .replace('version: 0.1.0', 'version: 1.0')
        .replace('license: MIT', 'license: MITT')
        .replace('type: string', 'type: strnig')
        .replace('templates/hello.tmpl', 'templates/gone.tmpl'),
    );
    const report = await runGgen(['marketplace', 'validate', join(home, 'kit')], { home });
    expect(report.code).toBe(3);
    expect(report.stdout).toContain(
      `field 'version' must be a string, not the number 1 (YAML reads 1.0 as a number: write a semantic version in quotes, e.g. version: "1.0.0")`,
    );
    expect(report.stdout).toContain(`'MITT' is not one. Did you mean 'MIT'?`);
    expect(report.stdout).toContain(
      `field 'variables.name.type' must be one of "string", "number", "boolean", "array", "object", not "strnig". Did you mean "string"?`,
    );
    expect(report.stdout).toContain(`listed file 'templates/gone.tmpl' does not exist`);
  });
});

describe('the terminal after Ctrl-C', () => {
  it('gets its cursor back and a line saying nothing was changed (a real tmux pane)', async () => {
    const home = freshHome();
    // A registry whose archives never come: the install waits, with its bar drawn and the cursor hidden.
    const stall = join(home, 'stall.mjs');
    writeFileSync(
      stall,
      [
        "import { createServer } from 'node:http';",
        "import { readFileSync, existsSync, statSync } from 'node:fs';",
        "import { join } from 'node:path';",
        'const server = createServer((req, res) => {',
        "  const path = join(process.argv[2], decodeURIComponent(new URL(req.url, 'http://x').pathname));",
        "  if (path.endsWith('.tgz')) return;",
        '  if (!existsSync(path) || statSync(path).isDirectory()) { res.statusCode = 404; res.end(); return; }',
        '  res.end(readFileSync(path));',
        '});',
        "server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));",
      ].join('\n'),
    );
    const registry = spawn(process.execPath, [stall, sampleRegistry], { stdio: ['ignore', 'pipe', 'inherit'] });
    const socket = join(home, 'tmux.sock');
    const tmux = (...args: string[]): string => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
    try {
      const [line] = await once(registry.stdout, 'data');
      const port = /port (\d+)/.exec(String(line))?.[1];
      const project = join(home, 'p');
      mkdirSync(project);
      const command = [
        `cd ${project} &&`,
        `HOME=${home} GGEN_MARKETPLACE_TIMEOUT_MS=600000`,
        process.execPath,
        bundle('parallel'),
        'marketplace install agent-editor hello-world --target ./gpacks',
        `--registry http://127.0.0.1:${port ?? ''}/;`,
        `echo EXIT=$?; sleep 600`,
      ].join(' ');
      tmux('new-session', '-d', '-s', 'ctrlc', '-x', '160', '-y', '20', command);
      const pane = (): string => tmux('capture-pane', '-p', '-t', 'ctrlc');
      // The bar is the event that the install is under way (polled, never slept on blindly).
      await until(() => pane().includes('installing ['));
      expect(tmux('display', '-p', '-t', 'ctrlc', '#{cursor_flag}').trim()).toBe('0');
      tmux('send-keys', '-t', 'ctrlc', 'C-c');
      await until(() => pane().includes('EXIT='));
      const after = pane();
      expect(after).toContain(
        `interrupted (Ctrl-C): nothing was changed in ${join(project, 'gpacks')}; what was staged is cleared by the next ggen command there`,
      );
      expect(after).toContain('EXIT=130');
      expect(tmux('display', '-p', '-t', 'ctrlc', '#{cursor_flag}').trim()).toBe('1');
      expect(existsSync(join(project, 'ggen.lock'))).toBe(false);

      // One pack (no bar): a status line says it is working from the first second of the wait.
      const single = command.replace('agent-editor hello-world', 'hello-world');
      tmux('new-session', '-d', '-s', 'wait', '-x', '160', '-y', '20', single);
      const waiting = (): string => tmux('capture-pane', '-p', '-t', 'wait');
      await until(() => /install: working \(Ctrl-C stops it\) \d+ s/.test(waiting()));
      tmux('send-keys', '-t', 'wait', 'C-c');
      await until(() => waiting().includes('EXIT=130'));
      expect(waiting()).toContain('interrupted (Ctrl-C): nothing was changed');
    } finally {
      try {
        tmux('kill-server');
      } catch {
        // Already gone.
      }
      registry.kill('SIGTERM');
    }
  });
});

/** Polls a condition of a real terminal until it holds (tmux has no event to wait on), for at most a minute. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the terminal never showed what was awaited');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
