import {
  catalogPackageSummary,
  editDistanceWithin,
  monotonicMs,
  queryTimeSince,
  type SearchQuery,
  type SearchResults,
} from '@ggen/marketplace-core';
import type { V1Package } from './v1-index.js';

/** The lowercased fields search reads: computed once per index (v1SearchFields) instead of once per query. */
export interface SearchFields {
  pkg: V1Package;
  description: string;
  tags: Set<string>;
  keywords: Set<string>;
  nameParts: string[];
}

export function v1SearchFields(packages: readonly V1Package[]): SearchFields[] {
  return packages.map((pkg) => ({
    pkg,
    description: pkg.description.toLowerCase(),
    tags: new Set(pkg.tags.map((tag) => tag.toLowerCase())),
    keywords: new Set(pkg.keywords.map((keyword) => keyword.toLowerCase())),
    nameParts: pkg.name.split(/[-_./@]/),
  }));
}

const FUZZY_MIN = 0.75;

/**
 * ggen v1 relevance: exact name, name contains, description contains, per-word tag and
 * keyword matches and a fuzzy name match make a package relevant; popularity only adds a
 * bonus to relevant packages and never makes an irrelevant one match.
 */
function scoreFields(fields: SearchFields, query: string, words: string[]): number {
  const { pkg, description } = fields;
  const name = pkg.name;
  let score = 0;
  if (name === query) score += 100;
  else if (name.includes(query)) score += 50;
  else for (const word of words) if (name.includes(word)) score += 15;
  if (description.includes(query)) score += 20;
  else for (const word of words) if (description.includes(word)) score += 5;
  for (const word of words) {
    if (fields.tags.has(word)) score += 10;
    if (fields.keywords.has(word)) score += 8;
  }
  // A typo of the whole name counts alongside partial matches; of one name part, alone.
  const whole = name.includes(query) ? 0 : similarityAtLeast(name, query, FUZZY_MIN);
  if (whole > 0) score += whole * 30;
  else if (score === 0) {
    let part = 0;
    for (const segment of fields.nameParts) part = Math.max(part, similarityAtLeast(segment, query, FUZZY_MIN));
    score += part * 30;
  }
  if (score === 0) return 0;
  return score + Math.log10(pkg.downloads + 1) * 3 + Math.log10(pkg.stars + 1) * 2;
}

export function scorePackage(pkg: V1Package, query: string, words: string[]): number {
  if (query === '') return 0;
  const [fields] = v1SearchFields([pkg]);
  return fields === undefined ? 0 : scoreFields(fields, query, words);
}

export function queryWords(query: string): string[] {
  return [
    ...new Set(
      query
        .toLowerCase()
        .split(/[^\p{L}\p{N}]+/u)
        .filter((word) => word.length > 1),
    ),
  ];
}

/** 1 - Levenshtein distance / longer length. */
export function similarityOf(a: string, b: string): number {
  return similarityAtLeast(a, b, 0);
}

/** The similarity (1 - edit distance / longer length) when it is at least `min`, else 0. */
export function similarityAtLeast(a: string, b: string, min: number): number {
  if (a === b) return 1;
  const longer = Math.max(a.length, b.length);
  if (longer === 0) return 0;
  const distance = editDistanceWithin(a, b, Math.floor((1 - min) * longer));
  if (distance === undefined) return 0;
  const similarity = 1 - distance / longer;
  return similarity >= min ? similarity : 0;
}

function matchesFilters(pkg: V1Package, query: SearchQuery): boolean {
  const same = (a: string | undefined, b: string | undefined): boolean =>
    b === undefined || (a ?? '').toLowerCase() === b.toLowerCase();
  if (!same(pkg.category, query.category) || !same(pkg.author, query.author) || !same(pkg.license, query.license))
    return false;
  if (query.keyword !== undefined) {
    const wanted = query.keyword.toLowerCase();
    if (![...pkg.keywords, ...pkg.tags].some((value) => value.toLowerCase() === wanted)) return false;
  }
  if (query.tags !== undefined && query.tags.length > 0) {
    const tags = new Set(pkg.tags.map((tag) => tag.toLowerCase()));
    if (!query.tags.every((tag) => tags.has(tag.toLowerCase()))) return false;
  }
  if (query.minDownloads !== undefined && pkg.downloads < query.minDownloads) return false;
  if (query.minStars !== undefined && pkg.stars < query.minStars) return false;
  return true;
}

/**
 * Search with v1 semantics; an empty text with filters lists by filter. `fields`: the index's
 * v1SearchFields, kept by a caller that searches the same index again.
 */
export function searchV1(
  packages: readonly V1Package[],
  query: SearchQuery,
  fields: readonly SearchFields[] = v1SearchFields(packages),
): SearchResults {
  const started = monotonicMs();
  const text = query.text.trim().toLowerCase();
  const words = queryWords(text);
  const hits: { pkg: V1Package; score: number }[] = [];
  for (const entry of fields) {
    const pkg = entry.pkg;
    if (!matchesFilters(pkg, query)) continue;
    if (text === '') {
      hits.push({ pkg, score: 0 });
      continue;
    }
    const score = scoreFields(entry, text, words);
    if (score > 0) hits.push({ pkg, score });
  }
  const sort = text === '' && query.sort === 'relevance' ? 'downloads' : query.sort;
  const direction = (query.order ?? (sort === 'name' ? 'asc' : 'desc')) === 'asc' ? 1 : -1;
  const key = (hit: { pkg: V1Package; score: number }): number | string =>
    sort === 'relevance'
      ? hit.score
      : sort === 'downloads'
        ? hit.pkg.downloads
        : sort === 'stars'
          ? hit.pkg.stars
          : hit.pkg.name;
  hits.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka !== kb) return (ka < kb ? -1 : 1) * direction;
    return a.pkg.name < b.pkg.name ? -1 : a.pkg.name > b.pkg.name ? 1 : 0;
  });
  const page = hits.slice(query.offset, query.offset + query.limit);
  return {
    packages: page.map((hit) => catalogPackageSummary(hit.pkg, text === '' ? undefined : hit.score)),
    total: hits.length,
    queryTimeMs: queryTimeSince(started),
    backend: 'v1',
  };
}
