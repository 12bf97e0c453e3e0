import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { MarketplaceError, type CatalogPackage, type PackageSummary, type SearchQuery } from '@ggen/marketplace-core';
import {
  EmbeddedCatalog,
  type CatalogSource,
  type Listing,
  type PreparedSearch,
  type QueryScope,
  type Row,
} from '../catalog-source.js';
import { readCatalogPackages } from '../catalog-rdf.js';
import { release } from '../oxigraph-runtime.js';
import { SUMMARY_SCOPE, summariesQuery, summaryFromRow } from '../summaries-query.js';
import { lowerBound, MergedList, positionIn, type StringList } from '../sorted-strings.js';
import { literalText, predicateOfLine, QUAD_LINE } from './nquads-line.js';
import { ShardTriples } from './shard-triples.js';
import { packageIri, packageNameOf, V } from '../vocabulary.js';
import { lookAlikeKeys, type LocalStoreFiles } from './local-store.js';
import { PACKAGE_PREFIX, type FilterIndex, type Range } from './shard-catalog.js';

export interface ShardedCatalogOptions {
  /**
   * A retained catalog (the query service's) keeps what it loaded for the next command; past
   * this many packages' parts loaded (rank triples, filter keys, full triples: each counts),
   * the next search or closure starts from an empty store, so its memory is bounded by this
   * and not by how many different lookups it has served. Unset: no bound (a one-shot command).
   */
  maxLoadedPackages?: number;
}

const POSTING_OF_PREDICATE = `<${V.postingOf}> <`;

const POSTING_OF = new RegExp(`^<[^>]*> <${V.postingOf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}> <([^>]*)>`, 'gm');

/**
 * A catalog over the local persisted store: an embedded oxigraph store that starts empty and
 * loads, before each question, the shards that can answer it. A search loads its tokens'
 * postings and the rank triples of every package they point to, so SPARQL ranks, filters and
 * counts exactly as over the whole catalog; full package triples load only for the results.
 * oxigraph starts only when a SPARQL query must run: packages are read back from the shards'
 * lines directly (ShardTriples), so an install from the store never loads its wasm. Of the
 * lines read, a query given a scope puts only its predicates' into oxigraph (the rest wait
 * for a query that names them, or one without a scope).
 */
export class ShardedCatalog implements CatalogSource {
  readonly #files: LocalStoreFiles;
  #embedded: EmbeddedCatalog | undefined;
  /** Shard text read but not yet in oxigraph: loaded when a query first needs the store. */
  #pending: string[] = [];
  /**
   * Lines read but kept out of oxigraph, by predicate, because no query so far could match
   * them (its QueryScope): a search ranks on postings and popularity, and loading every
   * candidate's filter keys and the results' descriptions would cost every search.
   */
  readonly #deferred = new Map<string, string[]>();
  #triples: ShardTriples;
  readonly #options: ShardedCatalogOptions;
  /** Packages whose rank triples, filter keys, and all triples are read: each a part of its shard. */
  readonly #ranked = new Set<number>();
  readonly #filtered = new Set<number>();
  readonly #detailed = new Set<number>();
  readonly #loadedTokens = new Set<number>();
  readonly #summaries = new Map<string, PackageSummary>();
  #filters: FilterIndex | undefined;
  /** Package id -> the ids that depend on it (depends.json inverted), when the site first asks. */
  #dependents: Map<number, number[]> | undefined;
  #all = false;
  /** Postings loaded into oxigraph but not into #triples (loadAll): searches must run their query. */
  #unindexedPostings = false;

  /** The registry journal's packages, put over the shards (JournalOverlay). */
  readonly #overlay: JournalOverlay;
  #vocabulary: StringList | undefined;

  constructor(files: LocalStoreFiles, options: ShardedCatalogOptions = {}) {
    this.#files = files;
    this.#options = options;
    this.#triples = new ShardTriples(files.dir);
    this.#overlay = journalOverlay(files);
    this.#applyOverlay();
  }

  /** The journal's packages, whole: loaded before anything else, and again after the bound emptied the store. */
  #applyOverlay(): void {
    if (this.#overlay.text === '') return;
    this.#triples.add(this.#overlay.text);
    this.#pending.push(this.#overlay.text);
  }

  /** At the start of a command: past the bound, forget everything loaded (oxigraph's memory is given back for reuse). */
  #bound(): void {
    const limit = this.#options.maxLoadedPackages;
    if (limit === undefined || this.#ranked.size + this.#filtered.size + this.#detailed.size <= limit) return;
    if (this.#embedded !== undefined) release(this.#embedded.store);
    this.#embedded = undefined;
    this.#pending = [];
    this.#deferred.clear();
    this.#triples = new ShardTriples(this.#files.dir);
    this.#ranked.clear();
    this.#filtered.clear();
    this.#detailed.clear();
    this.#loadedTokens.clear();
    this.#summaries.clear();
    this.#all = false;
    this.#unindexedPostings = false;
    this.#resets += 1;
    this.#applyOverlay();
  }

  #resets = 0;

  /** How many times the bound emptied the store (tests, benchmarks, the service's status). */
  get resets(): number {
    return this.#resets;
  }

  /** Whether oxigraph was started (a SPARQL query ran); tests and benchmarks. */
  get engineStarted(): boolean {
    return this.#embedded !== undefined;
  }

  /** How many packages have triples in the store now, with their filter keys, and in full; lines kept out of oxigraph so far (tests, benchmarks). */
  get loaded(): { ranked: number; filtered: number; detailed: number; deferred: Record<string, number> } {
    return {
      ranked: this.#ranked.size,
      filtered: this.#filtered.size,
      detailed: this.#detailed.size,
      deferred: Object.fromEntries([...this.#deferred].map(([predicate, lines]) => [predicate, lines.length])),
    };
  }

  /** A package's id: sync lists the packages sorted, so a binary search finds it without a map of every IRI. */
  #idOf(iri: string): number | undefined {
    if (!iri.startsWith(PACKAGE_PREFIX)) return undefined;
    const id = positionIn(this.#files.index.packages, iri.slice(PACKAGE_PREFIX.length));
    // A package the journal replaced is read from the journal, never from its shard.
    return id === undefined || this.#overlay.masked.has(id) ? undefined : id;
  }

  #read(file: string, ranges: Range[]): string {
    if (ranges.length === 0) return '';
    let fd: number;
    try {
      fd = openSync(join(this.#files.dir, file), 'r');
    } catch (error) {
      throw new MarketplaceError('GGEN_E_IO', `The local v2 store ${this.#files.dir} lost its ${file}`, {
        hint: 'Run ggen marketplace sync --force to rebuild it.',
        cause: error,
      });
    }
    try {
      const buffers = ranges.map(([offset, length]) => {
        const buffer = Buffer.allocUnsafe(length);
        readSync(fd, buffer, 0, length, offset);
        return buffer;
      });
      return Buffer.concat(buffers).toString('utf8');
    } finally {
      closeSync(fd);
    }
  }

  #load(file: string, ranges: Range[]): string {
    let text = this.#read(file, ranges);
    if (text === '') return text;
    // The postings of a package the journal replaced are its old words: left out.
    if (file === 'postings.nq' && this.#overlay.iris.size > 0) text = this.#withoutReplacedPostings(text);
    // Lines read for a command are indexed in JavaScript too: packages are read back, and
    // searches ranked, from them. All the postings (arbitrary SPARQL) go to oxigraph alone: at
    // 100k packages they would double the memory; searches after that run their query.
    if (file === 'packages.nq' || !this.#unindexedPostings) this.#triples.add(text);
    this.#pending.push(text);
    return text;
  }

  #withoutReplacedPostings(text: string): string {
    const kept = text.split('\n').filter((line) => {
      const at = line.indexOf(POSTING_OF_PREDICATE);
      if (at < 0) return true;
      const start = at + POSTING_OF_PREDICATE.length;
      return !this.#overlay.iris.has(line.slice(start, line.indexOf('>', start)));
    });
    return kept.join('\n');
  }

  /** The oxigraph store, with every line read so far in it, or (with a scope) every line of the scope's predicates. */
  #store(scope?: QueryScope): EmbeddedCatalog {
    this.#embedded ??= new EmbeddedCatalog('');
    const pending = this.#pending;
    this.#pending = [];
    const load: string[] = [];
    if (scope === undefined) {
      load.push(...pending);
      for (const lines of this.#deferred.values()) load.push(`${lines.join('\n')}\n`);
      this.#deferred.clear();
    } else {
      for (const text of pending) {
        const kept: string[] = [];
        for (const line of text.split('\n')) {
          if (line === '') continue;
          const predicate = predicateOfLine(line);
          if (predicate === undefined || scope.predicates.has(predicate)) kept.push(line);
          else {
            const lines = this.#deferred.get(predicate);
            if (lines === undefined) this.#deferred.set(predicate, [line]);
            else lines.push(line);
          }
        }
        if (kept.length > 0) load.push(`${kept.join('\n')}\n`);
      }
      for (const predicate of scope.predicates) {
        const lines = this.#deferred.get(predicate);
        if (lines === undefined) continue;
        load.push(`${lines.join('\n')}\n`);
        this.#deferred.delete(predicate);
      }
    }
    if (load.length > 0) this.#embedded.store.load(load, { format: 'application/n-quads' });
    return this.#embedded;
  }

  /**
   * Packages' triples, as far as `depth` asks: the rank triples every search ranks on; with
   * `filter`, their filter keys too (a filtered search); with `detail`, all of them. Each part
   * is read once per package (a retained catalog serves the next command).
   */
  #loadPackages(ids: Iterable<number>, depth: 'rank' | 'filter' | 'detail'): void {
    const ranges = this.#files.index.packageRanges;
    const wanted: Range[] = [];
    const parts: [Set<number>, boolean][] = [
      [this.#ranked, true],
      [this.#filtered, depth !== 'rank'],
      [this.#detailed, depth === 'detail'],
    ];
    for (const id of ids) {
      if (this.#overlay.masked.has(id)) continue;
      let offset = ranges[id * 4] ?? 0;
      for (const [part, [loaded, wantedHere]] of parts.entries()) {
        const length = ranges[id * 4 + 1 + part] ?? 0;
        if (wantedHere && !loaded.has(id)) {
          loaded.add(id);
          // Next to the part before it: one read for both.
          const last = wanted.at(-1);
          if (last !== undefined && last[0] + last[1] === offset) last[1] += length;
          else if (length > 0) wanted.push([offset, length]);
        }
        offset += length;
      }
    }
    this.#load('packages.nq', wanted);
  }

  #idsOfNames(names: string[]): number[] {
    return names.map((name) => this.#idOf(packageIri(name))).filter((id): id is number => id !== undefined);
  }

  /** Token ids of the sorted token list, by binary search. */
  #tokenId(token: string): number | undefined {
    return positionIn(this.#files.index.tokens, token);
  }

  /**
   * Loads tokens' postings; returns the packages they point to. A token read before has its
   * candidates' rank triples loaded already: its candidates are returned too only with
   * `known` (a filtered search needs their filter keys as well).
   */
  #loadTokens(ids: number[], known = false): number[] {
    const ranges: Range[] = [];
    const candidates: number[] = [];
    for (const id of ids) {
      if (!this.#loadedTokens.has(id)) {
        this.#loadedTokens.add(id);
        ranges.push([this.#files.index.tokenRanges[id * 2] ?? 0, this.#files.index.tokenRanges[id * 2 + 1] ?? 0]);
        continue;
      }
      // Read before: its postings are in #triples (unless loadAll put them in oxigraph alone, with every package in full).
      if (!known || this.#unindexedPostings) continue;
      for (const posting of this.#triples.subjectsWithToken(this.#files.index.tokens.at(id) ?? '')) {
        for (const target of this.#triples.terms(posting, V.postingOf)) {
          const candidate = target.node ? this.#idOf(target.value) : undefined;
          if (candidate !== undefined) candidates.push(candidate);
        }
      }
    }
    const text = this.#load('postings.nq', ranges);
    for (const match of text.matchAll(POSTING_OF)) {
      const candidate = this.#idOf(match[1] ?? '');
      if (candidate !== undefined) candidates.push(candidate);
    }
    return candidates;
  }

  /** Everything: for questions no index narrows (arbitrary SPARQL). */
  loadAll(): void {
    if (this.#all) return;
    this.#loadPackages(positions(this.#files.index.packages), 'detail');
    this.#unindexedPostings = true;
    this.#loadTokens([...positions(this.#files.index.tokens)]);
    this.#all = true;
  }

  vocabulary(): Promise<StringList> {
    this.#vocabulary ??=
      this.#overlay.tokens.length === 0
        ? this.#files.index.tokens
        : new MergedList(this.#files.index.tokens, this.#overlay.tokens);
    return Promise.resolve(this.#vocabulary);
  }

  /**
   * Loads what a search needs: its tokens' postings and their packages' rank triples, or its
   * filters' packages; with neither, the page's packages in a browse order (its total known).
   */
  prepare(tokens: string[], query: SearchQuery): Promise<PreparedSearch | undefined> {
    return settled(() => {
      this.#bound();
      const filtered =
        query.category !== undefined ||
        query.author !== undefined ||
        query.license !== undefined ||
        query.keyword !== undefined ||
        (query.tags ?? []).length > 0;
      if (tokens.length > 0) {
        const ids = tokens.map((token) => this.#tokenId(token)).filter((id): id is number => id !== undefined);
        this.#loadPackages(this.#loadTokens(ids, filtered), filtered ? 'filter' : 'rank');
        return undefined;
      }
      if (!filtered) {
        const numeric = query.minDownloads !== undefined || query.minStars !== undefined;
        const browsed = numeric ? undefined : this.#browsePage(query);
        if (browsed !== undefined) {
          this.#loadPackages(browsed.ids, 'rank');
          return { total: browsed.total };
        }
        // Numeric filters alone, or a page past the browse orders: every package is a candidate.
        this.#loadPackages(positions(this.#files.index.packages), 'rank');
        return undefined;
      }
      const filters = this.#filterIndex();
      const values = (key: string, value: string): number[] => {
        const byValue = Object.hasOwn(filters, key) ? filters[key] : undefined;
        const lowered = value.toLowerCase();
        return byValue !== undefined && Object.hasOwn(byValue, lowered) ? (byValue[lowered] ?? []) : [];
      };
      const sets: number[][] = [];
      if (query.category !== undefined) sets.push(values('categoryKey', query.category));
      if (query.author !== undefined) sets.push(values('authorKey', query.author));
      if (query.license !== undefined) sets.push(values('licenseKey', query.license));
      for (const tag of query.tags ?? []) sets.push(values('tagKey', tag));
      if (query.keyword !== undefined)
        sets.push([...values('keywordKey', query.keyword), ...values('tagKey', query.keyword)]);
      const [first = [], ...rest] = sets.sort((a, b) => a.length - b.length);
      const others = rest.map((set) => new Set(set));
      this.#loadPackages(
        first.filter((id) => others.every((set) => set.has(id))),
        'filter',
      );
      return undefined;
    });
  }

  #filterIndex(): FilterIndex {
    this.#filters ??= JSON.parse(readFileSync(join(this.#files.dir, 'filters.json'), 'utf8')) as FilterIndex;
    return this.#filters;
  }

  /**
   * The packages that can be on a page of a search with no words and no filters, from the
   * browse orders sync kept (the query still orders them, among whatever else is loaded), and
   * how many the search ranks; undefined when the page is past them or ordered otherwise.
   */
  #browsePage(query: SearchQuery): { ids: number[]; total: number } | undefined {
    const end = query.offset + query.limit;
    const sort = query.sort === 'relevance' ? 'downloads' : query.sort;
    const ascending = (query.order ?? (sort === 'name' ? 'asc' : 'desc')) === 'asc';
    const browse = this.#files.index.browse();
    const count = this.#files.index.packages.length;
    // The journal's packages are loaded whole and ranked among the page's; the shards they
    // replaced are skipped, so the page reads as many more of the shards' order.
    const replaced = this.#overlay.masked.size;
    const added = this.#overlay.names.size;
    if (sort === 'name') {
      // In id order, which is the name's: exact only when every package can be ranked.
      if (browse.named !== count) return undefined;
      const wanted = end + replaced;
      const from = ascending ? 0 : Math.max(0, count - wanted);
      return { ids: [...range(from, ascending ? Math.min(wanted, count) : count)], total: count - replaced + added };
    }
    const order = browse[sort];
    const wanted = end + replaced;
    if (ascending || (wanted > order.top.length && order.top.length < order.total)) return undefined;
    // Replaced packages were counted only if every package was (ggen writes the numbers for each).
    if (replaced > 0 && order.total !== count) return undefined;
    return { ids: order.top.slice(0, wanted), total: order.total - replaced + added };
  }

  /** Loads what one of the site's listings asks (Listing), from the indexes sync cut. */
  prepareListing(listing: Listing): Promise<void> {
    return settled(() => {
      this.#bound();
      const { index } = this.#files;
      switch (listing.kind) {
        case 'recent':
          // Ties are in id order, the query's: the first `limit` releases are the query's.
          this.#loadPackages(
            new Set(index.browse().recent.slice(0, listing.limit + this.#overlay.masked.size)),
            'detail',
          );
          return;
        case 'dependents': {
          // The shards' dependents of the package, replaced by the journal or not (the journal's are loaded).
          const id = positionIn(index.packages, listing.name);
          if (id === undefined) return;
          this.#dependents ??= invert(index.dependsOn());
          // In id order (the name's, as the query orders them); a few times the limit, as a dependent
          // through an older version only is not listed.
          this.#loadPackages(
            (this.#dependents.get(id) ?? []).slice(0, listing.limit * 4 + this.#overlay.masked.size),
            'detail',
          );
          return;
        }
        case 'scope': {
          const from = lowerBound(index.packages, `${listing.scope}/`);
          const ids: number[] = [];
          for (let id = from; id < index.packages.length && ids.length < listing.limit; id += 1) {
            if (!(index.packages.at(id) ?? '').startsWith(`${listing.scope}/`)) break;
            if (!this.#overlay.masked.has(id)) ids.push(id);
          }
          this.#loadPackages(ids, 'rank');
          return;
        }
        case 'key': {
          const filters = this.#filterIndex();
          for (const link of ['ownerKey', 'signedBy']) {
            const byKey = Object.hasOwn(filters, link) ? filters[link] : undefined;
            const ids = byKey !== undefined && Object.hasOwn(byKey, listing.key) ? (byKey[listing.key] ?? []) : [];
            this.#loadPackages(ids.slice(0, listing.limit + this.#overlay.masked.size), 'detail');
          }
          return;
        }
      }
    });
  }

  /**
   * Loads a package and everything it reaches through dependencies (for the closure query),
   * and names the packages loaded, itself included: the closure among the catalog's packages,
   * from the index sync cut (a dependency on a package the catalog lacks is not among them).
   */
  prepareDependencies(name: string): Promise<string[]> {
    return settled(() => {
      this.#bound();
      // By name: a package of the journal (loaded already) names its dependencies itself.
      const { packages } = this.#files.index;
      const dependsOn = this.#files.index.dependsOn();
      const pending = [name.toLowerCase()];
      const seen = new Set<string>();
      const found: string[] = [];
      const ids: number[] = [];
      while (pending.length > 0) {
        const next = pending.pop() ?? '';
        if (seen.has(next)) continue;
        seen.add(next);
        const journaled = this.#overlay.dependsOn.get(next);
        if (journaled !== undefined) {
          found.push(next);
          pending.push(...journaled);
          continue;
        }
        const id = this.#idOf(packageIri(next));
        if (id === undefined) continue;
        found.push(next);
        ids.push(id);
        for (const dep of dependsOn[String(id)] ?? []) pending.push(packages.at(dep) ?? '');
      }
      this.#loadPackages(ids, 'detail');
      return found;
    });
  }

  /**
   * The names a change to `name` checks against (CatalogLookup): the shards' of the same name
   * skeleton or of a scope of the same skeleton (less those the journal replaced), and the
   * journal's.
   */
  namesLike(name: string): string[] {
    const { index } = this.#files;
    const names = new Set<string>(this.#overlay.names);
    for (const key of lookAlikeKeys(name))
      for (const id of index.lookAlikes().get(key) ?? [])
        if (!this.#overlay.masked.has(id)) names.add(index.packages.at(id) ?? '');
    return [...names];
  }

  /** A SELECT over what is loaded; callers prepare first (search, closure), or load everything. */
  select(query: string, scope?: QueryScope): Promise<Row[]> {
    return this.#store(scope).select(query);
  }

  readPackages(names: string[]): Promise<CatalogPackage[]> {
    return settled(() => {
      // Reads what it returns itself: it may start from an empty store.
      this.#bound();
      this.#loadPackages(this.#idsOfNames(names), 'detail');
      return readCatalogPackages(this.#triples, names);
    });
  }

  /**
   * Search results' summaries: their packages' shards read in full, then summariesQuery. A store's
   * text never changes under a catalog, so a summary once read is kept, as long as what is loaded.
   */
  readSummaries(names: string[]): Promise<PackageSummary[]> {
    const known = (): PackageSummary[] => names.flatMap((name) => this.#summaries.get(name) ?? []);
    const missing = names.filter((name) => !this.#summaries.has(name));
    if (missing.length === 0) return Promise.resolve(known());
    return settled(async () => {
      this.#loadPackages(this.#idsOfNames(missing), 'detail');
      for (const row of await this.select(summariesQuery(missing), SUMMARY_SCOPE)) {
        const summary = summaryFromRow(row);
        this.#summaries.set(summary.name, summary);
      }
      return known();
    });
  }

  allPackages(): Promise<CatalogPackage[]> {
    this.loadAll();
    return this.#store().allPackages();
  }
}

/**
 * The registry journal's packages over the shards (catalog-journal.ts): their text, loaded whole
 * by every command (a journal holds at most JOURNAL_LIMIT packages); which packages they are,
 * and the ids of the shards they replace (never read); their tokens that the shards lack (for
 * the vocabulary); and their dependencies by name (an install's closure).
 */
interface JournalOverlay {
  text: string;
  names: Set<string>;
  iris: Set<string>;
  masked: Set<number>;
  tokens: string[];
  dependsOn: Map<string, string[]>;
}

function journalOverlay(files: LocalStoreFiles): JournalOverlay {
  const overlay: JournalOverlay = {
    text: files.journal,
    names: new Set(),
    iris: new Set(),
    masked: new Set(),
    tokens: [],
    dependsOn: new Map(),
  };
  const tokens = new Set<string>();
  let current: string[] = [];
  for (const line of files.journal.split('\n')) {
    if (line === '') continue;
    const match = QUAD_LINE.exec(line);
    if (match === null)
      throw new MarketplaceError('GGEN_E_INDEX_INVALID', `The local v2 store ${files.dir} has a damaged journal`, {
        hint: 'Run ggen marketplace sync --force to rebuild it from the registry.',
      });
    const [, subject = '', predicate = '', iri, literal] = match;
    if (predicate === V.type && iri === V.Package) {
      const name = packageNameOf(subject);
      overlay.names.add(name);
      overlay.iris.add(subject);
      current = [];
      overlay.dependsOn.set(name, current);
      const id = positionIn(files.index.packages, name);
      if (id !== undefined) overlay.masked.add(id);
    } else if (predicate === V.dependsOnPackage && iri !== undefined) current.push(packageNameOf(iri));
    else if (predicate === V.token && literal !== undefined) tokens.add(literalText(literal));
  }
  overlay.tokens = [...tokens].filter((token) => positionIn(files.index.tokens, token) === undefined).sort();
  return overlay;
}

/** Every position of a list: 0 .. length - 1. */
function positions(list: StringList): Generator<number> {
  return range(0, list.length);
}

function* range(from: number, to: number): Generator<number> {
  for (let at = from; at < to; at += 1) yield at;
}

/** Package id -> the ids that depend on it, each list in id order. */
function invert(dependsOn: Record<string, number[]>): Map<number, number[]> {
  const dependents = new Map<number, number[]>();
  for (const [from, targets] of Object.entries(dependsOn))
    for (const target of targets) {
      const list = dependents.get(target);
      if (list === undefined) dependents.set(target, [Number(from)]);
      else list.push(Number(from));
    }
  for (const list of dependents.values()) list.sort((a, b) => a - b);
  return dependents;
}

/** A promise of what `work` returns, or rejected with what it throws: a damaged shard is not thrown at the caller synchronously. */
async function settled<T>(work: () => T | Promise<T>): Promise<T> {
  return await work();
}
