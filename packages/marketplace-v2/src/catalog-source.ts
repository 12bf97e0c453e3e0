import { MarketplaceError, type CatalogPackage, type PackageSummary, type SearchQuery } from '@ggen/marketplace-core';
import type { Store } from 'oxigraph';
import { oxigraph, release } from './oxigraph-runtime.js';
import { readCatalogPackages } from './catalog-rdf.js';
import { summariesQuery, summaryFromRow } from './summaries-query.js';
import type { StringList } from './sorted-strings.js';

/** One SELECT row: variable name -> the bound value as text. */
export type Row = Record<string, string>;

/**
 * What a query can match, when known (predicatesOf): only triples of these predicates. A
 * source that holds triples outside an engine may keep the others out of it for this query.
 */
export interface QueryScope {
  readonly predicates: ReadonlySet<string>;
}

/** What a search's preparation may already know: its total, when the source narrowed it without a count. */
export interface PreparedSearch {
  total?: number;
}

/**
 * The site's listings beyond search, each one bounded query (registry-server's site-data.ts):
 * the newest releases, a package's dependents, a scope's packages, a key's packages (`key`: its
 * IRI). A source that does not hold every triple loads, before the query, what can answer it.
 */
export type Listing =
  | { kind: 'recent'; limit: number }
  | { kind: 'dependents'; name: string; limit: number }
  | { kind: 'scope'; scope: string; limit: number }
  | { kind: 'key'; key: string; limit: number };

/** What the search engine and the v2 registry need from a catalog: SPARQL SELECT and package reads. */
export interface CatalogSource {
  select(query: string, scope?: QueryScope): Promise<Row[]>;
  /**
   * Queries sent together are answered side by side (a SPARQL server's threads), so a search
   * asks for its count with its page instead of after it. The embedded store answers one at a time.
   */
  readonly answersInParallel?: boolean;
  readPackages(names: string[]): Promise<CatalogPackage[]>;
  /** Search results' summaries, in one query. */
  readSummaries(names: string[]): Promise<PackageSummary[]>;
  allPackages(): Promise<CatalogPackage[]>;
  /** The search tokens, when the source knows them without a query (the local store's index). */
  vocabulary?(): Promise<StringList>;
  /**
   * Makes sure the triples a search with these tokens, filters and page needs are in the store;
   * says the total when it knows it (then the search does not count).
   */
  prepare?(tokens: string[], query: SearchQuery): Promise<PreparedSearch | undefined>;
  /** Makes sure the triples a site listing's query needs are in the store. */
  prepareListing?(listing: Listing): Promise<void>;
  /**
   * Makes sure a package's dependency closure is in the store; names the catalog's packages in
   * it (the package itself included) when the source knows them without a query.
   */
  prepareDependencies?(name: string): Promise<string[] | undefined>;
}

/** oxigraph's parser names the line and column of what it rejects: the catalog is damaged, not ggen. */
export function catalogSyntaxError(parserMessage: string, cause?: unknown): MarketplaceError {
  return new MarketplaceError(
    'GGEN_E_INDEX_INVALID',
    `The v2 catalog is not valid N-Quads: ${parserMessage.split('\n')[0] ?? ''}`,
    {
      hint: 'The catalog is damaged; regenerate it with registry migrate (or publish to it), or restore it.',
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

/** The embedded oxigraph store, loaded from a registry's N-Quads dump. */
export class EmbeddedCatalog implements CatalogSource {
  readonly store: Store;

  /** From N-Quads text, or chunks of it (a large catalog passes V8's string limit). */
  constructor(nquads: string | string[]) {
    this.store = new oxigraph.Store();
    const empty = typeof nquads === 'string' ? nquads.trim() === '' : nquads.length === 0;
    if (empty) return;
    try {
      this.store.load(nquads, { format: 'application/n-quads' });
    } catch (cause) {
      throw catalogSyntaxError((cause as Error).message, cause);
    }
  }

  selectSync(query: string): Row[] {
    const result = this.store.query(query);
    if (!Array.isArray(result)) throw new Error('expected SELECT results');
    return (result as Map<string, { value: string }>[]).map((bindings) => {
      const row: Row = {};
      for (const [name, term] of bindings) {
        row[name] = term.value;
        release(term);
      }
      return row;
    });
  }

  select(query: string): Promise<Row[]> {
    return Promise.resolve(this.selectSync(query));
  }

  readPackages(names: string[]): Promise<CatalogPackage[]> {
    return Promise.resolve(readCatalogPackages(this.store, names));
  }

  readSummaries(names: string[]): Promise<PackageSummary[]> {
    if (names.length === 0) return Promise.resolve([]);
    return Promise.resolve(this.selectSync(summariesQuery(names)).map(summaryFromRow));
  }

  allPackages(): Promise<CatalogPackage[]> {
    return Promise.resolve(readCatalogPackages(this.store));
  }
}
