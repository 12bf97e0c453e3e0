import {
  editDistanceWithin,
  monotonicMs,
  queryTimeSince,
  type SearchQuery,
  type SearchResults,
} from '@ggen/marketplace-core';
import type { SelectQuery } from 'sparqljs';
import type { CatalogSource, QueryScope, Row } from './catalog-source.js';
import type { QueryCache } from './local-store/query-cache.js';
import {
  generateQuery,
  predicatesOf,
  searchAst,
  searchPlan,
  type SearchPlan,
  type WeightedToken,
} from './search-query.js';
import { isStrictlySorted, LineList, lowerBound, MergedList, positionIn, type StringList } from './sorted-strings.js';
import { exactNameToken, legacyExactNameToken, literalNameToken, MAX_QUERY_TOKENS, tokenize } from './tokenize.js';
import { CATALOG_GRAPH, packageNameOf, V } from './vocabulary.js';

const TOKEN_SCOPE: QueryScope = { predicates: new Set([V.token]) };

/** Boosts of the expansions of one query term. */
const PREFIX_BOOST = 0.5;
/**
 * A last word that is itself a whole word of the vocabulary ("cli") is probably finished: its
 * completions ("clinical") still match, but weigh far less than the word's own matches, so a
 * rare longer word cannot outrank the packs of the word typed.
 */
const WHOLE_WORD_PREFIX_BOOST = 0.1;
const TYPO_BOOST = 0.6;
/** An abbreviation's plural: the same word, nearly (the catalog's words are not stemmed). */
const INFLECTION_BOOST = 0.5;
const MAX_PREFIX_EXPANSIONS = 5;
const MAX_TYPO_EXPANSIONS = 3;

/** The datatype of each catalog's tokens once asked: a store the query service keeps serves an engine a command. */
const knownTokenTypes = new WeakMap<CatalogSource, string>();

/**
 * Search over the RDF catalog: query terms become tokens (exact, prefix completions and
 * one-edit typo corrections found in the catalog's vocabulary), matched against posting
 * nodes with precomputed BM25F weights; SPARQL sums the weights, adds the popularity
 * prior, filters, sorts and pages.
 */
export class SparqlSearchEngine {
  readonly #catalog: CatalogSource;
  #vocabulary: Promise<Vocabulary> | undefined;
  #lastPlan: SearchPlan | undefined;

  /** The last search's ranking query (whether or not the catalog needed it run), for tests and --verbose. */
  get lastQuery(): string | undefined {
    return this.#lastPlan === undefined ? undefined : generateQuery(searchAst(this.#lastPlan));
  }

  readonly #cache: QueryCache | undefined;

  /** `cache`: a long-lived process's (the query service), so that one retained store has one vocabulary. */
  constructor(catalog: CatalogSource, cache?: QueryCache) {
    this.#catalog = catalog;
    this.#cache = cache;
  }

  async search(query: SearchQuery): Promise<SearchResults> {
    const started = monotonicMs();
    const tokens = query.text.trim() === '' ? [] : await this.expand(query.text);
    if (query.text.trim() !== '' && tokens.length === 0)
      return { packages: [], total: 0, queryTimeMs: queryTimeSince(started), backend: 'v2' };
    const prepared = await this.#catalog.prepare?.(
      tokens.map((entry) => entry.token),
      query,
    );
    // A total the catalog knows without a COUNT (a browse order of the local store) is used as it is.
    const known = prepared?.total;
    const page = {
      sort: query.sort,
      limit: query.limit,
      offset: query.offset,
      ...(query.order === undefined ? {} : { order: query.order }),
    };
    const tokenType = tokens.length === 0 ? V.Token : await this.#tokenType();
    const ranking = searchPlan(tokens, query, page, tokenType);
    this.#lastPlan = ranking;
    const counting = (): Promise<number> =>
      this.#run(searchPlan(tokens, query, 'count', tokenType)).then((count) => Number(count[0]?.total ?? 0));
    // A server answers side by side: the count is asked with the page (and waited for only
    // when the page is full); the embedded store answers one query at a time, so there the
    // count runs only when needed.
    const early = this.#catalog.answersInParallel === true && known === undefined ? counting() : undefined;
    early?.catch(() => undefined);
    const rows = await this.#run(ranking);
    // A page that is not full ends the result list: its end is the total, no COUNT needed.
    const needsCount = known === undefined && (rows.length >= query.limit || (rows.length === 0 && query.offset !== 0));
    const names = rows.map((row) => packageNameOf(row.pkg ?? ''));
    const scores = new Map(rows.map((row) => [packageNameOf(row.pkg ?? ''), Number(row.score ?? 0)]));
    const [counted, summaries] = await Promise.all([
      needsCount ? (early ?? counting()) : early?.catch(() => undefined),
      this.#catalog.readSummaries(names),
    ]);
    const total = known ?? (needsCount ? (counted ?? 0) : query.offset + rows.length);
    const byName = new Map(summaries.map((summary) => [summary.name, summary]));
    return {
      packages: names.flatMap((name) => {
        const summary = byName.get(name);
        if (summary === undefined) return [];
        const score = scores.get(name);
        return [
          tokens.length > 0 && score !== undefined ? { ...summary, score: Math.round(score * 100) / 100 } : summary,
        ];
      }),
      total,
      queryTimeMs: queryTimeSince(started),
      backend: 'v2',
    };
  }

  /**
   * The datatype of the catalog's tokens: V.Token, or xsd:string in a catalog written before
   * tokens were typed (asked of one posting once; a store that has loaded no posting yet, as
   * the local store before its first search, is asked again next time).
   */
  async #tokenType(): Promise<string> {
    const known = knownTokenTypes.get(this.#catalog);
    if (known !== undefined) return known;
    const [row] = await this.#catalog.select(
      `SELECT (DATATYPE(?tok) AS ?type) WHERE { GRAPH <${CATALOG_GRAPH}> { ?posting <${V.token}> ?tok } } LIMIT 1`,
      TOKEN_SCOPE,
    );
    if (row?.type === undefined) return V.Token;
    knownTokenTypes.set(this.#catalog, row.type);
    return row.type;
  }

  /** A plan's rows: its SPARQL query, run by the catalog. */
  async #run(plan: SearchPlan): Promise<Row[]> {
    const ast = searchAst(plan);
    return this.#catalog.select(generateQuery(ast), scopeOf(ast));
  }

  /** The weighted tokens a query text stands for in this catalog. */
  async expand(text: string): Promise<WeightedToken[]> {
    const vocabulary = await this.vocabulary();
    const weights = new Map<string, number>();
    const add = (token: string, boost: number): void => {
      if (vocabulary.has(token)) weights.set(token, Math.max(weights.get(token) ?? 0, boost));
    };
    const nameToken = exactNameToken(text);
    add(nameToken, 1);
    add(literalNameToken(text), 1);
    add(legacyExactNameToken(text), 1);
    // A name typed with a typo (`@types/aysnc`, `expres`): the nearest exact name, as a typo of a word is corrected.
    if (!/\s/.test(text.trim()) && !vocabulary.has(nameToken) && nameToken.length >= 6)
      for (const fix of vocabulary.withinEdits(nameToken, nameToken.length >= 9 ? 2 : 1, 1))
        if (fix.startsWith('=')) add(fix, TYPO_BOOST);
    const terms = tokenize(text).slice(0, MAX_QUERY_TOKENS);
    for (const [position, term] of terms.entries()) {
      add(term, 1);
      // An abbreviation in the plural (`cli`, `clis`).
      for (const variant of inflections(term)) add(variant, INFLECTION_BOOST);
      // Only the last word is still being typed; completing every word multiplies the postings.
      if (position === terms.length - 1 && term.length >= 3) {
        const boost = vocabulary.has(term) ? WHOLE_WORD_PREFIX_BOOST : PREFIX_BOOST;
        for (const completion of vocabulary.completions(term, MAX_PREFIX_EXPANSIONS)) add(completion, boost);
      }
      // One edit for short words, two from eight letters on (MiniSearch's fuzzy 0.2, rounded).
      if (!vocabulary.has(term) && term.length >= 4)
        for (const fix of vocabulary.withinEdits(term, term.length >= 8 ? 2 : 1, MAX_TYPO_EXPANSIONS))
          add(fix, TYPO_BOOST);
    }
    return [...weights].map(([token, boost]) => ({ token, boost })).sort((a, b) => (a.token < b.token ? -1 : 1));
  }

  vocabulary(): Promise<Vocabulary> {
    this.#vocabulary ??= (
      this.#catalog.vocabulary?.() ??
      this.#catalog
        .select(`SELECT DISTINCT ?tok WHERE { GRAPH <${CATALOG_GRAPH}> { ?posting <${V.token}> ?tok } }`)
        .then((rows) => rows.map((row) => row.tok ?? ''))
    ).then((tokens) =>
      this.#cache === undefined ? new Vocabulary(tokens) : this.#cache.vocabulary(tokens, () => new Vocabulary(tokens)),
    );
    return this.#vocabulary;
  }

  /** Forget the vocabulary after the catalog changed. */
  invalidate(): void {
    this.#vocabulary = undefined;
    knownTokenTypes.delete(this.#catalog);
  }
}

/**
 * The plural an abbreviation is written in (`CLIs`, `APIs`, `SDKs`): a word of two or three
 * letters with an `s`. Longer words are left alone: at npm's size `types` -> `type` or `plugin`
 * -> `plugins` found other packs' names before the one typed (known-item MRR@10 0.960 -> 0.956).
 */
export function inflections(word: string): string[] {
  return /^[a-z]{2,3}$/.test(word) && !word.endsWith('s') ? [`${word}s`] : [];
}

export class Vocabulary {
  /** Every token once, in code-unit order: looked up by binary search. */
  readonly #sorted: StringList;
  /** Tokens by length, made the first time a typo is looked for (a search without one never needs it). */
  #byLength: Map<number, string[]> | undefined;
  /** Per length, each token's letterMask, made for every length the first time a typo is looked for. */
  readonly #masks = new Map<number, Int32Array>();

  /**
   * The local store's token lines are sorted and unique by construction (sync wrote them so, and
   * its journal's tokens are merged in order):
   * taken as they are, a one-command search at 10k packages does not hash and sort 18k tokens
   * again. Any other list is taken as it is when one pass finds it sorted, else sorted here.
   */
  constructor(tokens: StringList) {
    this.#sorted =
      tokens instanceof LineList || tokens instanceof MergedList
        ? tokens
        : isStrictlySorted(tokens as readonly string[])
          ? tokens
          : [...new Set(tokens as readonly string[])].sort();
  }

  get size(): number {
    return this.#sorted.length;
  }

  has(token: string): boolean {
    return positionIn(this.#sorted, token) !== undefined;
  }

  #tokensOfLength(length: number): string[] {
    if (this.#byLength === undefined) {
      const byLength = new Map<number, string[]>();
      for (let index = 0; index < this.#sorted.length; index += 1) {
        const token = this.#sorted.at(index) ?? '';
        const list = byLength.get(token.length);
        if (list === undefined) byLength.set(token.length, [token]);
        else list.push(token);
      }
      this.#byLength = byLength;
    }
    return this.#byLength.get(length) ?? [];
  }

  /** The shortest tokens that start with `prefix` (itself excluded). */
  completions(prefix: string, max: number): string[] {
    if (prefix.length < 2) return [];
    const low = lowerBound(this.#sorted, prefix);
    const found: string[] = [];
    for (let index = low; index < this.#sorted.length && found.length < 50; index += 1) {
      const token = this.#sorted.at(index) ?? '';
      if (!token.startsWith(prefix)) break;
      if (token !== prefix && !token.startsWith('=')) found.push(token);
    }
    return found.sort((a, b) => a.length - b.length || (a < b ? -1 : 1)).slice(0, max);
  }

  /** Tokens at most `maxEdits` insertions, deletions or substitutions away, closest first. */
  withinEdits(term: string, maxEdits: number, max: number): string[] {
    const found: { token: string; distance: number }[] = [];
    const termMask = letterMask(term);
    for (let length = term.length - maxEdits; length <= term.length + maxEdits; length += 1) {
      const tokens = this.#tokensOfLength(length);
      const masks = this.#masksOfLength(length);
      // A plain loop over the masks, the token read only when its mask passes: at npm's size this
      // scans some 200k tokens per length range, where an iterator's pairs cost a query dearly.
      for (let index = 0; index < masks.length; index += 1) {
        // Each edit takes at most one kind of letter away from either side: a token whose letters
        // differ from the term's in more kinds than edits allowed is out without the distance.
        const mask = masks[index] ?? 0;
        if (bitCount(termMask & ~mask) > maxEdits || bitCount(mask & ~termMask) > maxEdits) continue;
        const token = tokens[index] ?? '';
        const distance = editDistanceWithin(term, token, maxEdits, true);
        if (distance !== undefined && distance > 0) found.push({ token, distance });
      }
    }
    return found
      .sort((a, b) => a.distance - b.distance || (a.token < b.token ? -1 : 1))
      .slice(0, max)
      .map((entry) => entry.token);
  }

  /** Each token's letterMask, for every length at once the first time a typo is looked for (no later search pays for a length of its own). */
  #masksOfLength(length: number): Int32Array {
    if (this.#masks.size === 0) {
      this.#tokensOfLength(length);
      for (const [size, tokens] of this.#byLength ?? []) this.#masks.set(size, Int32Array.from(tokens, letterMask));
    }
    return this.#masks.get(length) ?? EMPTY_MASKS;
  }
}

const EMPTY_MASKS = new Int32Array(0);

/** Which characters a text has, as 32 bits (by char code modulo 32: two characters may share one, so it can only undercount a difference). */
function letterMask(text: string): number {
  let mask = 0;
  for (let index = 0; index < text.length; index += 1) mask |= 1 << (text.charCodeAt(index) & 31);
  return mask;
}

function bitCount(bits: number): number {
  let value = bits - ((bits >>> 1) & 0x55555555);
  value = (value & 0x33333333) + ((value >>> 2) & 0x33333333);
  return Math.imul((value + (value >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

function scopeOf(query: SelectQuery): QueryScope | undefined {
  const predicates = predicatesOf(query);
  return predicates === undefined ? undefined : { predicates };
}
