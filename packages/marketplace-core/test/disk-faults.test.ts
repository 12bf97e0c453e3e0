import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';

// Fault injection: the real node:fs, except that writes of staged package files (extraction
// writes them synchronously, by path) fail with ENOSPC (or EACCES) while `fault` is set, and
// moving a staged package into place fails while `commitFault` is set.
let fault: string | undefined;
/** ENOSPC on moving a staged package into place: after the journal, the commit point. */
let commitFault = false;
const realSync = jest.requireActual<typeof import('node:fs')>('node:fs');
jest.unstable_mockModule('node:fs', () => ({
  ...realSync,
  default: realSync,
  writeFileSync: (...args: Parameters<typeof realSync.writeFileSync>) => {
    if (fault !== undefined && typeof args[0] === 'string' && args[0].includes('.ggen-txn'))
      throw Object.assign(new Error(`${fault}: injected`), { code: fault });
    realSync.writeFileSync(...args);
  },
  renameSync: (...args: Parameters<typeof realSync.renameSync>) => {
    if (commitFault && String(args[0]).includes(`.ggen-txn/new/`))
      throw Object.assign(new Error('ENOSPC: injected'), { code: 'ENOSPC' });
    realSync.renameSync(...args);
  },
}));

const { installPackages, listInstalledPackages, MarketplaceError } = await import('@ggen/marketplace-core');
const { MemorySource } = await import('./helpers/memory-source.js');

describe('disk faults during install', () => {
  it.each([
    ['ENOSPC', 'GGEN_E_DISK_FULL'],
    ['EACCES', 'GGEN_E_PERMISSION_DENIED'],
    // A read-only file system is said as such, not as an I/O error or a permission problem.
    ['EROFS', 'GGEN_E_READ_ONLY'],
  ])('%s while extracting is %s and leaves the previous install intact', async (errno, code) => {
    const source = await MemorySource.create([
      { name: 'keep', version: '1.0.0' },
      { name: 'app', version: '1.0.0', dependencies: { lib: '*' } },
      { name: 'lib', version: '1.0.0' },
    ]);
    const root = mkdtempSync(join(tmpdir(), 'ggen-fault-'));
    const target = { packagesDir: join(root, 'gpacks'), lockfilePath: join(root, 'ggen.lock') };
    await installPackages(source, { specs: ['keep'], ...target });
    const lock = readFileSync(target.lockfilePath, 'utf8');
    fault = errno;
    try {
      await installPackages(source, { specs: ['app'], ...target });
      throw new Error('expected failure');
    } catch (error) {
      expect(error).toBeInstanceOf(MarketplaceError);
      expect((error as InstanceType<typeof MarketplaceError>).code).toBe(code);
    } finally {
      fault = undefined;
    }
    expect(readFileSync(target.lockfilePath, 'utf8')).toBe(lock);
    expect(existsSync(join(target.packagesDir, 'app'))).toBe(false);
    expect((await listInstalledPackages(target)).map((entry) => `${entry.name}:${entry.status}`)).toEqual(['keep:ok']);
    // The next run, with space again, succeeds.
    await installPackages(source, { specs: ['app'], ...target });
    expect(existsSync(join(target.packagesDir, 'app', 'gpack.yaml'))).toBe(true);
  });

  it('says a disk-full failure after the commit point is committed, and the next command finishes it', async () => {
    const source = await MemorySource.create([{ name: 'app', version: '1.0.0' }]);
    const root = mkdtempSync(join(tmpdir(), 'ggen-fault-'));
    const target = { packagesDir: join(root, 'gpacks'), lockfilePath: join(root, 'ggen.lock') };
    commitFault = true;
    let error: unknown;
    try {
      await installPackages(source, { specs: ['app'], ...target });
    } catch (caught) {
      error = caught;
    } finally {
      commitFault = false;
    }
    expect(error).toBeInstanceOf(MarketplaceError);
    const coded = error as InstanceType<typeof MarketplaceError>;
    expect(coded.code).toBe('GGEN_E_DISK_FULL');
    expect(coded.hint).not.toMatch(/nothing was changed/i);
    expect(coded.hint).toMatch(/committed/);
    // With space again, the next command rolls the committed install forward.
    expect((await listInstalledPackages(target)).map((entry) => `${entry.name}:${entry.status}`)).toEqual(['app:ok']);
  });
});
