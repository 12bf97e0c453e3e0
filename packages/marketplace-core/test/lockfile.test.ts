import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { MarketplaceError, readLockfile } from '@ggen/marketplace-core';
import { lockfileSchema } from '../src/install/lockfile.js';

// The lockfile's rules (one zod schema): what it accepts as it is, what it refuses and how.
const locked = (version: string, more: object = {}) => ({
  version,
  resolved: `v2:archives/x-${version}.tar.gz`,
  integrity: 'sha256-abc',
  dependencies: {},
  backend: 'v2',
  contentHash: 'sha256-def',
  ...more,
});
const good = {
  lockfileVersion: 1,
  requested: { app: '^1.0.0', '@team/gen': '~2.1' },
  packages: {
    app: locked('1.0.0', {
      dependencies: { lib: '^1.0.0', '@team/gen': '>=2.0.0 <3.0.0' },
      checksum: 'c',
      backend: 'v1',
    }),
    lib: locked('1.1.0-beta.1', { signature: { keyId: 'ABCDEF0123456789' } }),
    '@team/gen': locked('2.1.3', { signature: { keyId: 'K', owners: ['alice', 'bob'] } }),
  },
};

const badNames = ['../victim', 'UPPER', '', '@scope', '__proto__', 'a/b/c', 'x'.repeat(300), 7];
const badRanges = ['>>1', '', 'latest!', 1, null];
const badVersions = ['1.0', 'latest', '', 'v1.0.0.0', 1];
const notStrings = [1, null, undefined, ['a'], {}];

/** Every field of the lockfile broken every way, one at a time, and keys the shape does not name at each level. */
function brokenLockfiles(): unknown[] {
  const bad: unknown[] = [
    null,
    [],
    'lockfile',
    {},
    { ...good, lockfileVersion: 2 },
    { ...good, lockfileVersion: '1' },
    { ...good, extra: true },
  ];
  const { requested, packages } = good;
  for (const wrong of [null, [], 'x', ...badRanges.map((range) => ({ app: range }))])
    bad.push({ ...good, requested: wrong });
  for (const name of badNames)
    bad.push(
      { ...good, requested: { ...requested, [String(name)]: '^1.0.0' } },
      { ...good, packages: { ...packages, [String(name)]: locked('1.0.0') } },
    );
  for (const wrong of [null, [], 'x', { app: null }, { app: [] }]) bad.push({ ...good, packages: wrong });
  const app = packages.app;
  const field = (key: string, value: unknown) => ({
    ...good,
    packages: { ...packages, app: { ...app, [key]: value } },
  });
  for (const key of ['resolved', 'integrity', 'contentHash', 'checksum'])
    for (const wrong of notStrings) bad.push(field(key, wrong));
  for (const wrong of [...badVersions, undefined]) bad.push(field('version', wrong));
  for (const wrong of ['v3', 'V2', null, undefined]) bad.push(field('backend', wrong));
  for (const wrong of [
    null,
    [],
    'x',
    undefined,
    ...badRanges.map((range) => ({ lib: range })),
    ...badNames.map((name) => ({ [String(name)]: '^1' })),
  ])
    bad.push(field('dependencies', wrong));
  for (const wrong of [
    null,
    'K',
    {},
    { keyId: 1 },
    { keyId: 'K', owners: 'alice' },
    { keyId: 'K', owners: [1] },
    { keyId: 'K', owners: null },
    { keyId: 'K', more: 1 },
  ])
    bad.push(field('signature', wrong));
  bad.push(field('unknown', 'kept?'));
  // A key JSON.parse makes an own property (zod cannot copy it as it is).
  bad.push(JSON.parse('{"lockfileVersion":1,"requested":{"__proto__":"^1.0.0"},"packages":{}}'));
  return bad;
}

describe('the lockfile, its rules said once', () => {
  it('reads a well-formed lockfile as it is', () => {
    for (const lockfile of [good, { lockfileVersion: 1, requested: {}, packages: {} }])
      expect(lockfileSchema().parse(lockfile)).toStrictEqual(lockfile);
  });

  it('refuses broken lockfiles naming the field, and drops keys it does not know', () => {
    const bad = brokenLockfiles();
    expect(bad.length).toBeGreaterThan(80);
    let refused = 0;
    for (const value of bad) {
      const result = lockfileSchema().safeParse(value);
      if (result.success) continue;
      refused += 1;
      expect({
        value,
        field: (result.error.issues[0]?.path.length ?? 0) > 0 || result.error.issues[0]?.code === 'invalid_type',
      }).toEqual({ value, field: true });
    }
    expect(refused).toBeGreaterThan(bad.length * 0.8);
    const withUnknown = { ...good, packages: { ...good.packages, app: { ...good.packages.app, unknown: 'kept?' } } };
    expect(lockfileSchema().parse(withUnknown)).toStrictEqual(good);
    expect(lockfileSchema().safeParse({ ...good, requested: { '../victim': '^1.0.0' } }).success).toBe(false);
  });

  it('readLockfile gives what zod gave, or the coded error naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ggen-lockfile-'));
    const withUnknown = { ...good, packages: { ...good.packages, app: { ...good.packages.app, fromANewerGgen: 1 } } };
    const path = join(dir, 'ggen.lock');
    writeFileSync(path, JSON.stringify(withUnknown));
    // A key this ggen does not write is dropped, as before.
    expect(readLockfile(path)).toStrictEqual(good);
    writeFileSync(path, JSON.stringify(good));
    expect(readLockfile(path)).toStrictEqual(good);
    writeFileSync(path, JSON.stringify({ ...good, requested: { '../victim': '^1.0.0' } }));
    let thrown: unknown;
    try {
      readLockfile(path);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MarketplaceError);
    expect((thrown as MarketplaceError).message).toBe(
      `Lockfile ${path} is unreadable: 'requested.../victim': '../victim' is not a package name: it names a path`,
    );
    writeFileSync(
      path,
      JSON.stringify({ ...good, packages: { ...good.packages, app: { ...good.packages.app, version: '1.0' } } }),
    );
    expect(() => readLockfile(path)).toThrow(
      `Lockfile ${path} is unreadable: 'packages.app.version': is not a semantic version`,
    );
  });
});
