// The attacks of the trust review (issue 11), each through the CLI as a user or an attacker
// would run it: every one must end in a coded error with nothing written, deleted or leaked.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { buildTgz } from '../../../tools/testing/tar-builder.mjs';
import { writeV1Registry } from '../../../tools/testing/v1-registry.mjs';
import { copyOfSampleRegistry, freshHome, runGgen } from './helpers/run-ggen.js';

const manifest = (name: string, version = '1.0.0'): { path: string; content: string } => ({ path: 'gpack.yaml', content: `name: ${name}\nversion: ${version}\ndescription: d\n` });

/** Everything below `dir`, links not followed: what an install left on disk. */
function tree(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = `${prefix}${entry.name}`;
    return entry.isDirectory() && !entry.isSymbolicLink() ? [`${path}/`, ...tree(join(dir, entry.name), `${path}/`)] : [path];
  });
}

describe('archives cannot write outside the package (finding 1)', () => {
  it.each([
    [
      'a link to a link that climbs although its text stays inside',
      [manifest('climber'), { path: 'a', type: 'SymbolicLink' as const, linkpath: '.' }, { path: 'b', type: 'SymbolicLink' as const, linkpath: 'a/a/a/../../..' }],
      /link 'b' points through another link \('a'\)/,
    ],
    [
      'a file placed under a link before the link in the archive',
      [manifest('climber'), { path: 'b/escaped.txt', content: 'pwned' }, { path: 'b', type: 'SymbolicLink' as const, linkpath: 'sub' }, { path: 'sub/', type: 'Directory' as const }],
      /'b\/escaped.txt' would be written through the link 'b'/,
    ],
    ['the same path twice (a file, then a link over it)', [manifest('climber'), { path: 'x', content: 'one' }, { path: 'x', type: 'SymbolicLink' as const, linkpath: 'gpack.yaml' }], /'x' appears twice/],
  ])('refuses %s, and writes nothing', async (_title, entries, message) => {
    const home = freshHome();
    const outside = mkdtempSync(join(tmpdir(), 'ggen-outside-'));
    const registry = writeV1Registry([{ name: 'climber', archive: buildTgz(entries) }]);
    const target = join(outside, 'project', 'gpacks');
    const run = await runGgen(['marketplace', 'install', 'climber', '--backend', 'v1', '--registry', registry, '--target', target], { home });
    expect(run.stderr).toMatch(/^error GGEN_E_ARCHIVE_UNSAFE: /m);
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(6);
    expect(tree(target)).toEqual([]);
    expect(existsSync(join(outside, 'project', 'ggen.lock'))).toBe(false);
    expect(tree(outside)).toEqual(['project/', 'project/gpacks/']);
  });

  it('still installs a link that stays inside and points at a file', async () => {
    const home = freshHome();
    const archive = buildTgz([manifest('linked'), { path: 'templates/a.tmpl', content: 'a' }, { path: 'templates/b.tmpl', type: 'SymbolicLink', linkpath: 'a.tmpl' }]);
    const registry = writeV1Registry([{ name: 'linked', archive }]);
    const target = join(home, 'gpacks');
    const run = await runGgen(['marketplace', 'install', 'linked', '--backend', 'v1', '--registry', registry, '--target', target], { home });
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
    writeFileSync(catalogPath, catalog.replaceAll('#dependencyName> "agent-memory-forge"', '#dependencyName> "../../../x"'));
    const outside = mkdtempSync(join(tmpdir(), 'ggen-outside-'));
    const target = join(outside, 'a', 'b', 'gpacks');
    const run = await runGgen(['marketplace', 'install', 'agent-reasoning-mcp', '--backend', 'v2', '--registry', registry, '--target', target], { home });
    expect(run.stderr).toMatch(/^error GGEN_E_INDEX_INVALID: The v2 registry's entry for agent-reasoning-mcp@1\.0\.0 is unusable: '\.\.\/\.\.\/\.\.\/x' is not a package name: it names a path$/m);
    expect(run.code).toBe(7);
    expect(tree(outside)).toEqual(['a/', 'a/b/', 'a/b/gpacks/']);
  });

  it('refuses a lockfile that names ../victim, and deletes nothing', async () => {
    const home = freshHome();
    const project = mkdtempSync(join(tmpdir(), 'ggen-project-'));
    const victim = join(project, 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, 'precious.txt'), 'keep me');
    const locked = { version: '1.0.0', resolved: 'x', integrity: 'sha512-x', dependencies: {}, backend: 'v1', contentHash: 'x' };
    writeFileSync(join(project, 'ggen.lock'), JSON.stringify({ lockfileVersion: 1, requested: { '../victim': '*' }, packages: { '../victim': locked } }));
    for (const args of [['install', 'agent-editor'], ['install', '--frozen-lockfile'], ['update'], ['remove', 'agent-editor'], ['list']]) {
      const run = await runGgen(['marketplace', ...args, '--target', join(project, 'gpacks')], { home });
      expect(run.stderr).toMatch(/^error GGEN_E_LOCKFILE_INVALID: Lockfile .*ggen\.lock is unreadable: 'requested\.\.\.\/victim': '\.\.\/victim' is not a package name: it names a path$/m);
      expect(run.code).toBe(7);
    }
    expect(readFileSync(join(victim, 'precious.txt'), 'utf8')).toBe('keep me');
  });
});

function writePack(dir: string, name: string, version: string): string {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'gpack.yaml'), `name: ${name}\nversion: ${version}\ndescription: A signed pack for tests\nauthor: Ada\nlicense: MIT\n`);
  writeFileSync(join(dir, 'templates', 'hello.tmpl'), `hello from ${name} ${version}\n`);
  return dir;
}

/** A v2 registry holding `pinned` signed at each version, and a key the caller may trust. */
async function signedRegistry(home: string, versions: string[]): Promise<{ registry: string; trust: Record<string, string>; keyId: string; catalogs: string[] }> {
  const registry = copyOfSampleRegistry();
  const key = join(home, 'k.key');
  const keygen = JSON.parse((await runGgen(['marketplace', 'keygen', '--no-password', '--output', key, '--json'], { home })).stdout) as { publicKey: string; keyId: string };
  const catalogs: string[] = [];
  for (const version of versions) {
    const published = await runGgen(['marketplace', 'publish', writePack(join(home, `p${version}`), 'pinned', version), '--sign', '--key', key, '--registry', registry], { home });
    expect(published.code).toBe(0);
    catalogs.push(readFileSync(join(registry, 'catalog.nq'), 'utf8'));
  }
  return { registry, trust: { GGEN_MARKETPLACE_TRUSTED_KEYS: keygen.publicKey }, keyId: keygen.keyId, catalogs };
}

describe('update verifies as install does (finding 2)', () => {
  it('refuses a tampered newer version under require_signatures, and keeps the signed one and its record', async () => {
    const home = freshHome();
    const { registry, trust, keyId } = await signedRegistry(home, ['1.0.0']);
    mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
    writeFileSync(join(home, '.config', 'ggen', 'config.yaml'), 'marketplace:\n  require_signatures: true\n');
    expect((await runGgen(['marketplace', 'install', 'pinned@^1.0.0', '--registry', registry], { home, env: trust })).code).toBe(0);
    // 1.1.0 appears, signed; then its archive is swapped for other bytes with a matching catalog entry and no valid signature.
    await runGgen(['marketplace', 'publish', writePack(join(home, 'p1.1.0'), 'pinned', '1.1.0'), '--sign', '--key', join(home, 'k.key'), '--registry', registry], { home });
    writeFileSync(join(registry, 'archives', 'pinned-1.1.0.tgz.minisig'), 'untrusted comment: tampered\n');
    const lockBefore = readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8');
    const update = await runGgen(['marketplace', 'update', '--registry', registry], { home, env: trust });
    expect(update.stderr).toMatch(/^error GGEN_E_SIGNATURE_MALFORMED: /m);
    expect(update.code).toBe(6);
    expect(readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8')).toBe(lockBefore);
    expect(JSON.parse(lockBefore).packages.pinned).toMatchObject({ version: '1.0.0', signature: { keyId } });
    expect(readFileSync(join(home, '.ggen', 'packages', 'pinned', 'templates', 'hello.tmpl'), 'utf8')).toBe('hello from pinned 1.0.0\n');
  });

  it('keeps a package installed signed signed: its unsigned replacement is refused without any flag', async () => {
    const home = freshHome();
    const { registry, trust } = await signedRegistry(home, ['1.0.0', '1.1.0']);
    expect((await runGgen(['marketplace', 'install', 'pinned@1.0.0', '--registry', registry, '--verify-signature'], { home, env: trust })).code).toBe(0);
    writeFileSync(join(home, '.ggen', 'ggen.lock'), readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8').replace('"pinned": "1.0.0"', '"pinned": "^1.0.0"'));
    writeFileSync(join(registry, 'archives', 'pinned-1.1.0.tgz.minisig'), 'untrusted comment: gone\n');
    const update = await runGgen(['marketplace', 'update', '--registry', registry], { home });
    expect(update.stderr).toMatch(/^error GGEN_E_SIGNATURE_MALFORMED: /m);
    expect(update.code).toBe(6);
    // From a registry that holds no signatures at all (v1), the same.
    const v1 = writeV1Registry([{ name: 'pinned', version: '1.2.0', archive: buildTgz([manifest('pinned', '1.2.0')]) }]);
    const fromV1 = await runGgen(['marketplace', 'update', '--registry', v1, '--backend', 'v1'], { home });
    expect(fromV1.stderr).toMatch(/^error GGEN_E_SIGNATURE_MISSING: pinned@1\.2\.0 comes from a v1 registry, which holds no signatures \(pinned@1\.0\.0 was installed signed by /m);
    expect(fromV1.code).toBe(6);
    expect(JSON.parse(readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8')).packages.pinned.version).toBe('1.0.0');
  });

  it('refuses to move a locked 1.1.0 back to 1.0.0 when the registry hides 1.1.0, dry run included', async () => {
    const home = freshHome();
    const { registry, trust, catalogs } = await signedRegistry(home, ['1.0.0', '1.1.0']);
    expect((await runGgen(['marketplace', 'install', 'pinned@^1.0.0', '--registry', registry, '--verify-signature'], { home, env: trust })).code).toBe(0);
    writeFileSync(join(registry, 'catalog.nq'), catalogs[0] ?? '');
    for (const args of [['update'], ['update', '--dry-run'], ['update', 'pinned']]) {
      const run = await runGgen(['marketplace', ...args, '--registry', registry, '--backend', 'v2'], { home, env: trust });
      expect(run.stderr).toContain('error GGEN_E_DOWNGRADE: pinned would go from 1.1.0 (locked) back to 1.0.0');
      expect(run.code).toBe(5);
    }
    expect(JSON.parse(readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8')).packages.pinned.version).toBe('1.1.0');
    const allowed = await runGgen(['marketplace', 'update', '--allow-downgrade', '--registry', registry, '--backend', 'v2'], { home, env: trust });
    expect(allowed.stdout).toContain('pinned 1.1.0 -> 1.0.0');
  });
});
