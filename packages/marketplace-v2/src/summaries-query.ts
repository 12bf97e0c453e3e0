import type { PackageSummary } from '@ggen/marketplace-core';
import type { SelectQuery } from 'sparqljs';
import { Generator } from './sparql-generator.js';
import type { QueryScope, Row } from './catalog-source.js';
import { namedNode, variable } from './rdf-terms.js';
import { CATALOG_GRAPH, packageIri, V } from './vocabulary.js';

const generator = new Generator();
const FIELDS = [
  'description',
  'category',
  'author',
  'license',
  'tags',
  'keywords',
  'downloads',
  'stars',
  'version',
  'yanked',
] as const;

/** The predicates summariesQuery reads: what a store must hold to answer it. */
export const SUMMARY_SCOPE: QueryScope = {
  predicates: new Set([
    V.name,
    V.description,
    V.tags,
    V.keywords,
    V.downloads,
    V.stars,
    V.latestVersion,
    V.versionString,
    V.yanked,
    V.category,
    V.license,
    V.creator,
    V.foafName,
  ]),
};

/** One SELECT for the summaries of a page of results (packages bound by IRI). */
export function summariesQuery(names: string[]): string {
  const pattern = (subject: string, predicate: string, object: string): unknown => ({
    subject: variable(subject),
    predicate: namedNode(predicate),
    object: variable(object),
  });
  const optional = (...triples: unknown[]): unknown => ({ type: 'optional', patterns: [{ type: 'bgp', triples }] });
  const ast = {
    type: 'query',
    queryType: 'SELECT',
    prefixes: {},
    variables: [variable('name'), ...FIELDS.map((field) => variable(field))],
    where: [
      {
        type: 'graph',
        name: namedNode(CATALOG_GRAPH),
        patterns: [
          // By IRI, not by name: a name that is also a common value (`npm`, an author or a
          // category too) would have the store look through every quad with that value.
          { type: 'values', values: names.map((name) => ({ '?pkg': namedNode(packageIri(name)) })) },
          {
            type: 'bgp',
            triples: [
              pattern('pkg', V.name, 'name'),
              pattern('pkg', V.description, 'description'),
              pattern('pkg', V.tags, 'tags'),
              pattern('pkg', V.keywords, 'keywords'),
              pattern('pkg', V.downloads, 'downloads'),
              pattern('pkg', V.stars, 'stars'),
              pattern('pkg', V.latestVersion, 'latest'),
              pattern('latest', V.versionString, 'version'),
            ],
          },
          optional(pattern('latest', V.yanked, 'yanked')),
          optional(pattern('pkg', V.category, 'category')),
          optional(pattern('pkg', V.license, 'license')),
          optional(pattern('pkg', V.creator, 'creator'), pattern('creator', V.foafName, 'author')),
        ],
      },
    ],
  } as unknown as SelectQuery;
  return generator.stringify(ast);
}

export function summaryFromRow(row: Row): PackageSummary {
  const list = (text: string | undefined): string[] => {
    try {
      return text === undefined ? [] : (JSON.parse(text) as string[]);
    } catch {
      return [];
    }
  };
  return {
    name: row.name ?? '',
    version: row.version ?? '',
    description: row.description ?? '',
    ...(row.category === undefined ? {} : { category: row.category }),
    ...(row.author === undefined ? {} : { author: row.author }),
    ...(row.license === undefined ? {} : { license: row.license }),
    tags: list(row.tags),
    keywords: list(row.keywords),
    downloads: Number(row.downloads ?? 0),
    stars: Number(row.stars ?? 0),
    ...(row.yanked === 'true' || row.yanked === '1' ? { yanked: true } : {}),
  };
}
