import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CatalogPackage, SearchQuery } from '@ggen/marketplace-core';
import { openLocalStore, ShardedCatalog } from '@ggen/marketplace-v2';

const here = dirname(fileURLToPath(import.meta.url));
export const ontologyPath = join(here, '..', 'ontology.ttl');
export const sampleRegistry = resolve(here, '..', '..', 'cli', 'sample-registry');
export const sampleCatalogText = (): string => readFileSync(join(sampleRegistry, 'catalog.nq'), 'utf8');
export const corpusManifests = resolve(here, '..', '..', '..', 'fixtures', 'ggen-corpus', 'manifests');
export const manifestFiles = (): string[] => readdirSync(corpusManifests).filter((file) => file.endsWith('.toml'));

/** A package with every field set, including ones only v2 records. */
export function fullPackage(name = 'full-pack'): CatalogPackage {
  return {
    name,
    description: 'A "quoted" description\nwith a newline and ünïcode',
    category: 'Web',
    author: 'Ada Lovelace',
    license: 'Apache-2.0',
    tags: ['web', 'rust', 'web-api'],
    keywords: ['axum', 'server'],
    downloads: 12345,
    stars: 67,
    repository: 'https://example.invalid/full-pack.git',
    homepage: 'https://example.invalid/full-pack',
    latest: '2.0.0',
    versions: [
      {
        version: '2.0.0',
        integrity: 'sha512-abc',
        checksum: 'ab'.repeat(32),
        archive: 'archives/full-pack-2.0.0.tgz',
        dependencies: { base: '^1.0.0', util: '*' },
        publishedAt: '2026-01-02T03:04:05.000Z',
        yanked: false,
        signedBy: 'A4B4B5822826287D',
        files: ['README.md', 'templates/a.tmpl'],
        templates: ['templates/a.tmpl'],
        variables: { name: { type: 'string', required: true } },
      },
      { version: '1.0.0-beta.1', dependencies: {}, yanked: true },
    ],
    extra: { production_ready: true, path: 'marketplace/packages/full-pack', nested: { a: [1, 2] } },
    ownerKeys: ['RWR9KCYogrW0pH5DKrkDoVRoAQezz8NT9QoPncThpv1fhWl7MHylpc0i'],
    revokedKeys: ['RWQAOPOd/11uesTTdoN1dnd56Ece3fqbG6o9Pvuhz7MSxL37X+bQlA2V'],
  };
}

export const temp = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));
/** Fetch options for registries on disk: no retries, a short timeout. */
export const fetchOptions = { timeoutMs: 2000, retries: 0 };
export const query = (text: string, extra: Partial<SearchQuery> = {}): SearchQuery => ({
  text,
  limit: 10,
  offset: 0,
  sort: 'relevance',
  ...extra,
});

/** The local store of a registry, synced into a fresh store root, as a command opens it. */
export async function sharded(registry: string): Promise<ShardedCatalog> {
  const files = await openLocalStore({ ...fetchOptions, registry, storeRoot: temp('ggen-store-') });
  if (files === undefined) throw new Error('no local store');
  return new ShardedCatalog(files);
}
