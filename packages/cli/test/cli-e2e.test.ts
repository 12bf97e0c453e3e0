import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { InstalledPackage, InstallResult, PackageDetails, SearchResults } from '@ggen/marketplace-core';
import { startStaticServer, type StaticServer } from '../../../tools/testing/static-server.mjs';
import { cliRoot, copyOfSampleRegistry, freshHome, parseJson, runGgen } from './helpers/run-ggen.js';
import { buildTgz } from '../../../tools/testing/tar-builder.mjs';
import { writeV1Registry } from '../../../tools/testing/v1-registry.mjs';

interface ErrorOutput {
  error: { code: string; message: string; hint?: string };
}

describe('ggen marketplace on the built-in sample registry', () => {
  it('searches with ranking, the --query form, filters and JSON output', async () => {
    const text = await runGgen(['marketplace', 'search', 'agent memory']);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[1]).toMatch(/^agent-memory-forge\s+1\.0\.0/);
    const json = parseJson<SearchResults>(await runGgen(['marketplace', 'search', '--query', 'bibtex', '--json']));
    // The default strategy is v2-with-fallback: v2 serves.
    expect(json).toMatchObject({ backend: 'v2', total: 1, packages: [{ name: 'academic-bibliography-manager' }] });
    const byCategory = parseJson<SearchResults>(
      await runGgen(['marketplace', 'search', '--category', 'healthcare', '--sort', 'name', '--limit', '3', '--json']),
    );
    expect(byCategory.total).toBe(7);
    expect(byCategory.packages.map((pkg) => pkg.name)).toEqual([...byCategory.packages.map((pkg) => pkg.name)].sort());
  });

  it('finds every one of the 77 corpus packages', async () => {
    const all = parseJson<SearchResults>(
      await runGgen(['marketplace', 'search', '--min-downloads', '0', '--limit', '100', '--json']),
    );
    expect(all.total).toBe(77);
  });

  it('rejects an empty search and a bad limit as usage errors', async () => {
    const empty = await runGgen(['marketplace', 'search']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('error GGEN_E_USAGE');
    expect((await runGgen(['marketplace', 'search', 'x', '--limit', '0'])).code).toBe(2);
    expect((await runGgen(['marketplace', 'search', 'x', '--sort', 'bogus'])).code).toBe(2);
  });

  it('shows info with versions, dependencies and integrity', async () => {
    const info = parseJson<PackageDetails>(await runGgen(['marketplace', 'info', 'agent-reasoning-mcp', '--json']));
    expect(info).toMatchObject({
      name: 'agent-reasoning-mcp',
      versions: [{ version: '1.0.0' }],
      dependencies: { 'agent-memory-forge': '*' },
    });
    expect(info.integrity).toMatch(/^sha512-/);
    const human = await runGgen(['marketplace', 'info', 'agent-reasoning-mcp@^1']);
    expect(human.stdout).toContain('dependencies (2):');
  });

  it('reports an unknown package with code, message and hint, and no stack unless --verbose', async () => {
    const result = await runGgen(['marketplace', 'info', 'no-such-gpack']);
    expect(result.code).toBe(4);
    expect(result.stderr).toBe(
      "error GGEN_E_PACKAGE_NOT_FOUND: Package 'no-such-gpack' is not in the registry\nhint: Search for it: ggen marketplace search no-such-gpack\n",
    );
    const json = parseJson<ErrorOutput>(await runGgen(['marketplace', 'info', 'no-such-gpack', '--json']));
    expect(json.error).toMatchObject({ code: 'GGEN_E_PACKAGE_NOT_FOUND', hint: expect.any(String) });
    const verbose = await runGgen(['marketplace', 'info', 'no-such-gpack', '--verbose']);
    expect(verbose.stderr).toContain('    at ');
    const version = await runGgen(['marketplace', 'info', 'agent-editor@^2']);
    expect([version.code, version.stderr.split('\n')[0]]).toEqual([
      4,
      'error GGEN_E_VERSION_NOT_FOUND: No version of agent-editor matches ^2',
    ]);
  });

  it('stops printing once its output pipe has no reader (| head), with no stack trace, and still finishes its work', () => {
    // A real FIFO whose reading end is closed before the command starts: every write to it fails with EPIPE.
    const fifo = join(mkdtempSync(join(tmpdir(), 'ggen-pipe-')), 'out');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    closeSync(reader);
    const home = freshHome();
    const target = join(home, 'gpacks');
    const run = (args: string[]): { args: string[]; status: number | null; stderr: string } => {
      const child = spawnSync(process.execPath, [join(cliRoot, 'bin', 'ggen.cjs'), ...args], {
        cwd: home,
        env: { PATH: process.env.PATH ?? '', HOME: home, GGEN_DAEMON: '0' },
        stdio: ['ignore', writer, 'pipe'],
        encoding: 'utf8',
      });
      return { args, status: child.status, stderr: child.stderr };
    };
    for (const args of [
      ['marketplace', 'search', 'agent', '--limit', '50'],
      ['marketplace', 'search', 'agent', '--limit', '50', '--json'],
      ['marketplace', 'install', 'agent-reasoning-mcp', '--target', target],
      ['--version'],
    ]) {
      expect(run(args)).toEqual({ args, status: 0, stderr: '' });
    }
    closeSync(writer);
    // The install went through although nobody read what it printed.
    expect(existsSync(join(home, 'ggen.lock'))).toBe(true);
    expect(existsSync(join(target, 'agent-reasoning-mcp'))).toBe(true);
  });

  it('installs, lists, updates and removes, with a deterministic lockfile', async () => {
    const home = freshHome();
    const installed = parseJson<InstallResult>(
      await runGgen(['marketplace', 'install', 'agent-reasoning-mcp', '--json'], { home }),
    );
    expect(installed.installed.map((entry) => entry.name)).toEqual([
      'agent-memory-forge',
      'agent-context-crafter',
      'agent-reasoning-mcp',
    ]);
    const lock = readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8');
    const list = parseJson<InstalledPackage[]>(await runGgen(['marketplace', 'list', '--json'], { home }));
    expect(list.map((entry) => `${entry.name}:${entry.status}:${entry.direct}`)).toEqual([
      'agent-context-crafter:ok:false',
      'agent-memory-forge:ok:false',
      'agent-reasoning-mcp:ok:true',
    ]);
    const update = await runGgen(['marketplace', 'update', '--dry-run'], { home });
    expect(update.stdout.trim()).toBe('Everything is up to date.');
    const refused = await runGgen(['marketplace', 'remove', 'agent-memory-forge'], { home });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('agent-context-crafter, agent-reasoning-mcp depend on it');
    const removed = await runGgen(['marketplace', 'remove', 'agent-reasoning-mcp'], { home });
    expect(removed.stdout.trim()).toBe(
      'removed 3 package(s): agent-context-crafter, agent-memory-forge, agent-reasoning-mcp',
    );
    expect(existsSync(join(home, '.ggen', 'ggen.lock'))).toBe(false);

    const again = freshHome();
    await runGgen(['marketplace', 'install', 'agent-reasoning-mcp'], { home: again });
    expect(readFileSync(join(again, '.ggen', 'ggen.lock'), 'utf8')).toBe(lock);
  });

  it('installs into --target with the lockfile beside it, and flags drift', async () => {
    const project = freshHome();
    const result = await runGgen(['marketplace', 'install', 'agent-editor', '--target', 'gpacks'], { cwd: project });
    expect(result.code).toBe(0);
    expect(existsSync(join(project, 'gpacks', 'agent-editor', 'gpack.yaml'))).toBe(true);
    expect(existsSync(join(project, 'ggen.lock'))).toBe(true);
    writeFileSync(join(project, 'gpacks', 'agent-editor', 'README.md'), 'changed');
    const list = await runGgen(['marketplace', 'list', '--target', 'gpacks'], { cwd: project });
    expect(list.stdout).toMatch(/agent-editor\s+1\.0\.0\s+modified/);
    expect(list.stdout).toContain('drifted from the lockfile');
  });

  it('dry-run writes nothing; --no-dependencies skips what the corpus cannot provide', async () => {
    const home = freshHome();
    const dry = await runGgen(['marketplace', 'install', 'agent-reasoning-mcp', '--dry-run'], { home });
    expect(dry.stdout).toContain('would install 3 package(s)');
    expect(existsSync(join(home, '.ggen', 'ggen.lock'))).toBe(false);
    // A registry whose pack depends on one it does not have (as the ggen corpus index does).
    const registry = writeV1Registry([
      {
        name: 'review-workflow',
        dependencies: { 'paper-lifecycle': '*' },
        archive: buildTgz([
          {
            path: 'gpack.yaml',
            content: "name: review-workflow\nversion: 1.0.0\ndescription: d\ndependencies:\n  paper-lifecycle: '*'\n",
          },
        ]),
      },
    ]);
    const missing = await runGgen(
      ['marketplace', 'install', 'review-workflow', '--backend', 'v1', '--registry', registry],
      {
        home,
      },
    );
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain(
      "'paper-lifecycle', a dependency of review-workflow@1.0.0, is not in the registry",
    );
    expect(missing.stderr).toContain('hint: ');
    const alone = await runGgen(
      ['marketplace', 'install', 'review-workflow', '--no-dependencies', '--backend', 'v1', '--registry', registry],
      { home },
    );
    expect(alone.code).toBe(0);
  });

  it('installs exactly the lockfile with --frozen-lockfile', async () => {
    const home = freshHome();
    await runGgen(['marketplace', 'install', 'agent-context-crafter'], { home });
    const other = freshHome();
    mkdirSync(join(other, '.ggen'));
    writeFileSync(join(other, '.ggen', 'ggen.lock'), readFileSync(join(home, '.ggen', 'ggen.lock')));
    const frozen = parseJson<InstallResult>(
      await runGgen(['marketplace', 'install', '--frozen-lockfile', '--json'], { home: other }),
    );
    expect(frozen.installed.map((entry) => entry.name).sort()).toEqual(['agent-context-crafter', 'agent-memory-forge']);
    const mismatch = await runGgen(['marketplace', 'install', 'agent-editor', '--frozen-lockfile'], { home: other });
    expect([mismatch.code, mismatch.stderr.split('\n')[0]]).toEqual([
      5,
      'error GGEN_E_FROZEN_LOCKFILE: The lockfile does not satisfy agent-editor (not locked)',
    ]);
  });
});

describe('registries in a directory and over HTTP', () => {
  let registry: string;
  let server: StaticServer;
  beforeAll(async () => {
    registry = copyOfSampleRegistry();
    server = await startStaticServer(registry);
  });
  afterAll(async () => {
    await server.close();
  });

  function gpackDir(version: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'ggen-gpack-'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(
      join(dir, 'gpack.yaml'),
      `name: e2e-gpack\nversion: ${version}\ndescription: End-to-end pack\ncategory: testing\ndependencies:\n  agent-memory-forge: ^1.0.0\n`,
    );
    writeFileSync(join(dir, 'templates', 'e2e.tmpl'), `e2e ${version}`);
    return dir;
  }

  it('publishes to a directory registry, then installs and updates it from directory and HTTP', async () => {
    const dry = await runGgen(['marketplace', 'publish', gpackDir('1.0.0'), '--registry', registry, '--dry-run']);
    expect(dry.stdout).toContain('would publish e2e-gpack@1.0.0');
    expect(dry.stdout).toContain('templates/e2e.tmpl');
    expect(existsSync(join(registry, 'archives', 'e2e-gpack-1.0.0.tgz'))).toBe(false);
    expect((await runGgen(['marketplace', 'publish', gpackDir('1.0.0'), '--registry', registry])).code).toBe(0);
    const twice = await runGgen(['marketplace', 'publish', gpackDir('1.0.0'), '--registry', registry]);
    expect([twice.code, twice.stderr.split('\n')[0]]).toEqual([
      5,
      `error GGEN_E_VERSION_EXISTS: e2e-gpack@1.0.0 is already published in ${registry}`,
    ]);

    for (const location of [registry, server.url]) {
      const home = freshHome();
      const install = await runGgen(['marketplace', 'install', 'e2e-gpack', '--registry', location], { home });
      expect(install.code).toBe(0);
      expect(readFileSync(join(home, '.ggen', 'packages', 'e2e-gpack', 'templates', 'e2e.tmpl'), 'utf8')).toBe(
        'e2e 1.0.0',
      );
      expect(existsSync(join(home, '.ggen', 'packages', 'agent-memory-forge'))).toBe(true);
    }

    const home = freshHome();
    await runGgen(['marketplace', 'install', 'e2e-gpack', '--registry', server.url], { home });
    expect((await runGgen(['marketplace', 'publish', gpackDir('1.1.0'), '--registry', registry])).code).toBe(0);
    const dryUpdate = await runGgen(['marketplace', 'update', '--dry-run', '--registry', server.url], { home });
    expect(dryUpdate.stdout).toContain('e2e-gpack 1.0.0 -> 1.1.0');
    expect(readFileSync(join(home, '.ggen', 'packages', 'e2e-gpack', 'templates', 'e2e.tmpl'), 'utf8')).toBe(
      'e2e 1.0.0',
    );
    const update = await runGgen(['marketplace', 'update', 'e2e-gpack', '--registry', server.url], { home });
    expect(update.stdout).toContain('updated 1 package(s)');
    expect(readFileSync(join(home, '.ggen', 'packages', 'e2e-gpack', 'templates', 'e2e.tmpl'), 'utf8')).toBe(
      'e2e 1.1.0',
    );
  });

  it('says publish needs a registry, and that a static HTTP registry is read-only', async () => {
    const none = await runGgen(['marketplace', 'publish', gpackDir('9.0.0')]);
    expect([none.code, none.stderr.split('\n')[0]]).toEqual([
      2,
      'error GGEN_E_USAGE: publish needs a registry to write to',
    ]);
    const http = await runGgen(['marketplace', 'publish', gpackDir('9.0.0'), '--registry', server.url]);
    expect(http.stderr).toContain('GGEN_E_PUBLISH_UNSUPPORTED');
    // A static file server has no registry API: said so, and what would take the publish.
    expect(http.stderr).toContain('is not a ggen registry server');
  });

  it('reports an unreachable registry with a coded error that names the cause', async () => {
    const port = await closedPort();
    const result = await runGgen(['marketplace', 'search', 'x', '--registry', `http://127.0.0.1:${port}/`], {
      env: { GGEN_MARKETPLACE_RETRIES: '0' },
    });
    expect(result.code).toBe(8);
    // Nothing listens on the port: a refused connection, not "no catalog" (nothing was asked of a registry).
    expect(result.stderr).toContain(
      `error GGEN_E_REGISTRY_REFUSED: Nothing is listening at 127.0.0.1:${port}: GET http://127.0.0.1:${port}/catalog.nq refused the connection\n`,
    );
    expect(result.stderr).toContain(`hint: Check the port in http://127.0.0.1:${port}, and that the server runs there`);
    expect(result.stderr).not.toContain('registry migrate');
    // v1 failed on another file: the note says so once.
    expect(result.stderr).toContain(
      `note: search fell back to v1, which failed too: GGEN_E_REGISTRY_REFUSED: Nothing is listening at 127.0.0.1:${port}: GET http://127.0.0.1:${port}/index.json refused the connection\n`,
    );
    // A port fetch will not use (9 is discard) is said as such.
    const bad = await runGgen(['marketplace', 'search', 'x', '--registry', 'http://127.0.0.1:9/'], {
      env: { GGEN_MARKETPLACE_RETRIES: '0' },
    });
    expect(bad.stderr).toMatch(
      /^error GGEN_E_REGISTRY_UNREACHABLE: http:\/\/127\.0\.0\.1:9 uses a port that HTTP clients refuse/m,
    );
    // A host name that does not resolve is its own diagnosis (.invalid never resolves, RFC 2606).
    const dns = await runGgen(['marketplace', 'search', 'x', '--registry', 'http://registry.example.invalid/'], {
      env: { GGEN_MARKETPLACE_RETRIES: '0' },
    });
    expect(dns.code).toBe(8);
    expect(dns.stderr).toMatch(
      /^error GGEN_E_REGISTRY_UNREACHABLE: Cannot find the host registry\.example\.invalid: its name does not resolve \((ENOTFOUND|EAI_AGAIN)\)$/m,
    );
  });
});

describe('config and validate', () => {
  it('config show tells where each value came from', async () => {
    const home = freshHome();
    mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
    writeFileSync(join(home, '.config', 'ggen', 'config.yaml'), 'marketplace:\n  v2_percentage: 25\n');
    const result = parseJson<{ values: Record<string, { value: unknown; source: { kind: string } }> }>(
      await runGgen(['marketplace', 'config', 'show', '--json', '--backend', 'v1'], {
        home,
        env: { GGEN_MARKETPLACE_FALLBACK_ON_ERROR: 'false' },
      }),
    );
    expect(result.values.v2_percentage).toMatchObject({ value: 25, source: { kind: 'user' } });
    expect(result.values.fallback_on_error).toMatchObject({ value: false, source: { kind: 'env' } });
    expect(result.values.backend).toMatchObject({ value: 'v1', source: { kind: 'flag' } });
    expect(result.values.registry?.source.kind).toBe('default');
  });

  it('an invalid config is an error naming the file and the key', async () => {
    const home = freshHome();
    mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
    writeFileSync(join(home, '.config', 'ggen', 'config.yaml'), 'marketplace:\n  v2_percentage: lots\n');
    const result = await runGgen(['marketplace', 'search', 'agent'], { home });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `error GGEN_E_CONFIG_INVALID: Invalid value for marketplace.v2_percentage in ${join(home, '.config', 'ggen', 'config.yaml')}: a number`,
    );
  });

  it('validate reports a legacy manifest as valid with warnings, and an invalid one with exit 3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ggen-validate-'));
    writeFileSync(
      join(dir, 'package.toml'),
      '[package]\nname = "Legacy-Pack"\nversion = "1.0"\ndescription = "old"\n[install]\ntype = "template"\n',
    );
    const ok = await runGgen(['marketplace', 'validate', dir]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('legacy-pack@1.0.0 is valid (package.toml)');
    expect(ok.stdout).toContain("warning [package.name] (line 2): name 'Legacy-Pack' lowercased");
    writeFileSync(
      join(dir, 'gpack.yaml'),
      'name: x\nversion: 1.0.0\ndescription: d\ndependencies:\n  y: "not-a-range!"\n',
    );
    const bad = await runGgen(['marketplace', 'validate', dir, '--json']);
    expect(bad.code).toBe(3);
    expect(parseJson<{ valid: boolean; issues: { line: number; field: string }[] }>(bad)).toMatchObject({
      valid: false,
      issues: [{ line: 5, field: 'dependencies.y' }],
    });
  });

  it('rejects an unknown command as a usage error', async () => {
    const result = await runGgen(['marketplace', 'instal', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('GGEN_E_USAGE');
  });
});

/** A port nothing listens on: one the system just gave out and that was closed again. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}
