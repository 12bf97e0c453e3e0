import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import {
  fetchResource,
  fromFsError,
  isHttpLocation,
  MarketplaceError,
  resolveLocation,
  type FetchOptions,
  nodeCrypto,
  isHttpNotFound,
} from '@ggen/marketplace-core';
import {
  declaredQuads,
  JOURNAL_FILE,
  latestEntries,
  packageStartedBy,
  readJournal,
  type JournalEntry,
} from './catalog-journal.js';
import { quadCountLine } from './catalog-rdf.js';
import { predicateOfLine } from './local-store/nquads-line.js';
import { V } from './vocabulary.js';

export const CATALOG_FILE = 'catalog.nq';

/** The N-Quads dump of a v2 registry (directory or http(s) base), its journal merged; a missing one says how to make it. */
export async function fetchCatalogText(
  registry: string,
  options: FetchOptions,
): Promise<{ location: string; text: string }> {
  const { location, chunks } = await fetchCatalogChunks(registry, options);
  return { location, text: chunks.join('') };
}

/** catalog.nq alone. */
async function fetchBaseCatalogText(
  registry: string,
  options: FetchOptions,
): Promise<{ location: string; text: string }> {
  const location = resolveLocation(registry, CATALOG_FILE);
  try {
    return { location, text: Buffer.from(await fetchResource(location, options, 'catalog')).toString('utf8') };
  } catch (error) {
    // Only a catalog that is not there is "no catalog"; a network failure says what failed.
    if (error instanceof MarketplaceError && (error.code === 'GGEN_E_REGISTRY_NOT_FOUND' || isHttpNotFound(error)))
      throw noCatalog(location, { cause: error });
    throw error;
  }
}

/** A registry without catalog.nq, however it was asked for: says how to make one. */
function noCatalog(
  location: string,
  extra: { cause: unknown } | { details: Record<string, unknown> },
): MarketplaceError {
  return new MarketplaceError('GGEN_E_REGISTRY_UNREACHABLE', `No v2 catalog at ${location}`, {
    hint: 'A v2 registry holds catalog.nq; create one from a v1 registry with: ggen marketplace registry migrate --from <v1> --to <v2>',
    ...extra,
  });
}

/**
 * The largest catalog.nq a file registry may have for `sync`, which reads it in line-aligned
 * chunks: one JavaScript string holds at most ~512 MiB, and a 100k-package catalog is more.
 */
export const MAX_LOCAL_CATALOG_BYTES = 4 * 1024 ** 3;
const READ_BYTES = 16 * 1024 * 1024;
const CHUNK_CHARS = 64 * 1024 * 1024;

export interface CatalogChunks {
  location: string;
  /** The catalog's text in pieces that each end at a line's end. */
  chunks: string[];
  bytes: number;
  lines: number;
  /** sha256 of the text (the same as of the whole text at once). */
  digest: string;
}

/**
 * The catalog of a registry as line-aligned chunks with its sha256: a file registry's read a
 * block at a time (a regular file, at most MAX_LOCAL_CATALOG_BYTES), an http(s) registry's
 * fetched whole under its resource limit.
 */
export async function fetchCatalogChunks(
  registry: string,
  options: FetchOptions,
  /** Block and chunk sizes; tests make them small to cut lines and characters across blocks. */
  sizes: { readBytes: number; chunkChars: number } = { readBytes: READ_BYTES, chunkChars: CHUNK_CHARS },
): Promise<CatalogChunks> {
  const chunks: string[] = [];
  const read = await streamCatalog(registry, options, (chunk) => void chunks.push(chunk), sizes);
  return { ...read, chunks };
}

/**
 * The catalog of a registry, handed to `onChunk` in line-aligned pieces as it is read, so that
 * a caller that does not keep them (registry push) holds one piece at a time whatever the
 * catalog's size: catalog.nq, with the packages its journal holds (catalog-journal.ts) replaced
 * by their latest entries. Returns the size, line count and sha256 of what was handed on.
 */
export async function streamCatalog(
  registry: string,
  options: FetchOptions,
  onChunk: (chunk: string) => void | Promise<void>,
  sizes: { readBytes: number; chunkChars: number } = { readBytes: READ_BYTES, chunkChars: CHUNK_CHARS },
  snapshot?: CatalogSnapshot,
): Promise<Omit<CatalogChunks, 'chunks'>> {
  // An http(s) catalog first: an unreachable registry is said of it, not of its journal.
  let base: Omit<CatalogChunks, 'chunks'> | undefined;
  let text = '';
  if (isHttpLocation(registry)) base = await streamBaseCatalog(registry, options, (chunk) => void (text = chunk));
  const journal = latestEntries(snapshot?.entries ?? (await readJournal(registry, options)));
  const streamBase = async (
    onBase: (chunk: string) => void | Promise<void>,
  ): Promise<Omit<CatalogChunks, 'chunks'>> => {
    if (base === undefined) return streamBaseCatalog(registry, options, onBase, sizes, snapshot?.base);
    await onBase(text);
    return base;
  };
  if (journal.size === 0) return streamBase(onChunk);
  // The base with each journaled package's block replaced by its latest entry.
  const merge = new CatalogMerge(journal);
  const hash = nodeCrypto().createHash('sha256');
  let bytes = 0;
  let lines = 0;
  const emit = async (piece: string): Promise<void> => {
    if (piece === '') return;
    hash.update(piece);
    bytes += Buffer.byteLength(piece);
    lines += countLines(piece);
    await onChunk(piece);
  };
  const { location } = await streamBase((chunk) => emit(merge.filter(chunk)));
  await emit(merge.finish(location));
  return { location, bytes, lines, digest: hash.digest('hex') };
}

/**
 * A directory registry's catalog as it was at one moment, read twice the same (a push reads it
 * twice): catalog.nq with this stat key (fileStatKey; a catalog.nq written whole since is refused,
 * not read) and these journal entries.
 */
export interface CatalogSnapshot {
  base: string;
  entries: JournalEntry[];
}

/**
 * The base catalog's lines less the blocks of the packages the journal holds (their posting
 * nodes' definitions stay: other packages' postings may share them), then the journal's blocks,
 * then a closing count of what was emitted. The base's own closing count is checked, as a sync
 * would: a base cut short is refused, not merged.
 */
class CatalogMerge {
  readonly #journal: Map<string, JournalEntry>;
  #dropping = false;
  #baseQuads = 0;
  #declared: number | undefined;
  #emitted = 0;

  constructor(journal: Map<string, JournalEntry>) {
    this.#journal = journal;
  }

  filter(chunk: string): string {
    const kept: string[] = [];
    for (const line of chunk.split('\n')) {
      if (line === '') continue;
      const predicate = predicateOfLine(line);
      if (predicate === V.quadCount) {
        this.#declared = declaredQuads(line);
        continue;
      }
      this.#baseQuads += 1;
      const started = packageStartedBy(line);
      if (started !== undefined) this.#dropping = this.#journal.has(started);
      if (this.#dropping && predicate !== V.token && predicate !== V.weight) continue;
      kept.push(line);
    }
    this.#emitted += kept.length;
    return kept.length === 0 ? '' : `${kept.join('\n')}\n`;
  }

  finish(location: string): string {
    if (this.#declared !== this.#baseQuads)
      throw new MarketplaceError(
        'GGEN_E_INDEX_INVALID',
        `The v2 catalog ${location} is cut short: it holds ${this.#baseQuads} quads, its closing line says ${this.#declared ?? 'nothing'}`,
        {
          hint: 'Nothing was used. Restore catalog.nq from a backup: the journal holds only the packages changed since it was written.',
        },
      );
    const blocks = [...this.#journal.values()].map((entry) => entry.block);
    for (const block of blocks) this.#emitted += countLines(block);
    return `${blocks.join('')}${quadCountLine(this.#emitted)}`;
  }
}

/**
 * A registry's catalog.nq alone, without its journal (what the local store cuts; the journal is
 * its own part of the store): an http(s) one fetched whole, a directory's a block at a time.
 */
export async function streamBaseCatalog(
  registry: string,
  options: FetchOptions,
  onChunk: (chunk: string) => void | Promise<void>,
  sizes: { readBytes: number; chunkChars: number } = { readBytes: READ_BYTES, chunkChars: CHUNK_CHARS },
  /** The stat key catalog.nq must have (a snapshot's): another is refused. */
  expected?: string,
): Promise<Omit<CatalogChunks, 'chunks'>> {
  if (isHttpLocation(registry)) {
    const { location, text } = await fetchBaseCatalogText(registry, options);
    await onChunk(text);
    const digest = nodeCrypto().createHash('sha256').update(text).digest('hex');
    return { location, bytes: Buffer.byteLength(text), lines: countLines(text), digest };
  }
  // A directory registry's catalog: resolveLocation gives its location (a file: URL made a location).
  const location = resolveLocation(registry, CATALOG_FILE);
  let fd: number;
  try {
    fd = openSync(location, constants.O_RDONLY | constants.O_NONBLOCK); // a FIFO answers at once, then is refused below
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw noCatalog(location, { details: { location } });
    throw fromFsError(error, 'reading', location);
  }
  try {
    const stat = fstatSync(fd);
    // A device or a pipe has no end to trust: only a regular file is read.
    if (!stat.isFile())
      throw new MarketplaceError('GGEN_E_INDEX_INVALID', `${location} is not a regular file`, {
        hint: 'A registry catalog is a file; check the registry location.',
        details: { location },
      });
    const tooLarge = (): MarketplaceError =>
      new MarketplaceError(
        'GGEN_E_RESPONSE_TOO_LARGE',
        `${location} is larger than ${MAX_LOCAL_CATALOG_BYTES} bytes, the limit for a catalog`,
        {
          hint: 'Nothing was used. A registry this large belongs on a SPARQL endpoint (marketplace.sparql_endpoint).',
          details: { location, limit: MAX_LOCAL_CATALOG_BYTES },
        },
      );
    if (stat.size > MAX_LOCAL_CATALOG_BYTES) throw tooLarge();
    if (expected !== undefined && fileStatKey(stat) !== expected)
      throw new MarketplaceError('GGEN_E_INDEX_INVALID', `${location} was written whole while it was being read`, {
        hint: 'Nothing was used of it (a compaction replaced it). Read it again.',
        details: { location },
      });
    const hash = nodeCrypto().createHash('sha256');
    const decoder = new StringDecoder('utf8');
    const block = Buffer.allocUnsafe(sizes.readBytes);
    let pending = '';
    let bytes = 0;
    let lines = 0;
    const emit = async (text: string): Promise<void> => {
      if (text === '') return;
      hash.update(text);
      lines += countLines(text);
      await onChunk(text);
    };
    for (;;) {
      let read: number;
      try {
        read = readSync(fd, block, 0, sizes.readBytes, null);
      } catch (error) {
        throw fromFsError(error, 'reading', location);
      }
      if (read === 0) break;
      bytes += read;
      // A file that grows while it is read is held to the same limit.
      if (bytes > MAX_LOCAL_CATALOG_BYTES) throw tooLarge();
      pending += decoder.write(block.subarray(0, read));
      if (pending.length >= sizes.chunkChars) {
        const end = pending.lastIndexOf('\n') + 1;
        if (end > 0) {
          await emit(pending.slice(0, end));
          pending = pending.slice(end);
        } else if (pending.length >= 4 * sizes.chunkChars)
          throw new MarketplaceError(
            'GGEN_E_INDEX_INVALID',
            `The v2 catalog ${location} has a line longer than ${4 * sizes.chunkChars} characters: it is not one quad a line`,
            {
              hint: 'Nothing was replaced. Regenerate the catalog with registry migrate (or publish to it), or restore it.',
            },
          );
      }
    }
    await emit(pending + decoder.end());
    return { location, bytes, lines, digest: hash.digest('hex') };
  } finally {
    closeSync(fd);
  }
}

export interface CatalogStat {
  /** Of catalog.nq and its journal: unchanged, nothing to read. */
  key: string;
  ctimeMs: number;
  size: number;
  /** Of catalog.nq alone: unchanged, only the journal is read again. */
  base: { key: string; ctimeMs: number };
}

/**
 * What tells, without reading it, that a file is the one read before: size, mtime, inode and
 * ctime (which no one can set back, unlike mtime). Every cache keyed by a file says it so.
 */
export function fileStatKey(stat: Pick<Stats, 'size' | 'mtimeMs' | 'ino' | 'ctimeMs'>): string {
  return `${stat.size}:${stat.mtimeMs}:${stat.ino}:${stat.ctimeMs}`;
}

/**
 * What tells, without reading them, that a file registry's catalog is unchanged: size, mtime,
 * inode and ctime (which no one can set back, unlike mtime) of catalog.nq and of its journal.
 * Undefined for an http(s) registry, or a directory without a catalog.
 */
export function catalogStat(registry: string): CatalogStat | undefined {
  if (isHttpLocation(registry)) return undefined;
  try {
    const stat = statSync(join(registry, CATALOG_FILE));
    const journal = statSync(join(registry, JOURNAL_FILE), { throwIfNoEntry: false });
    const base = { key: fileStatKey(stat), ctimeMs: stat.ctimeMs };
    if (journal === undefined) return { ...base, size: stat.size, base };
    return {
      key: `${base.key}+${fileStatKey(journal)}`,
      ctimeMs: Math.max(stat.ctimeMs, journal.ctimeMs),
      size: stat.size + journal.size,
      base,
    };
  } catch {
    return undefined;
  }
}

export function countLines(text: string): number {
  let lines = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines += 1;
  return lines;
}
