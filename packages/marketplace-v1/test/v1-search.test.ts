import { describe, expect, it } from '@jest/globals';
import type { SearchQuery } from '@ggen/marketplace-core';
import { parseV1Index, searchV1, similarityOf, type V1Package } from '@ggen/marketplace-v1';
import { corpusIndexText } from './corpus.js';

const packages = parseV1Index(corpusIndexText(), 'registry-index.json').packages;
const query = (overrides: Partial<SearchQuery>): SearchQuery => ({
  text: '',
  limit: 20,
  offset: 0,
  sort: 'relevance',
  ...overrides,
});
const names = (found: { packages: { name: string }[] }): string[] => found.packages.map((pkg) => pkg.name);

describe('searchV1 over the real corpus', () => {
  it.each(packages.map((pkg) => pkg.name))('finds %s first by its exact name', (name) => {
    expect(names(searchV1(packages, query({ text: name })))[0]).toBe(name);
  });

  it('ranks name matches above description matches', () => {
    const found = names(searchV1(packages, query({ text: 'agent' })));
    expect(found.slice(0, 5).every((name) => name.includes('agent'))).toBe(true);
  });

  it('matches tags and keywords word by word', () => {
    const found = searchV1(packages, query({ text: 'bibtex citations' }));
    expect(names(found)[0]).toBe('academic-bibliography-manager');
  });

  it('tolerates a typo in a name', () => {
    expect(names(searchV1(packages, query({ text: 'agent-editr' })))[0]).toBe('agent-editor');
    expect(similarityOf('editr', 'editor')).toBeGreaterThan(0.8);
  });

  it('returns nothing for text that matches nothing, and ignores popularity alone', () => {
    expect(searchV1(packages, query({ text: 'zzzxqy' })).total).toBe(0);
  });

  it('filters by category case-insensitively, and lists by filter with empty text', () => {
    const upper = searchV1(packages, query({ category: 'ENTERPRISE' }));
    const lower = searchV1(packages, query({ category: 'enterprise' }));
    expect(upper.total).toBe(8);
    expect(names(upper).sort()).toEqual(names(lower).sort());
    expect(
      searchV1(packages, query({ text: 'agent', category: 'ai-agents' })).packages.every(
        (pkg) => pkg.category === 'ai-agents',
      ),
    ).toBe(true);
  });

  it('filters by author, license, keyword and tags', () => {
    expect(searchV1(packages, query({ keyword: 'bibtex' })).packages.map((pkg) => pkg.name)).toEqual([
      'academic-bibliography-manager',
    ]);
    expect(searchV1(packages, query({ author: 'nobody-at-all' })).total).toBe(0);
    const mit = searchV1(packages, query({ license: 'mit', limit: 100 }));
    expect(mit.total).toBe(packages.filter((pkg) => pkg.license?.toLowerCase() === 'mit').length);
    expect(
      searchV1(packages, query({ tags: ['ai', 'rdf'], limit: 100 })).packages.every(
        (pkg) => pkg.tags.includes('ai') && pkg.tags.includes('rdf'),
      ),
    ).toBe(true);
  });

  it('sorts by name, downloads and stars in either order, and paginates', () => {
    const synthetic: V1Package[] = ['c', 'a', 'b'].map((name, index) => ({
      name: `web-${name}`,
      description: 'web thing',
      tags: [],
      keywords: [],
      downloads: [10, 300, 20][index] ?? 0,
      stars: [5, 1, 9][index] ?? 0,
      latest: '1.0.0',
      versions: [],
      extra: {},
    }));
    expect(names(searchV1(synthetic, query({ text: 'web', sort: 'name' })))).toEqual(['web-a', 'web-b', 'web-c']);
    expect(names(searchV1(synthetic, query({ text: 'web', sort: 'name', order: 'desc' })))).toEqual([
      'web-c',
      'web-b',
      'web-a',
    ]);
    expect(names(searchV1(synthetic, query({ text: 'web', sort: 'downloads' })))).toEqual(['web-a', 'web-b', 'web-c']);
    expect(names(searchV1(synthetic, query({ text: 'web', sort: 'stars' })))).toEqual(['web-b', 'web-c', 'web-a']);
    expect(names(searchV1(synthetic, query({ minDownloads: 15, minStars: 2, sort: 'name' })))).toEqual(['web-b']);
    const page = searchV1(synthetic, query({ text: 'web', sort: 'name', limit: 1, offset: 1 }));
    expect([page.total, names(page)]).toEqual([3, ['web-b']]);
  });

  it('prefers the popular package among equally relevant ones', () => {
    const pair: V1Package[] = [
      {
        name: 'rest-kit',
        description: 'api',
        tags: [],
        keywords: [],
        downloads: 5,
        stars: 0,
        latest: '1.0.0',
        versions: [],
        extra: {},
      },
      {
        name: 'rest-lab',
        description: 'api',
        tags: [],
        keywords: [],
        downloads: 50_000,
        stars: 10,
        latest: '1.0.0',
        versions: [],
        extra: {},
      },
    ];
    expect(names(searchV1(pair, query({ text: 'rest' })))).toEqual(['rest-lab', 'rest-kit']);
  });
});
