import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  installPackages,
  journalPath,
  listInstalledPackages,
  MarketplaceError,
  readLockfile,
  recoverTransaction,
  TRANSACTION_DIR,
} from '@ggen/marketplace-core';
import { MemorySource } from './helpers/memory-source.js';

/** Installs util@2.0.0, then stages util@2.3.0 by hand the way an interrupted run leaves it. */
async function interrupted(): Promise<{
  packagesDir: string;
  lockfilePath: string;
  stateDir: string;
  newLock: string;
  oldLock: string;
}> {
  const source = await MemorySource.create([
    { name: 'util', version: '2.0.0' },
    { name: 'util', version: '2.3.0' },
  ]);
  const root = mkdtempSync(join(tmpdir(), 'ggen-recover-'));
  const old = {
    packagesDir: join(root, 'gpacks'),
    lockfilePath: join(root, 'ggen.lock'),
    stateDir: join(root, 'state'),
  };
  await installPackages(source, { specs: ['util@2.0.0'], ...old });
  const oldLock = readFileSync(old.lockfilePath, 'utf8');
  // Produce the new state elsewhere to borrow its staged tree and lockfile.
  const other = {
    packagesDir: join(root, 'other'),
    lockfilePath: join(root, 'other.lock'),
    stateDir: join(root, 'state'),
  };
  await installPackages(source, { specs: ['util@2.3.0'], ...other });
  // The same lockfile as the one `old` would get: it names its own packages directory.
  const newLock = readFileSync(other.lockfilePath, 'utf8').replace('"packagesDir": "other"', '"packagesDir": "gpacks"');
  expect(newLock).toContain('"packagesDir": "gpacks"');
  const txn = join(old.packagesDir, TRANSACTION_DIR);
  mkdirSync(join(txn, 'new'), { recursive: true });
  mkdirSync(join(txn, 'old'), { recursive: true });
  renameSync(join(other.packagesDir, 'util'), join(txn, 'new', 'util'));
  return { ...old, newLock, oldLock };
}

/** The journal a run that died right after its commit point leaves, where ggen keeps it. */
function writeJournal(state: { packagesDir: string; lockfilePath: string; stateDir: string; newLock: string }): void {
  const path = journalPath(state.stateDir, state.packagesDir);
  mkdirSync(dirname(path), { recursive: true });
  const journal = {
    version: 2,
    packagesDir: state.packagesDir,
    lockfile: state.lockfilePath,
    lockfileContent: state.newLock,
    install: ['util'],
    remove: [],
  };
  writeFileSync(path, JSON.stringify(journal));
}

const installedVersion = (packagesDir: string): string =>
  readFileSync(join(packagesDir, 'util', 'templates', 'main.tmpl'), 'utf8');

describe('recoverTransaction', () => {
  it('rolls back a run that died before its journal was written', async () => {
    const state = await interrupted();
    expect(recoverTransaction(state.packagesDir, state.stateDir)).toBe('rolled-back');
    expect(installedVersion(state.packagesDir)).toBe('util 2.0.0');
    expect(readFileSync(state.lockfilePath, 'utf8')).toBe(state.oldLock);
    expect(existsSync(join(state.packagesDir, TRANSACTION_DIR))).toBe(false);
  });

  it('rolls forward a run that died right after writing its journal', async () => {
    const state = await interrupted();
    writeJournal(state);
    expect(recoverTransaction(state.packagesDir, state.stateDir)).toBe('rolled-forward');
    expect(installedVersion(state.packagesDir)).toBe('util 2.3.0');
    expect(readFileSync(state.lockfilePath, 'utf8')).toBe(state.newLock);
    expect((await listInstalledPackages(state)).map((entry) => entry.status)).toEqual(['ok']);
  });

  it('rolls forward a run that died between moving the old tree out and the new one in', async () => {
    const state = await interrupted();
    const txn = join(state.packagesDir, TRANSACTION_DIR);
    writeJournal(state);
    renameSync(join(state.packagesDir, 'util'), join(txn, 'old', 'util'));
    recoverTransaction(state.packagesDir, state.stateDir);
    expect(installedVersion(state.packagesDir)).toBe('util 2.3.0');
    expect(readLockfile(state.lockfilePath)?.packages.util?.version).toBe('2.3.0');
  });

  it('finishes a run that died after the packages moved but before the lockfile', async () => {
    const state = await interrupted();
    const txn = join(state.packagesDir, TRANSACTION_DIR);
    writeJournal(state);
    renameSync(join(state.packagesDir, 'util'), join(txn, 'old', 'util'));
    renameSync(join(txn, 'new', 'util'), join(state.packagesDir, 'util'));
    expect(readFileSync(state.lockfilePath, 'utf8')).toBe(state.oldLock);
    recoverTransaction(state.packagesDir, state.stateDir);
    expect(readFileSync(state.lockfilePath, 'utf8')).toBe(state.newLock);
    expect((await listInstalledPackages(state)).map((entry) => entry.status)).toEqual(['ok']);
  });

  it('list recovers on its own before reporting', async () => {
    const state = await interrupted();
    const listed = await listInstalledPackages(state);
    expect(listed.map((entry) => `${entry.version ?? ''}:${entry.status}`)).toEqual(['2.0.0:ok']);
  });

  it('refuses a journal inside the packages directory (ggen never writes one there), and changes nothing', async () => {
    const state = await interrupted();
    const victim = join(dirname(state.packagesDir), 'victim.txt');
    writeFileSync(victim, 'keep me');
    const planted = { version: 1, lockfile: victim, lockfileContent: 'pwned', install: [], remove: ['util'] };
    writeFileSync(join(state.packagesDir, TRANSACTION_DIR, 'journal.json'), JSON.stringify(planted));
    let error: unknown;
    try {
      recoverTransaction(state.packagesDir, state.stateDir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MarketplaceError);
    expect((error as MarketplaceError).code).toBe('GGEN_E_FOREIGN_FILE');
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(installedVersion(state.packagesDir)).toBe('util 2.0.0');
    expect(readFileSync(state.lockfilePath, 'utf8')).toBe(state.oldLock);
  });

  it('ignores a state journal that names another packages directory', async () => {
    const state = await interrupted();
    const path = journalPath(state.stateDir, state.packagesDir);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(
      path,
      JSON.stringify({
        version: 2,
        packagesDir: '/elsewhere',
        lockfile: state.lockfilePath,
        lockfileContent: 'x',
        install: ['util'],
        remove: [],
      }),
    );
    expect(recoverTransaction(state.packagesDir, state.stateDir)).toBe('rolled-back');
    expect(installedVersion(state.packagesDir)).toBe('util 2.0.0');
    expect(readFileSync(state.lockfilePath, 'utf8')).toBe(state.oldLock);
    expect(existsSync(path)).toBe(false);
  });
});
