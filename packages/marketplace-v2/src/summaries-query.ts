import type { PackageSummary } from '@ggen/marketplace-core';
import type { SelectQuery } from 'sparqljs';
import { Generator } from './sparql-generator.js';
import type { Row } from './catalog-source.js';
import type { CatalogTriples } from './catalog-rdf.js';
import { literal, namedNode, variable } from './rdf-terms.js';
import { CATALOG_GRAPH, packageIri, V } from './vocabulary.js';

const generator = new Generator();
const FIELDS = ['description', 'category', 'author', 'license', 'tags', 'keywords', 'downloads', 'stars', 'version'] as const;

/** One SELECT for the summaries of a page of results (names bound as literals). */
export function summariesQuery(names: string[]): string {
  const pattern = (subject: string, predicate: string, object: string): unknown => ({ subject: variable(subject), predicate: namedNode(predicate), object: variable(object) });
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
          { type: 'values', values: names.map((name) => ({ '?name': literal(name) })) },
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
          optional(pattern('pkg', V.category, 'category')),
          optional(pattern('pkg', V.license, 'license')),
          optional(pattern('pkg', V.creator, 'creator'), pattern('creator', V.foafName, 'author')),
        ],
      },
    ],
  } as unknown as SelectQuery;
  return generator.stringify(ast);
}

/**
 * The row summariesQuery gives for a package, read from triples without SPARQL (the local
 * store's shards): the same required and optional fields, or undefined where the query has no
 * row. Of several values of a field, the first in the stores' one order (by value).
 */
export function summaryRowFromTriples(triples: CatalogTriples, name: string): Row | undefined {
  const fields = triples.objects(packageIri(name));
  const first = (predicate: string, from = fields): string | undefined => from.get(predicate)?.[0]?.value;
  if (!(fields.get(V.name) ?? []).some((object) => !object.node && object.value === name)) return undefined;
  const latest = fields.get(V.latestVersion)?.find((object) => object.node && triples.objects(object.value).has(V.versionString));
  const required = { description: first(V.description), tags: first(V.tags), keywords: first(V.keywords), downloads: first(V.downloads), stars: first(V.stars) };
  const version = latest === undefined ? undefined : first(V.versionString, triples.objects(latest.value));
  if (version === undefined || Object.values(required).some((value) => value === undefined)) return undefined;
  const row: Row = { name, version };
  for (const [key, value] of Object.entries(required)) if (value !== undefined) row[key] = value;
  const category = first(V.category);
  if (category !== undefined) row.category = category;
  const license = first(V.license);
  if (license !== undefined) row.license = license;
  for (const creator of fields.get(V.creator) ?? []) {
    const author = creator.node ? first(V.foafName, triples.objects(creator.value)) : undefined;
    if (author !== undefined) {
      row.author = author;
      break;
    }
  }
  return row;
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
  };
}
