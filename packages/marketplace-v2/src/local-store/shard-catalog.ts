import { V } from '../vocabulary.js';
import { QUAD_LINE, unescapeNQuads } from './nquads-line.js';

/** Byte range of one shard in its data file. */
export type Range = [offset: number, length: number];

export const PACKAGE_PREFIX = 'https://ggen.dev/registry/package/';

/**
 * What `sync` cuts beside the shards: packages by position (their IRIs less the common prefix,
 * sorted), flat numeric ranges, tokens sorted. The local store writes it as files a command
 * opens without parsing most of it (local-store.ts).
 */
export interface ShardIndex {
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
  packageRanges: number[];
  /** Package id -> the package ids its versions depend on (only packages with dependencies). */
  dependsOn: Record<string, number[]>;
  /** Sorted search tokens; token i's posting triples are at tokenRanges[2i], length tokenRanges[2i+1]. */
  tokens: string[];
  tokenRanges: number[];
}

/** Filter key (categoryKey, tagKey, ...) -> lowercased value -> package ids; kept in filters.json. */
export type FilterIndex = Record<string, Record<string, number[]>>;

export interface Shards {
  /** packages.nq and postings.nq, in blocks of a few MiB (whole, either can pass a string's limit). */
  packages: string[];
  postings: string[];
  index: ShardIndex;
  filters: FilterIndex;
}

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

/** An N-Quads string literal's text; one with an escape N-Quads does not have stays as written. */
function unescape(literal: string): string {
  return unescapeNQuads(literal) ?? literal;
}

/**
 * Cuts a catalog's N-Quads into per-package and per-token shards. Works on lines (the catalog
 * is written one quad a line by n3's Writer); a line that does not parse is a damaged catalog.
 */
export function shardCatalog(chunks: Iterable<string>, onLine?: (count: number) => void): Shards {
  // Sets: a shared node (an author of many packages) has its triples written once per package.
  const bySubject = new Map<string, Set<string>>();
  const packageIris: string[] = [];
  const postingToken = new Map<string, string>();
  const filterIris = new Map<string, Map<string, string[]>>();
  let triples = 0;
  let quadLines = 0;
  let declared: number | undefined;
  for (const chunk of chunks) {
    for (const line of chunk.split('\n')) {
      if (line.trim() === '') continue;
      const match = QUAD_LINE.exec(line);
      if (match === null) throw new Error(`not an N-Quads line: ${line.slice(0, 120)}`);
      if (declared !== undefined) throw new Error(`quads after the closing ${V.quadCount} line`);
      // By index: array destructuring runs the iterator protocol per line (ShardTriples.add).
      const subject = match[1] ?? '';
      const predicate = match[2] ?? '';
      const object = match[3];
      const literal = match[4];
      if (predicate === V.quadCount) {
        declared = Number(literal);
        continue;
      }
      quadLines += 1;
      let lines = bySubject.get(subject);
      if (lines === undefined) {
        lines = new Set();
        bySubject.set(subject, lines);
      }
      if (lines.has(line)) continue;
      lines.add(line);
      triples += 1;
      if (triples % 50_000 === 0) onLine?.(triples);
      if (predicate === V.type && object === V.Package) {
        if (!subject.startsWith(PACKAGE_PREFIX)) throw new Error(`package IRI outside ${PACKAGE_PREFIX}: ${subject}`);
        packageIris.push(subject);
      } else if (predicate === V.token && literal !== undefined) postingToken.set(subject, unescape(literal));
      const filter = FILTER_KEYS.get(predicate);
      if (filter !== undefined && literal !== undefined) {
        const values = filterIris.get(filter) ?? new Map<string, string[]>();
        filterIris.set(filter, values);
        const value = unescape(literal);
        // Appended in place: a copy per package made a common value (license mit) quadratic.
        const iris = values.get(value);
        if (iris === undefined) values.set(value, [subject]);
        else iris.push(subject);
      }
    }
  }
  onLine?.(triples);
  // A catalog is taken whole or not at all: one cut short (a truncated download) would pass for a smaller registry.
  if (declared === undefined)
    throw new Error(
      `it has no closing ${V.quadCount} line: it is cut short, or was written by an older ggen (publish to it, or run registry migrate, to rewrite it)`,
    );
  if (declared !== quadLines)
    throw new Error(`it declares ${declared} quads but holds ${quadLines}: it is cut short or damaged`);
  // Sorted: a command finds a package's id by binary search, without a map of every IRI.
  packageIris.sort();
  const ids = new Map(packageIris.map((iri, id) => [iri, id]));

  const packageParts = new Blocks();
  const packageRanges: number[] = [];
  const dependsOn: Record<string, number[]> = {};
  let offset = 0;
  for (const [id, iri] of packageIris.entries()) {
    const rank: string[] = [];
    const filter: string[] = [];
    const detail: string[] = [];
    const seen = new Set<string>();
    const deps = new Set<number>();
    const visit = (subject: string): void => {
      if (seen.has(subject)) return;
      seen.add(subject);
      for (const line of bySubject.get(subject) ?? new Set<string>()) {
        const match = QUAD_LINE.exec(line);
        const predicate = match?.[2] ?? '';
        const object = match?.[3];
        (subject !== iri ? detail : RANK.has(predicate) ? rank : FILTER_KEYS.has(predicate) ? filter : detail).push(
          line,
        );
        if (predicate === V.dependsOnPackage && object !== undefined) {
          const dep = ids.get(object);
          if (dep !== undefined) deps.add(dep);
        }
        if (object !== undefined && FOLLOW.has(predicate)) visit(object);
      }
    };
    visit(iri);
    const texts = [rank, filter, detail].map((lines) => (lines.length === 0 ? '' : `${lines.join('\n')}\n`));
    const lengths = texts.map((text) => Buffer.byteLength(text));
    packageRanges.push(offset, ...lengths);
    if (deps.size > 0) dependsOn[String(id)] = [...deps].sort((a, b) => a - b);
    for (const text of texts) packageParts.add(text);
    for (const length of lengths) offset += length;
  }

  const byToken = new Map<string, string[]>();
  for (const [posting, token] of postingToken) {
    const list = byToken.get(token) ?? [];
    for (const line of bySubject.get(posting) ?? new Set<string>()) list.push(line);
    byToken.set(token, list);
  }
  const tokens = [...byToken.keys()].sort();
  const tokenRanges: number[] = [];
  const postingParts = new Blocks();
  offset = 0;
  for (const token of tokens) {
    const text = `${(byToken.get(token) ?? []).join('\n')}\n`;
    const length = Buffer.byteLength(text);
    tokenRanges.push(offset, length);
    postingParts.add(text);
    offset += length;
  }

  const filters = Object.create(null) as FilterIndex;
  for (const [key, values] of filterIris) {
    const byValue = Object.create(null) as Record<string, number[]>;
    for (const [value, iris] of values) byValue[value] = iris.map((iri) => ids.get(iri) ?? -1).filter((id) => id >= 0);
    filters[key] = byValue;
  }
  return {
    packages: packageParts.done(),
    postings: postingParts.done(),
    index: {
      triples,
      packages: packageIris.map((iri) => iri.slice(PACKAGE_PREFIX.length)),
      packageRanges,
      dependsOn,
      tokens,
      tokenRanges,
    },
    filters,
  };
}

/**
 * A file's text as blocks of about BLOCK_CHARS, joined as the parts come: a file is written
 * in a few hundred writes, and the parts are not held beside their blocks (at 100k packages
 * that was a second copy of packages.nq, ~440 MB, at the peak of a sync).
 */
class Blocks {
  readonly #blocks: string[] = [];
  #parts: string[] = [];
  #size = 0;

  add(part: string): void {
    if (part === '') return;
    this.#parts.push(part);
    this.#size += part.length;
    if (this.#size >= BLOCK_CHARS) this.#flush();
  }

  done(): string[] {
    this.#flush();
    return this.#blocks;
  }

  #flush(): void {
    if (this.#parts.length > 0) this.#blocks.push(this.#parts.join(''));
    this.#parts = [];
    this.#size = 0;
  }
}

const BLOCK_CHARS = 8 * 1024 * 1024;
