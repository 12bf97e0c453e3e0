import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import {
  computeIntegrity,
  MarketplaceError,
  packDirectory,
  readArchive,
  verifyIntegrity,
  writeArchiveEntries,
} from '@ggen/marketplace-core';
import { buildTgz } from '../../../tools/testing/tar-builder.mjs';
import { codeOf } from '../../../tools/testing/coded-error.mjs';

function packageDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ggen-pack-'));
  mkdirSync(join(dir, 'templates', 'nested'), { recursive: true });
  writeFileSync(join(dir, 'gpack.yaml'), 'name: p\nversion: 1.0.0\ndescription: d\n');
  writeFileSync(join(dir, 'templates', 'b.tmpl'), 'B');
  writeFileSync(join(dir, 'templates', 'nested', 'a.tmpl'), 'A'.repeat(1000));
  writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n');
  chmodSync(join(dir, 'run.sh'), 0o775);
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, '.git', 'HEAD'), 'ref');
  return dir;
}

describe('packDirectory', () => {
  it('packs the same tree to the same bytes whatever the mtimes and umask', async () => {
    const dir = packageDir();
    const first = await packDirectory(dir);
    utimesSync(join(dir, 'gpack.yaml'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    chmodSync(join(dir, 'templates', 'b.tmpl'), 0o600);
    const second = await packDirectory(dir);
    expect(Buffer.compare(first.bytes, second.bytes)).toBe(0);
    expect(first.integrity).toBe(computeIntegrity(first.bytes));
    expect(first.files).toEqual(['gpack.yaml', 'run.sh', 'templates/b.tmpl', 'templates/nested/a.tmpl']);
  });

  it('changes the bytes when a file changes', async () => {
    const dir = packageDir();
    const before = await packDirectory(dir);
    writeFileSync(join(dir, 'templates', 'b.tmpl'), 'C');
    expect((await packDirectory(dir)).integrity).not.toBe(before.integrity);
  });

  it('round-trips through readArchive with normalised modes and long paths', async () => {
    const dir = packageDir();
    const long = join(dir, 'd'.repeat(90), 'e'.repeat(60));
    mkdirSync(long, { recursive: true });
    writeFileSync(join(long, 'file.txt'), 'deep');
    const packed = await packDirectory(dir);
    const entries = await readArchive(packed.bytes, 'p@1.0.0');
    const files = entries.filter((entry) => entry.type === 'file');
    expect(files.map((entry) => entry.path)).toContain(`${'d'.repeat(90)}/${'e'.repeat(60)}/file.txt`);
    expect(files.find((entry) => entry.path === 'run.sh')).toMatchObject({ mode: 0o755 });
    expect(files.find((entry) => entry.path === 'gpack.yaml')).toMatchObject({ mode: 0o644 });
    const out = mkdtempSync(join(tmpdir(), 'ggen-out-'));
    await writeArchiveEntries(entries, join(out, 'p'));
    expect(readFileSync(join(out, 'p', 'templates', 'nested', 'a.tmpl'), 'utf8')).toBe('A'.repeat(1000));
  });
});

describe('readArchive rejects unsafe and broken archives', () => {
  it.each([
    ['a path climbing out with ..', [{ path: '../evil.txt', content: 'x' }], 'GGEN_E_ARCHIVE_UNSAFE'],
    ['a nested .. segment', [{ path: 'a/../../evil.txt', content: 'x' }], 'GGEN_E_ARCHIVE_UNSAFE'],
    ['an absolute path', [{ path: '/etc/evil', content: 'x' }], 'GGEN_E_ARCHIVE_UNSAFE'],
    [
      'a symlink leaving the package',
      [{ path: 'link', type: 'SymbolicLink' as const, linkpath: '../../etc/passwd' }],
      'GGEN_E_ARCHIVE_UNSAFE',
    ],
    [
      'an absolute symlink',
      [{ path: 'link', type: 'SymbolicLink' as const, linkpath: '/etc/passwd' }],
      'GGEN_E_ARCHIVE_UNSAFE',
    ],
    [
      'a file written through a symlink',
      [
        { path: 'dir', type: 'SymbolicLink' as const, linkpath: 'inside' },
        { path: 'dir/file', content: 'x' },
      ],
      'GGEN_E_ARCHIVE_UNSAFE',
    ],
    [
      'a file under a link that comes later in the archive',
      [
        { path: 'dir/file', content: 'x' },
        { path: 'dir', type: 'SymbolicLink' as const, linkpath: 'inside' },
      ],
      'GGEN_E_ARCHIVE_UNSAFE',
    ],
    [
      'a link climbing through another link (its text normalises inside)',
      [
        { path: 'a', type: 'SymbolicLink' as const, linkpath: '.' },
        { path: 'b', type: 'SymbolicLink' as const, linkpath: 'a/a/a/../../..' },
      ],
      'GGEN_E_ARCHIVE_UNSAFE',
    ],
    [
      'a link to a link',
      [
        { path: 'a.txt', content: 'a' },
        { path: 'b', type: 'SymbolicLink' as const, linkpath: 'a.txt' },
        { path: 'c', type: 'SymbolicLink' as const, linkpath: 'b' },
      ],
      'GGEN_E_ARCHIVE_UNSAFE',
    ],
    [
      'one path twice',
      [
        { path: 'x', content: 'one' },
        { path: 'x', type: 'SymbolicLink' as const, linkpath: 'y' },
      ],
      'GGEN_E_ARCHIVE_UNSAFE',
    ],
    ['a hard link', [{ path: 'hard', type: 'Link' as const, linkpath: 'gpack.yaml' }], 'GGEN_E_ARCHIVE_UNSAFE'],
    ['a character device', [{ path: 'dev', type: 'CharacterDevice' as const }], 'GGEN_E_ARCHIVE_UNSAFE'],
    ['a FIFO', [{ path: 'pipe', type: 'FIFO' as const }], 'GGEN_E_ARCHIVE_UNSAFE'],
  ])('rejects %s', async (_label, entries, code) => {
    expect(await codeOf(readArchive(buildTgz(entries), 'bad@1.0.0'))).toBe(code);
  });

  it('accepts a symlink that stays inside the package', async () => {
    const entries = await readArchive(
      buildTgz([
        { path: 'a.txt', content: 'a' },
        { path: 'sub/link', type: 'SymbolicLink', linkpath: '../a.txt' },
      ]),
      'ok@1.0.0',
    );
    expect(entries.map((entry) => entry.type).sort()).toEqual(['file', 'symlink']);
  });

  it('rejects a gzip bomb past the uncompressed limit before writing anything', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(
      await codeOf(
        readArchive(bomb, 'bomb@1.0.0', { maxCompressedBytes: 1 << 20, maxUncompressedBytes: 1 << 20, maxEntries: 10 }),
      ),
    ).toBe('GGEN_E_ARCHIVE_TOO_LARGE');
  });

  it('rejects too many entries', async () => {
    const entries = Array.from({ length: 12 }, (_, index) => ({ path: `f${index}`, content: 'x' }));
    expect(
      await codeOf(
        readArchive(buildTgz(entries), 'many@1.0.0', {
          maxCompressedBytes: 1 << 20,
          maxUncompressedBytes: 1 << 20,
          maxEntries: 10,
        }),
      ),
    ).toBe('GGEN_E_ARCHIVE_TOO_LARGE');
  });

  it('rejects bytes that are not gzip, and a truncated archive', async () => {
    expect(await codeOf(readArchive(Buffer.from('PK\u0003\u0004 this is a zip'), 'zip@1.0.0'))).toBe(
      'GGEN_E_ARCHIVE_CORRUPT',
    );
    const good = buildTgz([{ path: 'big.txt', content: 'z'.repeat(20_000) }]);
    expect(await codeOf(readArchive(good.subarray(0, Math.floor(good.length / 2)), 'cut@1.0.0'))).toBe(
      'GGEN_E_ARCHIVE_CORRUPT',
    );
  });

  it('rejects a tar whose entry is cut short inside a complete gzip stream', async () => {
    const raw = buildTgz([{ path: 'big.txt', content: 'z'.repeat(20_000) }]);
    const { gunzipSync } = await import('node:zlib');
    const tarBytes = gunzipSync(raw).subarray(0, 512 + 4096);
    expect(await codeOf(readArchive(gzipSync(tarBytes), 'short@1.0.0'))).toBe('GGEN_E_ARCHIVE_CORRUPT');
  });
});

describe('verifyIntegrity', () => {
  const bytes = Buffer.from('archive bytes');
  it('accepts matching sha512 SRI and sha256 checksum', () => {
    expect(() => {
      verifyIntegrity(
        bytes,
        { integrity: computeIntegrity(bytes), checksum: createHash('sha256').update(bytes).digest('hex') },
        'x',
      );
    }).not.toThrow();
  });
  it('rejects a mismatch, and refuses to go unchecked', () => {
    const codeFor = (expected: Parameters<typeof verifyIntegrity>[1]): string | undefined => {
      try {
        verifyIntegrity(bytes, expected, 'x');
        return undefined;
      } catch (error) {
        return (error as MarketplaceError).code;
      }
    };
    expect(codeFor({ integrity: computeIntegrity(Buffer.from('other')) })).toBe('GGEN_E_INTEGRITY_MISMATCH');
    expect(codeFor({ checksum: '00'.repeat(32) })).toBe('GGEN_E_INTEGRITY_MISMATCH');
    expect(codeFor({})).toBe('GGEN_E_INTEGRITY_MISSING');
  });
});

it('writeArchiveEntries leaves nothing outside the destination', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ggen-dest-'));
  const entries = await readArchive(buildTgz([{ path: './a/b.txt', content: 'b' }]), 'x@1.0.0');
  await writeArchiveEntries(entries, join(root, 'pkg'));
  expect(existsSync(join(root, 'pkg', 'a', 'b.txt'))).toBe(true);
});
