import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { CatalogPackage } from '@ggen/marketplace-core';
import {
  EmbeddedCatalog,
  formatKeyId,
  generateSecretKey,
  openLocalStore,
  publicKeyLine,
  ShardedCatalog,
  writeV2Catalog,
  type CatalogSource,
} from '@ggen/marketplace-v2';
import { loadNpmRows, toCatalogPackages } from '../../../tools/testing/npm-sample.mjs';
import { dependentsOf, keyRecord, recentActivity, recentReleases, scopePackages } from '../src/site/site-data.js';
import { tempDir } from './support.js';

/**
 * The site's listings (newest releases, dependents, a scope's and a key's packages) as the
 * server answers them from the local store, which loads only what each listing's query needs,
 * against the same queries over the whole catalog in oxigraph.
 */

const owner = generateSecretKey();
const signer = generateSecretKey();

/** 1,200 npm-derived packs with what the listings read: scopes, several dated versions, dependencies, owners and signers. */
function listingPackages(): CatalogPackage[] {
  const base = toCatalogPackages(loadNpmRows(1200));
  const names = base.map((pkg, at) =>
    at % 10 === 0 && !pkg.name.startsWith('@') ? `@s${(at / 10) % 4}/${pkg.name}` : pkg.name,
  );
  return base.map((pkg, at) => {
    // Dates repeat (eight packs a day) so ties are met; two versions for two packs in three: more releases than the sharder keeps while it streams.
    const day = (at * 7919) % 150;
    const date = (offset: number): string => new Date(Date.UTC(2022, 0, 1 + day + offset)).toISOString();
    const dependencies: Record<string, string> = {};
    // Pack 0 has hundreds of dependents (past the listing's limit); others a handful.
    if (at % 2 === 0 && at !== 0) dependencies[names[0] ?? ''] = '*';
    if (at % 3 === 0) dependencies[names[(at * 13) % 50] ?? ''] = '*';
    const older = at % 3 !== 0 ? [{ version: '0.0.1', dependencies: { [names[at % 40] ?? '']: '*' } }] : [];
    return {
      ...pkg,
      name: names[at] ?? pkg.name,
      latest: '1.0.0',
      ...(at % 11 === 0 ? { ownerKeys: [publicKeyLine(owner)] } : {}),
      versions: [
        {
          version: '1.0.0',
          dependencies,
          yanked: false,
          publishedAt: date(30),
          ...(at % 13 === 0 ? { signedBy: formatKeyId(signer.keyId) } : {}),
        },
        ...older.map((version) => ({ ...version, yanked: false, publishedAt: date(0) })),
      ],
    };
  });
}

describe('the site listings from the local store', () => {
  it('are those of the whole catalog: newest releases, dependents, scopes and keys', async () => {
    const registry = tempDir('ggen-listings-');
    const packages = listingPackages();
    await writeV2Catalog(registry, packages);
    const whole = new EmbeddedCatalog(readFileSync(join(registry, 'catalog.nq'), 'utf8'));
    const files = await openLocalStore({
      registry,
      storeRoot: tempDir('ggen-listings-store-'),
      timeoutMs: 60_000,
      retries: 0,
    });
    if (files === undefined) throw new Error('no local store');
    // A fresh catalog per listing shows what that listing alone loads; a retained, bounded one what a server keeps.
    const retained = new ShardedCatalog(files, { maxLoadedPackages: 300 });
    const listings: [string, (catalog: CatalogSource) => Promise<unknown>][] = [
      ['recent 40', (catalog) => recentReleases(catalog, 40)],
      ['activity 10', (catalog) => recentActivity(catalog, 10)],
      ...['@s0', '@s1', '@s2', '@s3', '@types', '@nobody'].map(
        (scope): [string, (catalog: CatalogSource) => Promise<unknown>] => [
          `scope ${scope}`,
          (catalog) => scopePackages(catalog, scope),
        ],
      ),
      ...[0, 3, 13, 26, 40, 1199].map((at): [string, (catalog: CatalogSource) => Promise<unknown>] => {
        const name = packages[at]?.name ?? '';
        return [`dependents of ${name}`, (catalog) => dependentsOf(catalog, name)];
      }),
      ...[owner, signer, generateSecretKey()].map((key): [string, (catalog: CatalogSource) => Promise<unknown>] => [
        `key ${formatKeyId(key.keyId)}`,
        (catalog) => keyRecord(catalog, formatKeyId(key.keyId)),
      ]),
    ];
    const found: Record<string, number> = {};
    for (const [label, listing] of listings) {
      const expected = await listing(whole);
      found[label] = JSON.stringify(expected).length;
      const fresh = new ShardedCatalog(files);
      expect({ label, answer: await listing(fresh) }).toEqual({ label, answer: expected });
      expect({ label, answer: await listing(retained) }).toEqual({ label, answer: expected });
      // Only what can answer is read (at most four times the list), never the catalog.
      const { ranked, detailed } = fresh.loaded;
      expect({ label, few: ranked <= 4 * 101 && detailed <= 4 * 101 }).toEqual({ label, few: true });
    }
    // The listings found something (a key nobody has, a scope nobody published in: nothing).
    const empty = JSON.stringify({ items: [], more: false }).length;
    expect(found['scope @s1']).toBeGreaterThan(empty);
    expect((await dependentsOf(whole, packages[0]?.name ?? '')).more).toBe(true);
    expect((await recentReleases(whole, 40)).length).toBe(40);
    const ownerRecord = await keyRecord(whole, formatKeyId(owner.keyId));
    const signerRecord = await keyRecord(whole, formatKeyId(signer.keyId));
    expect(ownerRecord.owns.items.length).toBeGreaterThan(50);
    expect(signerRecord.signed.items.length).toBeGreaterThan(50);
    expect(retained.resets).toBeGreaterThan(0);
  });
});
