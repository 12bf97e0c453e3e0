import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { LOCK_FILE, withFileLock, type InstalledPackage } from '@ggen/marketplace-core';
import { publishToV1Registry } from '@ggen/marketplace-v1';
import { freshHome, parseJson, runGgen, spawnGgen } from './helpers/run-ggen.js';

const PACKAGES = 30;
const names = Array.from({ length: PACKAGES }, (_, index) => `crash-pkg-${String(index).padStart(2, '0')}`);

/** A registry of 30 packages in versions 1.0.0 and 2.0.0, each with 40 files. */
async function buildRegistry(): Promise<string> {
  const registry = mkdtempSync(join(tmpdir(), 'ggen-crash-registry-'));
  for (const name of names) {
    for (const version of ['1.0.0', '2.0.0']) {
      const dir = mkdtempSync(join(tmpdir(), 'ggen-crash-pkg-'));
      mkdirSync(join(dir, 'templates'));
      writeFileSync(join(dir, 'gpack.yaml'), `name: ${name}\nversion: ${version}\ndescription: crash fixture\n`);
      for (let file = 0; file < 40; file += 1)
        writeFileSync(join(dir, 'templates', `t${file}.tmpl`), `${name} ${version} ${'x'.repeat(4000)} ${file}`);
      await publishToV1Registry({ dir, registry });
    }
  }
  return registry;
}

/** A promise and the function that keeps it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

function versionsOf(list: InstalledPackage[]): string[] {
  return [...new Set(list.map((entry) => `${entry.version ?? '?'}:${entry.status}`))];
}

describe('crash safety', () => {
  let registry: string;
  let oldState: string;
  let fullRunMs = 0;

  beforeAll(async () => {
    registry = await buildRegistry();
    oldState = freshHome();
    const install = await runGgen(
      ['marketplace', 'install', ...names.map((name) => `${name}@1.0.0`), '--registry', registry],
      { home: oldState },
    );
    expect(install.code).toBe(0);
    const probe = freshHome();
    cpSync(oldState, probe, { recursive: true });
    const started = Date.now();
    const upgrade = await runGgen(
      ['marketplace', 'install', ...names.map((name) => `${name}@2.0.0`), '--registry', registry],
      { home: probe },
    );
    fullRunMs = Date.now() - started;
    expect(upgrade.code).toBe(0);
  }, 120_000);

  it('leaves a consistent old or new state wherever the installer is killed', async () => {
    const outcomes: string[] = [];
    const points = 24;
    for (let point = 0; point < points; point += 1) {
      const home = freshHome();
      cpSync(oldState, home, { recursive: true });
      const delay = Math.round(((point + 1) / points) * fullRunMs * 1.1);
      const child = spawnGgen(
        ['marketplace', 'install', ...names.map((name) => `${name}@2.0.0`), '--registry', registry],
        { home },
      );
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.kill('SIGKILL');
      await exited;

      // The next run recovers first, then reports.
      const listed = parseJson<InstalledPackage[]>(
        await runGgen(['marketplace', 'list', '--json', '--registry', registry], { home }),
      );
      expect(listed.map((entry) => entry.name)).toEqual(names);
      const state = versionsOf(listed);
      expect([['1.0.0:ok'], ['2.0.0:ok']]).toContainEqual(state);
      const lock = JSON.parse(readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8')) as {
        packages: Record<string, { version: string }>;
      };
      expect(new Set(Object.values(lock.packages).map((entry) => entry.version)).size).toBe(1);
      outcomes.push(state[0] ?? '');
    }
    // The kill points must span the install: some runs died before the commit, some after.
    expect(outcomes).toContain('1.0.0:ok');
    expect(outcomes).toContain('2.0.0:ok');
  }, 240_000);

  it('lets two processes install into one directory at once without corrupting it', async () => {
    const home = freshHome();
    const packagesDir = join(home, '.ggen', 'packages');
    mkdirSync(packagesDir, { recursive: true });
    const collect = (child: ReturnType<typeof spawnGgen>, waiting: () => void): Promise<{ code: number | null }> =>
      new Promise((resolve) => {
        let stderr = '';
        child.stderr?.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('waiting for another ggen process')) waiting();
        });
        child.once('exit', (code) => {
          resolve({ code });
        });
      });
    // The directory is held (as another ggen would hold it) until both installs say they wait
    // for it: then they race for it, on any machine, however loaded.
    const { finished } = await withFileLock(join(packagesDir, LOCK_FILE), async () => {
      const waits = [deferred(), deferred()] as const;
      const children = [
        spawnGgen(['marketplace', 'install', ...names.slice(0, 15), '--registry', registry], { home }),
        spawnGgen(['marketplace', 'install', ...names.slice(15), '--registry', registry], { home }),
      ];
      const all = Promise.all(
        children.map((child, index) =>
          collect(child, () => {
            waits[index]!.resolve();
          }),
        ),
      );
      await Promise.all(waits.map((wait) => wait.promise));
      return { finished: all };
    });
    const results = await finished;
    expect(results.map((result) => result.code)).toEqual([0, 0]);
    const listed = parseJson<InstalledPackage[]>(
      await runGgen(['marketplace', 'list', '--json', '--registry', registry], { home }),
    );
    expect(listed.map((entry) => `${entry.name}:${entry.status}`)).toEqual(names.map((name) => `${name}:ok`));
  }, 120_000);
});
