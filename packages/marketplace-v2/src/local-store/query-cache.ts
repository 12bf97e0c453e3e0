import { RecentlyUsed } from '@ggen/marketplace-core';
import type { LocalStoreFiles } from './local-store.js';
import type { ShardedCatalog, ShardedCatalogOptions } from './sharded-catalog.js';
import type { Vocabulary } from '../sparql-search-engine.js';
import type { StringList } from '../sorted-strings.js';

/**
 * What the query service keeps loaded per retained store between commands, in packages' parts
 * (a search's candidates, a closure's or an info's packages; ~10 KB each): past it, the next
 * command starts from an empty store, so the service's memory follows this bound and not the
 * variety of the lookups it served: ~50 MB, reached within a hundred lookups at 100k packs,
 * enough for a dozen searches to be answered warm.
 */
export const SERVICE_LOADED_PACKAGES = 5_000;

/**
 * What a process keeps between commands, in one object passed in through the registry
 * options instead of module-level caches. A one-shot CLI run makes its own (retaining
 * nothing); the resident query service makes one for its lifetime, so a store whose catalog
 * version is unchanged is the same object, and the catalog built over it (and what it loaded
 * into oxigraph) and its vocabulary serve the next command too. A new catalog version is a new
 * directory, so a refreshed store is never confused with the old one.
 */
export class QueryCache {
  readonly #stores: RecentlyUsed<LocalStoreFiles>;
  readonly #catalogs = new WeakMap<LocalStoreFiles, ShardedCatalog>();
  readonly #vocabularies = new WeakMap<StringList, Vocabulary>();

  /** How a retained store's catalog is bounded (ShardedCatalogOptions). */
  readonly shardedOptions: ShardedCatalogOptions;

  /**
   * `retain`: how many opened stores to keep (0 keeps none, as a one-shot run needs);
   * `maxLoadedPackages`: the bound of what each retained catalog keeps loaded.
   */
  constructor(options: { retain: number; maxLoadedPackages?: number } = { retain: 0 }) {
    this.#stores = new RecentlyUsed(options.retain);
    this.shardedOptions =
      options.maxLoadedPackages === undefined ? {} : { maxLoadedPackages: options.maxLoadedPackages };
  }

  /** The retained store of a catalog version, most recently used last. */
  store(key: string): LocalStoreFiles | undefined {
    return this.#stores.get(key);
  }

  keepStore(files: LocalStoreFiles): void {
    this.#stores.set(files.key, files);
  }

  /** The stores retained now, most recently used last (for the service's status). */
  stores(): string[] {
    return this.#stores.keys();
  }

  catalog(files: LocalStoreFiles, make: () => ShardedCatalog): ShardedCatalog {
    let catalog = this.#catalogs.get(files);
    if (catalog === undefined) {
      catalog = make();
      this.#catalogs.set(files, catalog);
    }
    return catalog;
  }

  /** A catalog that hands out the same token list every time (a retained store) shares one vocabulary. */
  vocabulary(tokens: StringList, make: () => Vocabulary): Vocabulary {
    let vocabulary = this.#vocabularies.get(tokens);
    if (vocabulary === undefined) {
      vocabulary = make();
      this.#vocabularies.set(tokens, vocabulary);
    }
    return vocabulary;
  }
}
