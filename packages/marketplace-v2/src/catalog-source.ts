import type { CatalogPackage } from '@ggen/marketplace-core';
import type { Store } from 'oxigraph';
import oxigraph from 'oxigraph';
import { readCatalogPackages } from './catalog-rdf.js';

/** One SELECT row: variable name -> the bound value as text. */
export type Row = Record<string, string>;

/** What the search engine and the v2 registry need from a catalog: SPARQL SELECT and package reads. */
export interface CatalogSource {
  select(query: string): Promise<Row[]>;
  readPackages(names: string[]): Promise<CatalogPackage[]>;
  allPackages(): Promise<CatalogPackage[]>;
}

/** The embedded oxigraph store, loaded from a registry's N-Quads dump. */
export class EmbeddedCatalog implements CatalogSource {
  readonly store: Store;

  constructor(nquads: string) {
    this.store = new oxigraph.Store();
    if (nquads.trim() !== '') this.store.load(nquads, { format: 'application/n-quads' });
  }

  selectSync(query: string): Row[] {
    const result = this.store.query(query);
    if (!Array.isArray(result)) throw new Error('expected SELECT results');
    return (result as Map<string, { value: string }>[]).map((bindings) => {
      const row: Row = {};
      for (const [name, term] of bindings) row[name] = term.value;
      return row;
    });
  }

  select(query: string): Promise<Row[]> {
    return Promise.resolve(this.selectSync(query));
  }

  readPackages(names: string[]): Promise<CatalogPackage[]> {
    return Promise.resolve(readCatalogPackages(this.store, names));
  }

  allPackages(): Promise<CatalogPackage[]> {
    return Promise.resolve(readCatalogPackages(this.store));
  }
}
