import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  MarketplaceError,
  packageDocument,
  packDirectory,
  parsePackageDocument,
  prepareArchivePublish,
  type CatalogPackage,
} from '@ggen/marketplace-core';

const pkg: CatalogPackage = {
  name: '@acme/web',
  description: 'A pack',
  tags: [],
  keywords: ['web'],
  downloads: 3,
  stars: 0,
  latest: '1.0.0',
  versions: [
    { version: '1.0.0', dependencies: { base: '^1' }, yanked: false, archive: 'archives/@acme/web-1.0.0.tgz' },
  ],
  extra: {},
};

describe('the package document', () => {
  it('round-trips a package, with absolute tarball URLs for other clients and none kept by ours', () => {
    const document = packageDocument(pkg, 'https://registry.example/');
    expect(document.versions[0]?.tarball).toBe('https://registry.example/archives/@acme/web-1.0.0.tgz');
    expect(parsePackageDocument(JSON.parse(JSON.stringify(document)), '@acme/web', 'here')).toEqual(pkg);
  });

  it('is refused when malformed or about another package', () => {
    const refused = (value: unknown): string => {
      try {
        parsePackageDocument(value, '@acme/web', 'https://registry.example/-/v1/packages/%40acme%2Fweb');
        return 'accepted';
      } catch (error) {
        return error instanceof MarketplaceError ? `${error.code}: ${error.message}` : String(error);
      }
    };
    expect(refused({ ...pkg, name: '@evil/web' })).toMatch(
      /^GGEN_E_BACKEND_MALFORMED: .* is the document of @evil\/web/,
    );
    expect(refused({ ...pkg, versions: [{ version: '1.0.0' }] })).toMatch(
      /^GGEN_E_BACKEND_MALFORMED: .*versions\.0\.dependencies/,
    );
    expect(refused('<html>')).toMatch(/^GGEN_E_BACKEND_MALFORMED/);
  });
});

describe('an uploaded archive', () => {
  it('is judged by publish’s own validation, and its errors name the archive, not a scratch directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ggen-upload-'));
    writeFileSync(join(dir, 'gpack.yaml'), 'name: uploaded\nversion: not-a-version\ndescription: d\n');
    const bytes = (await packDirectory(dir)).bytes;
    const error = await prepareArchivePublish(bytes, 'the uploaded archive').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MarketplaceError);
    expect((error as MarketplaceError).code).toBe('GGEN_E_MANIFEST_INVALID');
    expect((error as MarketplaceError).message).toContain("field 'version' must be a semantic version");
    expect(`${(error as MarketplaceError).message} ${(error as MarketplaceError).hint ?? ''}`).not.toContain(tmpdir());

    writeFileSync(join(dir, 'gpack.yaml'), 'name: uploaded\nversion: 1.0.0\ndescription: d\n');
    const good = await packDirectory(dir);
    const prepared = await prepareArchivePublish(good.bytes, 'the uploaded archive');
    expect([prepared.manifest.name, prepared.packed.integrity, prepared.packed.bytes.equals(good.bytes)]).toEqual([
      'uploaded',
      good.integrity,
      true,
    ]);
  });
});
