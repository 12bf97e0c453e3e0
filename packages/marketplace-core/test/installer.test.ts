import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  installPackages,
  listInstalledPackages,
  readLockfile,
  removePackage,
  updatePackages,
  type InstallEvent,
} from '@ggen/marketplace-core';
import { failure } from './helpers/failure.js';
import { MemorySource, type FixturePackage } from './helpers/memory-source.js';

function paths(): { packagesDir: string; lockfilePath: string; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'ggen-install-'));
  return { root, packagesDir: join(root, 'gpacks'), lockfilePath: join(root, 'ggen.lock') };
}

function snapshot(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files[path.slice(root.length)] = readFileSync(path, 'utf8');
    }
  };
  walk(root);
  return files;
}

const graph: FixturePackage[] = [
  { name: 'app', version: '1.0.0', dependencies: { lib: '^1.0.0', util: '*' } },
  { name: 'lib', version: '1.0.0', dependencies: { util: '^2.0.0' } },
  { name: 'lib', version: '1.1.0', dependencies: { util: '^2.0.0' } },
  { name: 'util', version: '2.0.0' },
  { name: 'util', version: '2.3.0' },
  { name: 'other', version: '1.0.0', dependencies: { util: '^2.0.0' } },
];

describe('installPackages', () => {
  it('installs a package with its dependencies and writes a lockfile', async () => {
    const source = await MemorySource.create(graph);
    const target = paths();
    const result = await installPackages(source, { specs: ['app'], ...target });
    expect(result.installed.map((entry) => `${entry.name}@${entry.version}`)).toEqual([
      'util@2.3.0',
      'lib@1.1.0',
      'app@1.0.0',
    ]);
    expect(readFileSync(join(target.packagesDir, 'lib', 'templates', 'main.tmpl'), 'utf8')).toBe('lib 1.1.0');
    const lockfile = readLockfile(target.lockfilePath);
    expect(lockfile?.requested).toEqual({ app: '^1.0.0' });
    expect(Object.keys(lockfile?.packages ?? {})).toEqual(['app', 'lib', 'util']);
    expect(lockfile?.packages.lib).toMatchObject({ version: '1.1.0', backend: 'v1', dependencies: { util: '^2.0.0' } });
    expect(existsSync(join(target.packagesDir, '.ggen-txn'))).toBe(false);
  });

  it('writes a byte-identical lockfile for the same inputs', async () => {
    const source = await MemorySource.create(graph);
    const first = paths();
    const second = paths();
    await installPackages(source, { specs: ['other', 'app'], ...first });
    await installPackages(source, { specs: ['app', 'other'], ...second });
    expect(readFileSync(first.lockfilePath, 'utf8').replaceAll(first.root, '')).toBe(
      readFileSync(second.lockfilePath, 'utf8').replaceAll(second.root, ''),
    );
  });

  it('does nothing on a second identical install, and reinstalls with force', async () => {
    const source = await MemorySource.create(graph);
    const target = paths();
    await installPackages(source, { specs: ['app'], ...target });
    source.fetched.length = 0;
    const again = await installPackages(source, { specs: ['app'], ...target });
    expect(again.installed).toEqual([]);
    expect(source.fetched).toEqual([]);
    const forced = await installPackages(source, { specs: ['app'], ...target, force: true });
    expect(forced.installed.map((entry) => entry.name)).toEqual(['app']);
  });

  it('writes nothing on a dry run', async () => {
    const source = await MemorySource.create(graph);
    const target = paths();
    const result = await installPackages(source, { specs: ['app'], ...target, dryRun: true });
    expect(result.installed).toHaveLength(3);
    expect(existsSync(target.lockfilePath)).toBe(false);
    expect(readdirSync(target.packagesDir).filter((name) => !name.startsWith('.'))).toEqual([]);
  });

  it('installs no dependencies with noDependencies', async () => {
    const source = await MemorySource.create(graph);
    const target = paths();
    const result = await installPackages(source, { specs: ['app'], ...target, noDependencies: true });
    expect(result.installed.map((entry) => entry.name)).toEqual(['app']);
  });

  it('rejects a tampered archive before writing anything', async () => {
    const source = await MemorySource.create(graph);
    const target = paths();
    await installPackages(source, { specs: ['util@2.0.0'], ...target });
    const before = snapshot(target.root);
    const lib = source.candidates.get('lib')?.find((candidate) => candidate.version === '1.1.0');
    const bytes = source.archives.get(lib?.archive ?? '');
    if (bytes === undefined) throw new Error('fixture missing');
    const tampered = Uint8Array.from(bytes);
    tampered[tampered.length - 20] = (tampered[tampered.length - 20] ?? 0) ^ 0xff;
    source.archives.set(lib?.archive ?? '', tampered);
    const error = await failure(installPackages(source, { specs: ['app'], ...target }));
    expect(error.code).toBe('GGEN_E_INTEGRITY_MISMATCH');
    expect(snapshot(target.root)).toEqual(before);
  });

  it('keeps the previous state when a fetch fails midway', async () => {
    const source = await MemorySource.create(graph);
    const target = paths();
    await installPackages(source, { specs: ['other'], ...target });
    const before = snapshot(target.root);
    source.archives.delete('memory://lib-1.1.0.tgz');
    await expect(installPackages(source, { specs: ['app'], ...target })).rejects.toThrow('no archive');
    expect(snapshot(target.root)).toEqual(before);
    const listed = await listInstalledPackages(target);
    expect(listed.map((entry) => `${entry.name}:${entry.status}`)).toEqual(['other:ok', 'util:ok']);
  });

  it('reports a lock wait when another holder is alive, then proceeds', async () => {
    const source = await MemorySource.create(graph);
    const target = paths();
    mkdirSync(target.packagesDir, { recursive: true });
    // Our own pid is alive: the installer must wait for it, then carry on once it is gone.
    writeFileSync(join(target.packagesDir, '.ggen.lock-pid'), `${process.pid}\nhost\n`);
    const events: InstallEvent[] = [];
    let waiting: () => void = () => undefined;
    const lockWait = new Promise<void>((resolve) => (waiting = resolve));
    const pending = installPackages(source, { specs: ['util'], ...target }, (event) => {
      events.push(event);
      if (event.type === 'lock-wait') waiting();
    });
    await lockWait;
    expect(events).toContainEqual({ type: 'lock-wait', pid: process.pid });
    expect(existsSync(target.lockfilePath)).toBe(false);
    const { unlinkSync } = await import('node:fs');
    unlinkSync(join(target.packagesDir, '.ggen.lock-pid'));
    await pending;
    expect(existsSync(target.lockfilePath)).toBe(true);
  });

  it('breaks a lock left by a dead process at once', async () => {
    const source = await MemorySource.create(graph);
    const target = paths();
    mkdirSync(target.packagesDir, { recursive: true });
    writeFileSync(join(target.packagesDir, '.ggen.lock-pid'), '999999999\nhost\n');
    await installPackages(source, { specs: ['util'], ...target });
    expect(existsSync(join(target.packagesDir, '.ggen.lock-pid'))).toBe(false);
  });
});

describe('frozen lockfile', () => {
  it('installs exactly the lockfile, and fails when it does not satisfy the request', async () => {
    const source = await MemorySource.create(graph);
    const target = paths();
    await installPackages(source, { specs: ['app'], ...target });
    const lock = readFileSync(target.lockfilePath, 'utf8');
    const fresh = paths();
    writeFileSync(fresh.lockfilePath, lock);
    await source.add({ name: 'lib', version: '1.9.0', dependencies: { util: '^2.0.0' } });
    const result = await installPackages(source, { specs: [], ...fresh, frozenLockfile: true });
    expect(result.installed.map((entry) => `${entry.name}@${entry.version}`).sort()).toEqual([
      'app@1.0.0',
      'lib@1.1.0',
      'util@2.3.0',
    ]);
    expect(readFileSync(fresh.lockfilePath, 'utf8')).toBe(lock);
    const error = await failure(installPackages(source, { specs: ['lib@^1.5'], ...fresh, frozenLockfile: true }));
    expect(error.code).toBe('GGEN_E_FROZEN_LOCKFILE');
    const none = paths();
    expect((await failure(installPackages(source, { specs: [], ...none, frozenLockfile: true }))).code).toBe(
      'GGEN_E_FROZEN_LOCKFILE',
    );
  });
});

describe('update, remove and list', () => {
  it('updates within ranges, dry run first', async () => {
    const source = await MemorySource.create(graph);
    const target = paths();
    await installPackages(source, { specs: ['app'], ...target });
    await source.add({ name: 'lib', version: '1.2.0', dependencies: { util: '^2.0.0' } });
    await source.add({ name: 'lib', version: '2.0.0' });
    const dry = await updatePackages(source, { ...target, dryRun: true });
    expect(dry.changes).toEqual([{ name: 'lib', from: '1.1.0', to: '1.2.0' }]);
    expect(readLockfile(target.lockfilePath)?.packages.lib?.version).toBe('1.1.0');
    await updatePackages(source, { ...target });
    expect(readLockfile(target.lockfilePath)?.packages.lib?.version).toBe('1.2.0');
    expect(readFileSync(join(target.packagesDir, 'lib', 'templates', 'main.tmpl'), 'utf8')).toBe('lib 1.2.0');
  });

  it('updating one package leaves the others where they are', async () => {
    const source = await MemorySource.create(graph);
    const target = paths();
    await installPackages(source, { specs: ['app'], ...target });
    await source.add({ name: 'lib', version: '1.2.0', dependencies: { util: '^2.0.0' } });
    await source.add({ name: 'util', version: '2.4.0' });
    const result = await updatePackages(source, { ...target, name: 'lib' });
    expect(result.changes).toEqual([{ name: 'lib', from: '1.1.0', to: '1.2.0' }]);
    expect(readLockfile(target.lockfilePath)?.packages.util?.version).toBe('2.3.0');
  });

  it('refuses to remove a package others depend on, unless forced, and prunes orphans', async () => {
    const source = await MemorySource.create(graph);
    const target = paths();
    await installPackages(source, { specs: ['app', 'other'], ...target });
    const error = await failure(removePackage(source, { name: 'util', ...target }));
    expect(error.code).toBe('GGEN_E_DEPENDED_UPON');
    expect(error.message).toContain('app, lib, other');
    const removed = await removePackage(source, { name: 'app', ...target });
    expect(removed.removed).toEqual(['app', 'lib']);
    expect(existsSync(join(target.packagesDir, 'lib'))).toBe(false);
    expect(Object.keys(readLockfile(target.lockfilePath)?.packages ?? {})).toEqual(['other', 'util']);
    const forced = await removePackage(source, { name: 'util', ...target, force: true });
    expect(forced.removed).toEqual(['util']);
    expect((await failure(removePackage(source, { name: 'nope', ...target }))).code).toBe('GGEN_E_NOT_INSTALLED');
  });

  it('flags modified, missing and extraneous packages', async () => {
    const source = await MemorySource.create(graph);
    const target = paths();
    await installPackages(source, { specs: ['app'], ...target });
    writeFileSync(join(target.packagesDir, 'lib', 'templates', 'main.tmpl'), 'edited');
    const { rmSync } = await import('node:fs');
    rmSync(join(target.packagesDir, 'util'), { recursive: true });
    mkdirSync(join(target.packagesDir, 'stray'));
    const listed = await listInstalledPackages(target);
    expect(listed.map((entry) => `${entry.name}:${entry.status}:${entry.direct}`)).toEqual([
      'app:ok:true',
      'lib:modified:false',
      'stray:extraneous:false',
      'util:missing:false',
    ]);
    // A plain install does not overwrite the edit; a forced one restores the drifted packages.
    await expect(installPackages(source, { specs: ['app'], ...target })).rejects.toMatchObject({
      code: 'GGEN_E_LOCAL_CHANGES',
    });
    expect(readFileSync(join(target.packagesDir, 'lib', 'templates', 'main.tmpl'), 'utf8')).toBe('edited');
    await installPackages(source, { specs: ['app'], force: true, ...target });
    expect(
      (await listInstalledPackages(target)).filter((entry) => entry.status !== 'ok').map((entry) => entry.name),
    ).toEqual(['stray']);
  });
});
