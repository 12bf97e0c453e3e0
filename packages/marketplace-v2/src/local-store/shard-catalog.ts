import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { positionIn } from '../sorted-strings.js';
import { V } from '../vocabulary.js';
import { literalText, own, QUAD_LINE } from './nquads-line.js';

/** Byte range of one shard in its data file. */
export type Range = [offset: number, length: number];

export const PACKAGE_PREFIX = 'https://ggen.dev/registry/package/';

/**
 * What `sync` cuts beside the shards: packages by position (their IRIs less the common prefix,
 * sorted), flat numeric ranges, tokens sorted. The local store writes it as files a command
 * opens without parsing most of it (local-store.ts).
 */
export interface ShardIndex {
  /** Triples kept (a node that several packages share, an author, counted in each). */
  triples: number;
  /** Package IRIs without the `https://ggen.dev/registry/package/` prefix, sorted; a package's id is its position. */
  packages: string[];
  /**
   * Per package, four numbers in packages.nq: where its rank triples start (type, name,
   * popularity, downloads, stars: what every search ranks on), their length, the length of its
   * filter keys that follow (category, tags, keywords, author, license: what a filtered search
   * also reads), and the length of the detail triples after them (versions, dependencies,
   * author, keys, the rest).
   */
  packageRanges: Float64Array;
  /** Package id -> the package ids its versions depend on (only packages with dependencies). */
  dependsOn: Record<string, number[]>;
  /** Sorted search tokens; token i's posting triples are at tokenRanges[2i], length tokenRanges[2i+1]. */
  tokens: string[];
  tokenRanges: Float64Array;
}

/**
 * Filter key (categoryKey, tagKey, ...) -> lowercased value -> package ids; and `ownerKey`,
 * `signedBy` -> key IRI -> the packages it owns, or signed a version of. Kept in filters.json.
 */
export type FilterIndex = Record<string, Record<string, number[]>>;

/** One browse order: how many packages it ranks, and the first BROWSE_KEPT of them by id. */
export interface BrowseOrder {
  total: number;
  top: number[];
}

/**
 * What a search with no words and no filters, and the site's recent releases, need without
 * reading every package: kept in browse.json. `downloads` and `stars`: packages by that number,
 * greatest first, ties by id (as the search query orders them), of those a search can rank
 * (with a name and a popularity); `named`: how many have both (in id order: sorted by name);
 * `recent`: the package of each of the newest RECENT_KEPT releases, newest first, ties by id
 * (the site's query orders them by date, then package IRI).
 */
export interface BrowseIndex {
  downloads: BrowseOrder;
  stars: BrowseOrder;
  named: number;
  recent: number[];
}

/** How far a browse order is kept: a page past it reads every package, as before. */
export const BROWSE_KEPT = 1_000;
/** How many of the newest releases are kept (the site's home lists a few dozen). */
export const RECENT_KEPT = 400;

/** A catalog that cannot be cut into shards (a line not of ggen's shape, a package's triples apart, cut short): says what is wrong. */
export class UnusableCatalog extends Error {}

const FILTER_KEYS = new Map<string, string>([
  [V.categoryKey, 'categoryKey'],
  [V.tagKey, 'tagKey'],
  [V.keywordKey, 'keywordKey'],
  [V.authorKey, 'authorKey'],
  [V.licenseKey, 'licenseKey'],
]);
/** The package triples every search reads for every candidate; filter keys only a filtered search; the rest only results. */
const RANK = new Set<string>([V.type, V.name, V.popularity, V.downloads, V.stars]);
/** A package shard holds its own node and what hangs off it; other packages are only linked. */
const FOLLOW = new Set<string>([V.hasVersion, V.dependsOn, V.creator, V.ownerKey, V.revokedKey, V.signedBy]);
/** Links to a key (from a package, or from one of its versions): indexed by key IRI in filters.json. */
const KEY_LINKS = new Map<string, string>([
  [V.ownerKey, 'ownerKey'],
  [V.signedBy, 'signedBy'],
]);
/** The triples of a posting node: they go to postings.nq, grouped by token. */
const POSTING = new Set<string>([V.token, V.weight, V.postingOf]);

/** Posting lines are spread over this many bucket files while the catalog streams by, then grouped a bucket at a time. */
const BUCKETS = 64;
/** A sink writes what it was given once it holds about this many characters. */
const FLUSH_CHARS = 1024 * 1024;

/** A file written in appends of about FLUSH_CHARS; `bytes` is its length so far, written or not. */
class FileSink {
  readonly #fd: number;
  #parts: string[] = [];
  #chars = 0;
  bytes = 0;

  constructor(readonly path: string) {
    // 'wx': a new file, never one (or a link) that is already there.
    this.#fd = openSync(path, 'wx');
  }

  /** Appends text; returns its length in bytes. */
  add(text: string): number {
    const length = Buffer.byteLength(text);
    this.#parts.push(text);
    this.#chars += text.length;
    this.bytes += length;
    if (this.#chars >= FLUSH_CHARS) this.flush();
    return length;
  }

  flush(): void {
    if (this.#parts.length === 0) return;
    const bytes = Buffer.from(this.#parts.join(''));
    this.#parts = [];
    this.#chars = 0;
    for (let written = 0; written < bytes.length;)
      written += writeSync(this.#fd, bytes, written, bytes.length - written);
  }

  close(): void {
    try {
      this.flush();
    } finally {
      closeSync(this.#fd);
    }
  }

  /** Closes without writing what is pending (the work is being thrown away). */
  abort(): void {
    try {
      closeSync(this.#fd);
    } catch {
      // Already closed.
    }
  }
}

/** The lines of one package, as they stream by: from its `a gg:Package` line to the next package's. */
interface Block {
  iri: string | undefined;
  bySubject: Map<string, Set<string>>;
}

/**
 * Cuts a catalog's N-Quads into per-package and per-token shards as the catalog streams by,
 * into files of `dir` (packages.nq, postings.nq), holding one package's lines at a time: its
 * memory does not grow with the catalog but for the index (names, tokens, ranges).
 *
 * A catalog is one quad a line, as ggen writes it: each package's triples together, from its
 * `a gg:Package` line on (with the nodes it links: versions, dependencies, author, keys), and
 * posting nodes (token, weight, postingOf) anywhere. Posting lines go to bucket files by their
 * IRI less its last segment (ggen's posting IRIs are token/weight, so a token's postings share
 * a bucket), and are grouped by token one bucket at a time when the catalog ends. A line that
 * does not parse, a package's triples outside its block, a package written twice, or a token
 * under two IRI stems is an UnusableCatalog.
 */
export class CatalogSharder {
  readonly #packages: FileSink;
  readonly #buckets: FileSink[] = [];
  #block: Block = { iri: undefined, bySubject: new Map() };
  /** Per block, in catalog order: its package IRI, four ranges, the IRIs it depends on. */
  readonly #iris: string[] = [];
  readonly #ranges: number[] = [];
  readonly #dependencies = new Map<number, string[]>();
  /** Filter key -> value -> blocks. */
  readonly #filters = new Map<string, Map<string, number[]>>();
  /** Per block: its downloads and stars, NaN when a search cannot rank it by that number. */
  readonly #downloads: number[] = [];
  readonly #stars: number[] = [];
  #named = 0;
  /** The newest releases seen, [issued, block]; once RECENT_KEPT are, one older than #recentFloor is not kept. */
  #recent: [string, number][] = [];
  #recentFloor = '';
  #triples = 0;
  #quadLines = 0;
  #declared: number | undefined;
  #closed = false;

  constructor(
    readonly dir: string,
    readonly onLines?: (lines: number) => void,
  ) {
    this.#packages = new FileSink(join(dir, 'packages.nq'));
    try {
      for (let at = 0; at < BUCKETS; at += 1) this.#buckets.push(new FileSink(join(dir, `postings-${at}.part`)));
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  /** A piece of the catalog that ends at a line's end. */
  add(chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (line.trim() === '') continue;
      const match = QUAD_LINE.exec(line);
      if (match === null) throw new UnusableCatalog(`not an N-Quads line: ${line.slice(0, 120)}`);
      if (this.#declared !== undefined) throw new UnusableCatalog(`quads after the closing ${V.quadCount} line`);
      // By index: array destructuring runs the iterator protocol per line (ShardTriples.add).
      const subject = match[1] ?? '';
      const predicate = match[2] ?? '';
      if (predicate === V.quadCount) {
        this.#declared = Number(match[4]);
        continue;
      }
      this.#quadLines += 1;
      if (this.#quadLines % 50_000 === 0) this.onLines?.(this.#quadLines);
      if (POSTING.has(predicate)) {
        this.#bucketOf(subject).add(`${line}\n`);
        continue;
      }
      if (predicate === V.type && match[3] === V.Package && subject !== this.#block.iri) {
        if (!subject.startsWith(PACKAGE_PREFIX))
          throw new UnusableCatalog(`package IRI outside ${PACKAGE_PREFIX}: ${subject}`);
        this.#closeBlock();
        this.#block = { iri: subject, bySubject: new Map() };
      }
      const { bySubject } = this.#block;
      const lines = bySubject.get(subject);
      if (lines === undefined) bySubject.set(subject, new Set([line]));
      else lines.add(line);
    }
    // Written out now: a line held in a buffer keeps its whole chunk alive.
    this.#packages.flush();
    for (const bucket of this.#buckets) bucket.flush();
  }

  /** Ends the catalog: checks its count, writes postings.nq, and gives the index and the filters. */
  finish(): { index: ShardIndex; filters: FilterIndex; browse: BrowseIndex } {
    this.#closeBlock();
    this.onLines?.(this.#quadLines);
    // A catalog is taken whole or not at all: one cut short (a truncated download) would pass for a smaller registry.
    if (this.#declared === undefined)
      throw new UnusableCatalog(
        `it has no closing ${V.quadCount} line: it is cut short, or was written by an older ggen (publish to it, or run registry migrate, to rewrite it)`,
      );
    if (this.#declared !== this.#quadLines)
      throw new UnusableCatalog(
        `it declares ${this.#declared} quads but holds ${this.#quadLines}: it is cut short or damaged`,
      );
    this.#packages.close();
    const iris = this.#iris;
    // Sorted: a command finds a package's id by binary search, without a map of every IRI.
    const order = iris.map((_, block) => block).sort((a, b) => compare(iris[a] ?? '', iris[b] ?? ''));
    const packages = order.map((block) => (iris[block] ?? '').slice(PACKAGE_PREFIX.length));
    for (let id = 1; id < packages.length; id += 1)
      if (packages[id] === packages[id - 1])
        throw new UnusableCatalog(`package ${PACKAGE_PREFIX}${packages[id] ?? ''} is written twice`);
    const idOf = new Float64Array(order.length);
    const packageRanges = new Float64Array(order.length * 4);
    for (const [id, block] of order.entries()) {
      idOf[block] = id;
      for (let part = 0; part < 4; part += 1) packageRanges[id * 4 + part] = this.#ranges[block * 4 + part] ?? 0;
    }
    const dependsOn: Record<string, number[]> = {};
    for (const [block, dependencies] of this.#dependencies) {
      const ids = dependencies
        .map((iri) =>
          iri.startsWith(PACKAGE_PREFIX) ? positionIn(packages, iri.slice(PACKAGE_PREFIX.length)) : undefined,
        )
        .filter((id): id is number => id !== undefined);
      if (ids.length > 0) dependsOn[String(idOf[block] ?? 0)] = [...new Set(ids)].sort((a, b) => a - b);
    }
    const filters = Object.create(null) as FilterIndex;
    for (const [key, values] of this.#filters) {
      const byValue = Object.create(null) as Record<string, number[]>;
      for (const [value, blocks] of values)
        byValue[value] = blocks.map((block) => idOf[block] ?? 0).sort((a, b) => a - b);
      filters[key] = byValue;
    }
    const browse: BrowseIndex = {
      downloads: browseOrder(this.#downloads, idOf),
      stars: browseOrder(this.#stars, idOf),
      named: this.#named,
      recent: newest(this.#recent.map(([issued, block]): [string, number] => [issued, idOf[block] ?? 0])).map(
        ([, id]) => id,
      ),
    };
    const { tokens, tokenRanges } = this.#writePostings();
    this.#closed = true;
    return {
      index: { triples: this.#triples, packages, packageRanges, dependsOn, tokens, tokenRanges },
      filters,
      browse,
    };
  }

  /** Closes every file (the caller removes the directory). */
  abort(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#packages.abort();
    for (const bucket of this.#buckets) bucket.abort();
  }

  #bucketOf(subject: string): FileSink {
    // FNV-1a over the IRI less its last segment (for ggen's posting IRIs, the token).
    const end = subject.lastIndexOf('/');
    let hash = 0x811c9dc5;
    for (let at = 0; at < end; at += 1) hash = Math.imul(hash ^ subject.charCodeAt(at), 0x01000193);
    const bucket = this.#buckets[(hash >>> 0) % BUCKETS];
    if (bucket === undefined) throw new Error('no bucket');
    return bucket;
  }

  /** Writes the block's package (what its node reaches) to packages.nq, and notes its ranges, dependencies and filter keys. */
  #closeBlock(): void {
    const { iri, bySubject } = this.#block;
    this.#block = { iri: undefined, bySubject: new Map() };
    const reached = new Set<string>();
    if (iri !== undefined) {
      const block = this.#iris.length;
      const parts: [string[], string[], string[]] = [[], [], []];
      const dependencies = new Set<string>();
      const fields: Partial<Record<string, string>> = {};
      // A worklist, not recursion: a hostile block may chain nodes deeper than the stack.
      const pending = [iri];
      reached.add(iri);
      for (let subject = pending.pop(); subject !== undefined; subject = pending.pop()) {
        const itself = subject === iri;
        for (const line of bySubject.get(subject) ?? []) {
          const match = QUAD_LINE.exec(line);
          const predicate = match?.[2] ?? '';
          const object = match?.[3];
          const literal = match?.[4];
          parts[!itself ? 2 : RANK.has(predicate) ? 0 : FILTER_KEYS.has(predicate) ? 1 : 2].push(line);
          this.#triples += 1;
          const filter = FILTER_KEYS.get(predicate);
          if (itself && filter !== undefined && literal !== undefined)
            this.#noteFilter(filter, literalText(literal), block);
          if (itself && literal !== undefined) fields[predicate] = literal;
          const link = KEY_LINKS.get(predicate);
          if (link !== undefined && object !== undefined) this.#noteFilter(link, object, block);
          if (!itself && predicate === V.issued && literal !== undefined) this.#noteRelease(literal, block);
          if (predicate === V.dependsOnPackage && object !== undefined) dependencies.add(own(object));
          if (object !== undefined && FOLLOW.has(predicate) && !reached.has(object)) {
            reached.add(object);
            pending.push(object);
          }
        }
      }
      const ranked = fields[V.name] !== undefined && fields[V.popularity] !== undefined;
      if (ranked) this.#named += 1;
      this.#downloads.push(ranked ? Number(fields[V.downloads] ?? Number.NaN) : Number.NaN);
      this.#stars.push(ranked ? Number(fields[V.stars] ?? Number.NaN) : Number.NaN);
      this.#iris.push(own(iri));
      this.#ranges.push(this.#packages.bytes);
      for (const lines of parts)
        this.#ranges.push(lines.length === 0 ? 0 : this.#packages.add(`${lines.join('\n')}\n`));
      if (dependencies.size > 0) this.#dependencies.set(block, [...dependencies]);
    }
    // What no package reaches is left out (as an RDF store would keep it unread), but for a
    // package's own node or its versions': those in another block mean the catalog is not in order.
    for (const subject of bySubject.keys())
      if (!reached.has(subject) && subject.startsWith(PACKAGE_PREFIX))
        throw new UnusableCatalog(
          `the triples of ${subject} are apart from its package's: the catalog is not one package's triples together, as ggen writes it`,
        );
  }

  #noteRelease(issued: string, block: number): void {
    if (this.#recent.length >= RECENT_KEPT && issued < this.#recentFloor) return;
    this.#recent.push([own(issued), block]);
    if (this.#recent.length < RECENT_KEPT * 4) return;
    this.#recent = newest(this.#recent);
    this.#recentFloor = this.#recent.at(-1)?.[0] ?? '';
  }

  #noteFilter(key: string, value: string, block: number): void {
    let values = this.#filters.get(key);
    if (values === undefined) {
      values = new Map();
      this.#filters.set(key, values);
    }
    const blocks = values.get(value);
    // Appended in place: a copy per package made a common value (license mit) quadratic.
    if (blocks === undefined) values.set(own(value), [block]);
    else if (blocks.at(-1) !== block) blocks.push(block);
  }

  /** Groups each bucket's posting lines by token into postings.nq; the tokens sorted, with their ranges. */
  #writePostings(): { tokens: string[]; tokenRanges: Float64Array } {
    const postings = new FileSink(join(this.dir, 'postings.nq'));
    const found: string[] = [];
    const ranges: number[] = [];
    try {
      for (const bucket of this.#buckets) {
        bucket.close();
        const bySubject = new Map<string, Set<string>>();
        const tokenOf = new Map<string, string>();
        for (const line of readFileSync(bucket.path, 'utf8').split('\n')) {
          if (line === '') continue;
          const match = QUAD_LINE.exec(line);
          const subject = match?.[1] ?? '';
          const literal = match?.[4];
          if (match?.[2] === V.token && literal !== undefined) tokenOf.set(subject, literalText(literal));
          const lines = bySubject.get(subject);
          if (lines === undefined) bySubject.set(subject, new Set([line]));
          else if (!lines.has(line)) lines.add(line);
          else continue;
          this.#triples += 1;
        }
        rmSync(bucket.path);
        const byToken = new Map<string, string[]>();
        for (const [posting, token] of tokenOf) {
          const list = byToken.get(token);
          const lines = [...(bySubject.get(posting) ?? [])];
          if (list === undefined) byToken.set(token, lines);
          else list.push(...lines);
        }
        for (const [token, lines] of byToken) {
          found.push(own(token));
          ranges.push(postings.bytes, postings.add(`${lines.join('\n')}\n`));
        }
      }
    } finally {
      postings.close();
    }
    const order = found.map((_, at) => at).sort((a, b) => compare(found[a] ?? '', found[b] ?? ''));
    const tokens = order.map((at) => found[at] ?? '');
    for (let at = 1; at < tokens.length; at += 1)
      if (tokens[at] === tokens[at - 1])
        throw new UnusableCatalog(`the postings of token "${tokens[at] ?? ''}" are under more than one IRI stem`);
    const tokenRanges = new Float64Array(tokens.length * 2);
    for (const [position, at] of order.entries()) {
      tokenRanges[position * 2] = ranges[at * 2] ?? 0;
      tokenRanges[position * 2 + 1] = ranges[at * 2 + 1] ?? 0;
    }
    return { tokens, tokenRanges };
  }
}

/**
 * The newest RECENT_KEPT releases, newest first (issued is a text: the site's query orders it as
 * one), then by block (while the catalog streams) or id (at the end, the query's order by IRI).
 * A listing of the first n is exact while fewer than RECENT_KEPT - n releases tie with its last.
 */
function newest(releases: [string, number][]): [string, number][] {
  return releases.sort((a, b) => compare(b[0], a[0]) || a[1] - b[1]).slice(0, RECENT_KEPT);
}

/** Blocks by a number, greatest first, ties by id (as the search orders them); those without it left out. */
function browseOrder(values: number[], idOf: Float64Array): BrowseOrder {
  const ids: number[] = [];
  const byId = new Float64Array(idOf.length);
  values.forEach((value, block) => {
    const id = idOf[block] ?? 0;
    byId[id] = value;
    if (!Number.isNaN(value)) ids.push(id);
  });
  ids.sort((a, b) => (byId[b] ?? 0) - (byId[a] ?? 0) || a - b);
  return { total: ids.length, top: ids.slice(0, BROWSE_KEPT) };
}

/** Code-unit order, as `sort()` with no comparator and the binary searches of the store. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
