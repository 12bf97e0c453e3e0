import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { isExactVersion, isVersionRange, MarketplaceError, packageNameProblem, plainlyAccepts, readLockfile } from '@ggen/marketplace-core';
import { LOCKFILE, lockfileSchema } from '../src/install/lockfile.js';

// The lockfile's zod schema as it was written by hand before its shape was declared once: the
// schema made from the shape must judge every lockfile here as it did, and the plain reading
// (no zod) may only ever give what its parse gave.
const packageName = () =>
  z.string().superRefine((name, ctx) => {
    const problem = packageNameProblem(name);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
const versionRange = () => z.string().refine(isVersionRange, 'is not a version range');
const written = z.object({
  lockfileVersion: z.literal(1),
  requested: z.record(packageName(), versionRange()),
  packages: z.record(
    packageName(),
    z.object({
      version: z.string().refine(isExactVersion, 'is not a semantic version'),
      resolved: z.string(),
      integrity: z.string(),
      checksum: z.string().optional(),
      dependencies: z.record(packageName(), versionRange()),
      backend: z.enum(['v1', 'v2']),
      signature: z.object({ keyId: z.string(), owners: z.array(z.string()).optional() }).optional(),
      contentHash: z.string(),
    }),
  ),
});

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
    app: locked('1.0.0', { dependencies: { lib: '^1.0.0', '@team/gen': '>=2.0.0 <3.0.0' }, checksum: 'c', backend: 'v1' }),
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
  const bad: unknown[] = [null, [], 'lockfile', {}, { ...good, lockfileVersion: 2 }, { ...good, lockfileVersion: '1' }, { ...good, extra: true }];
  const { requested, packages } = good;
  for (const wrong of [null, [], 'x', ...badRanges.map((range) => ({ app: range }))]) bad.push({ ...good, requested: wrong });
  for (const name of badNames)
    bad.push({ ...good, requested: { ...requested, [String(name)]: '^1.0.0' } }, { ...good, packages: { ...packages, [String(name)]: locked('1.0.0') } });
  for (const wrong of [null, [], 'x', { app: null }, { app: [] }]) bad.push({ ...good, packages: wrong });
  const app = packages.app;
  const field = (key: string, value: unknown) => ({ ...good, packages: { ...packages, app: { ...app, [key]: value } } });
  for (const key of ['resolved', 'integrity', 'contentHash', 'checksum']) for (const wrong of notStrings) bad.push(field(key, wrong));
  for (const wrong of [...badVersions, undefined]) bad.push(field('version', wrong));
  for (const wrong of ['v3', 'V2', null, undefined]) bad.push(field('backend', wrong));
  for (const wrong of [null, [], 'x', undefined, ...badRanges.map((range) => ({ lib: range })), ...badNames.map((name) => ({ [String(name)]: '^1' }))])
    bad.push(field('dependencies', wrong));
  for (const wrong of [null, 'K', {}, { keyId: 1 }, { keyId: 'K', owners: 'alice' }, { keyId: 'K', owners: [1] }, { keyId: 'K', owners: null }, { keyId: 'K', more: 1 }])
    bad.push(field('signature', wrong));
  bad.push(field('unknown', 'kept?'));
  // A key JSON.parse makes an own property (zod cannot copy it as it is).
  bad.push(JSON.parse('{"lockfileVersion":1,"requested":{"__proto__":"^1.0.0"},"packages":{}}'));
  return bad;
}

const firstIssue = (result: { success: boolean; error?: { issues: unknown[] } }) => result.error?.issues[0];

describe('the lockfile, its shape said once', () => {
  it('reads a well-formed lockfile without zod, exactly as zod parses it', () => {
    for (const lockfile of [good, { lockfileVersion: 1, requested: {}, packages: {} }]) {
      expect(plainlyAccepts(LOCKFILE, lockfile, { unchanged: true })).toBe(true);
      expect(written.parse(lockfile)).toStrictEqual(lockfile);
    }
  });

  it('judges every broken lockfile as the hand-written schema did, and reads none of them plainly unless zod gives it back as it is', () => {
    const bad = brokenLockfiles();
    expect(bad.length).toBeGreaterThan(80);
    let refused = 0;
    for (const value of bad) {
      const made = lockfileSchema().safeParse(value);
      const before = written.safeParse(value);
      expect({ value, made: made.success, issue: firstIssue(made) }).toEqual({ value, made: before.success, issue: firstIssue(before) });
      if (!before.success) refused += 1;
      // The plain reading says yes only where zod accepts and gives back the very value.
      const plain = plainlyAccepts(LOCKFILE, value, { unchanged: true });
      expect({ value, plain: plain && !(before.success && expectEqual(before.data, value)) }).toEqual({ value, plain: false });
    }
    // The breakings reach the fields: most are refused, and those kept (unknown keys) are stripped by zod.
    expect(refused).toBeGreaterThan(bad.length * 0.8);
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
    expect((thrown as MarketplaceError).message).toBe(`Lockfile ${path} is unreadable: 'requested.../victim': '../victim' is not a package name: it names a path`);
    writeFileSync(path, JSON.stringify({ ...good, packages: { ...good.packages, app: { ...good.packages.app, version: '1.0' } } }));
    expect(() => readLockfile(path)).toThrow(`Lockfile ${path} is unreadable: 'packages.app.version': is not a semantic version`);
  });
});

function expectEqual(a: unknown, b: unknown): boolean {
  try {
    expect(a).toStrictEqual(b);
    return true;
  } catch {
    return false;
  }
}
