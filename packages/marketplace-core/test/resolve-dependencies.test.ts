import { describe, expect, it } from '@jest/globals';
import { newestWithin, resolveDependencies } from '@ggen/marketplace-core';
import { failure } from './helpers/failure.js';
import { MemorySource, type FixturePackage } from './helpers/memory-source.js';

const versions = (resolution: Awaited<ReturnType<typeof resolveDependencies>>): Record<string, string> =>
  Object.fromEntries([...resolution.packages].map(([name, candidate]) => [name, candidate.version]));

describe('resolveDependencies', () => {
  it('picks the newest version satisfying each range, transitively', async () => {
    const source = await MemorySource.create([
      { name: 'app', version: '1.0.0', dependencies: { lib: '^1.0.0' } },
      { name: 'lib', version: '1.0.0' },
      { name: 'lib', version: '1.4.2', dependencies: { util: '~2.1.0' } },
      { name: 'lib', version: '2.0.0' },
      { name: 'util', version: '2.1.9' },
      { name: 'util', version: '2.2.0' },
    ]);
    const resolution = await resolveDependencies({ source, requests: { app: '*' } });
    expect(versions(resolution)).toEqual({ app: '1.0.0', lib: '1.4.2', util: '2.1.9' });
    expect(resolution.order).toEqual(['util', 'lib', 'app']);
  });

  it('backtracks to an older version when the newest conflicts', async () => {
    const source = await MemorySource.create([
      { name: 'a', version: '1.0.0', dependencies: { c: '^1.0.0' } },
      { name: 'b', version: '2.0.0', dependencies: { c: '^2.0.0' } },
      { name: 'b', version: '1.5.0', dependencies: { c: '^1.0.0' } },
      { name: 'c', version: '1.3.0' },
      { name: 'c', version: '2.0.0' },
    ]);
    expect(versions(await resolveDependencies({ source, requests: { a: '*', b: '*' } }))).toEqual({
      a: '1.0.0',
      b: '1.5.0',
      c: '1.3.0',
    });
  });

  it('names both chains of requirements in a conflict', async () => {
    const source = await MemorySource.create([
      { name: 'a', version: '1.0.0', dependencies: { c: '^1.0.0' } },
      { name: 'b', version: '2.0.0', dependencies: { c: '^2.0.0' } },
      { name: 'c', version: '1.0.0' },
      { name: 'c', version: '2.0.0' },
    ]);
    const error = await failure(resolveDependencies({ source, requests: { a: '^1', b: '^2' } }));
    expect(error.code).toBe('GGEN_E_RESOLUTION_CONFLICT');
    expect(error.message).toContain('a@1.0.0 needs c@^1.0.0');
    expect(error.message).toContain('b@2.0.0 needs c@^2.0.0');
  });

  it('says which package needs a dependency the registry does not have', async () => {
    const source = await MemorySource.create([{ name: 'top', version: '1.0.0', dependencies: { ghost: '*' } }]);
    const error = await failure(resolveDependencies({ source, requests: { top: '*' } }));
    expect(error.code).toBe('GGEN_E_PACKAGE_NOT_FOUND');
    expect(error.message).toContain("'ghost', a dependency of top@1.0.0");
    expect(error.hint).toContain('--no-dependencies');
  });

  it('lists the available versions when no version matches', async () => {
    const source = await MemorySource.create([
      { name: 'lib', version: '1.0.0' },
      { name: 'lib', version: '1.1.0' },
    ]);
    const error = await failure(resolveDependencies({ source, requests: { lib: '^3.0.0' } }));
    expect(error.code).toBe('GGEN_E_VERSION_NOT_FOUND');
    expect(error.message).toContain('available: 1.0.0, 1.1.0');
  });

  it('resolves a dependency cycle and reports it', async () => {
    const source = await MemorySource.create([
      { name: 'x', version: '1.0.0', dependencies: { y: '^1' } },
      { name: 'y', version: '1.0.0', dependencies: { x: '^1' } },
    ]);
    const resolution = await resolveDependencies({ source, requests: { x: '*' } });
    expect(resolution.cycles).toEqual([['x', 'y']]);
    expect(resolution.order.sort()).toEqual(['x', 'y']);
  });

  it('skips yanked versions unless pinned exactly, and honours preferred versions', async () => {
    const source = await MemorySource.create([
      { name: 'lib', version: '1.0.0' },
      { name: 'lib', version: '1.1.0' },
      { name: 'lib', version: '1.2.0', yanked: true },
    ]);
    expect(versions(await resolveDependencies({ source, requests: { lib: '^1' } }))).toEqual({ lib: '1.1.0' });
    expect(versions(await resolveDependencies({ source, requests: { lib: '1.2.0' } }))).toEqual({ lib: '1.2.0' });
    expect(
      versions(await resolveDependencies({ source, requests: { lib: '^1' }, preferred: { lib: '1.0.0' } })),
    ).toEqual({ lib: '1.0.0' });
  });

  it('installs a prerelease-only package by bare name, but prefers a stable release', async () => {
    const source = await MemorySource.create([
      { name: 'preview', version: '7.0.0-dev.1' },
      { name: 'mixed', version: '1.0.0' },
      { name: 'mixed', version: '2.0.0-beta.1' },
    ]);
    expect(versions(await resolveDependencies({ source, requests: { preview: '*', mixed: '*' } }))).toEqual({
      preview: '7.0.0-dev.1',
      mixed: '1.0.0',
    });
    expect((await failure(resolveDependencies({ source, requests: { preview: '^7.0.0' } }))).code).toBe(
      'GGEN_E_VERSION_NOT_FOUND',
    );
  });

  it('resolves only the requested packages with noDependencies', async () => {
    const source = await MemorySource.create([{ name: 'top', version: '1.0.0', dependencies: { ghost: '*' } }]);
    expect(versions(await resolveDependencies({ source, requests: { top: '*' }, noDependencies: true }))).toEqual({
      top: '1.0.0',
    });
  });

  it('stops with a coded error when the search space explodes', async () => {
    const fixtures: FixturePackage[] = [{ name: 'root', version: '1.0.0', dependencies: { a: '*', b: '*', z: '^2' } }];
    for (let index = 0; index < 30; index += 1) {
      fixtures.push({ name: 'a', version: `1.0.${index}`, dependencies: { z: '^1' } });
      fixtures.push({ name: 'b', version: `1.0.${index}`, dependencies: {} });
    }
    const source = await MemorySource.create([
      ...fixtures,
      { name: 'z', version: '1.0.0' },
      { name: 'z', version: '2.0.0' },
    ]);
    const error = await failure(resolveDependencies({ source, requests: { root: '*' }, maxSteps: 50 }));
    expect(error.code).toBe('GGEN_E_RESOLUTION_TOO_COMPLEX');
  });
});

describe('newestWithin (what outdated calls wanted)', () => {
  const lib = ['1.0.0', '1.4.2', '1.5.0', '1.6.0-rc.1', '2.0.0'].map((version) => ({
    name: 'lib',
    version,
    yanked: version === '1.5.0',
  }));

  it('is the version the resolver picks for the same ranges: no yanked one, stable before prerelease', async () => {
    const source = await MemorySource.create(lib.map(({ name, version, yanked }) => ({ name, version, yanked })));
    for (const ranges of [['^1.0.0'], ['*'], ['^1.0.0', '>=1.2.0'], ['1.5.0'], ['>=1.6.0-rc.1 <2']]) {
      const resolved = versions(await resolveDependencies({ source, requests: { lib: ranges.join(' ') } })).lib;
      expect({ ranges, wanted: newestWithin(lib, ranges)?.version }).toEqual({ ranges, wanted: resolved });
    }
    expect(newestWithin(lib, ['^1.0.0'])?.version).toBe('1.4.2');
    expect(newestWithin(lib, ['^1.0.0', '^2.0.0'])).toBeUndefined();
  });
});
