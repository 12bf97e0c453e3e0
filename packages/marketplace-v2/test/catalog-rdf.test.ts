import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { convertLegacyManifest, type CatalogPackage, type GpackManifest } from '@ggen/marketplace-core';
import { catalogToNQuads, computePostings, EmbeddedCatalog, readCatalogPackages } from '@ggen/marketplace-v2';
import { corpusManifests, fullPackage, manifestFiles } from './fixtures.js';

const roundTrip = (packages: CatalogPackage[]): CatalogPackage[] =>
  readCatalogPackages(new EmbeddedCatalog(catalogToNQuads(packages)).store);

/** What a gpack.yaml becomes in a registry. */
function fromManifest(manifest: GpackManifest): CatalogPackage {
  const pkg: CatalogPackage = {
    name: manifest.name,
    description: manifest.description,
    tags: manifest.tags,
    keywords: manifest.keywords,
    downloads: 0,
    stars: 0,
    latest: manifest.version,
    versions: [
      {
        version: manifest.version,
        dependencies: manifest.dependencies,
        yanked: false,
        files: manifest.files,
        templates: manifest.templates,
        variables: manifest.variables,
      },
    ],
    extra: {},
  };
  for (const key of ['category', 'author', 'license', 'repository', 'homepage'] as const) {
    const value = manifest[key];
    if (value !== undefined) pkg[key] = value;
  }
  return pkg;
}

describe('catalog <-> RDF', () => {
  it('round-trips a package with every field, quoting and unicode included', () => {
    expect(roundTrip([fullPackage()])).toEqual([fullPackage()]);
  });

  it('round-trips every convertible corpus manifest with nothing lost', () => {
    const packages: CatalogPackage[] = [];
    for (const file of manifestFiles()) {
      try {
        packages.push(
          fromManifest(convertLegacyManifest(readFileSync(join(corpusManifests, file), 'utf8'), file).manifest),
        );
      } catch {
        // io.ggen.nextjs.ontology-crud.toml: not convertible (manifest tests cover why)
      }
    }
    expect(packages).toHaveLength(76);
    const back = roundTrip(packages);
    expect(back).toEqual([...packages].sort((a, b) => (a.name < b.name ? -1 : 1)));
  });

  it('writes the same N-Quads for the same packages, whatever their order', () => {
    const a = fullPackage('a-pack');
    const b = fullPackage('b-pack');
    expect(catalogToNQuads([b, a])).toBe(catalogToNQuads([a, b]));
  });

  it('weights rare tokens above common ones and gives each exact name its own posting', () => {
    const common = (name: string): CatalogPackage => ({
      ...fullPackage(name),
      description: 'common words only',
      tags: [],
      keywords: [],
    });
    const postings = computePostings([
      common('alpha-one'),
      common('alpha-two'),
      { ...common('beta-rare'), description: 'common words only zebra' },
    ]);
    const beta = postings.get('beta-rare');
    expect((beta?.get('zebra') ?? 0) > (beta?.get('common') ?? 0)).toBe(true);
    expect(beta?.get('=beta-rare')).toBe(12);
  });
});
