import { closeSync, fsyncSync, ftruncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import {
  fetchResource,
  fromFsError,
  isHttpLocation,
  isHttpNotFound,
  isPackageName,
  MarketplaceError,
  openRegularFileSync,
  resolveLocation,
  type FetchOptions,
} from '@ggen/marketplace-core';
import { QUAD_LINE } from './local-store/nquads-line.js';
import { authorIri, CATALOG_GRAPH, keyIri, packageIri, packageNameOf, postingIri, V } from './vocabulary.js';

/**
 * A directory registry's catalog is `catalog.nq` (the base, written whole) and this journal:
 * each change to a package (a publish, a lifecycle change, a key change) appends the package's
 * whole new block, so that a change writes O(the package), not O(the registry). Readers see the
 * base with every journaled package's block replaced by its latest entry (mergeCatalog). A
 * whole write of the catalog (registry compact, migrate, or a change once the journal holds
 * JOURNAL_LIMIT entries) folds the journal into the base and empties it.
 */
export const JOURNAL_FILE = 'catalog.journal.nq';

/** Past this many entries a change compacts: every reader loads the journal's packages whole. */
export const JOURNAL_LIMIT = 128;

/** The most a journal may hold: JOURNAL_LIMIT packages of large READMEs, and then some. */
const MAX_JOURNAL_BYTES = 64 * 2 ** 20;

/**
 * An entry: a comment line, `# ggen-journal <name> <lines> <sha256 of the lines>`, then that many
 * N-Quads lines, the package's block as a whole write would have it (its posting nodes defined
 * in it). The file is N-Quads itself (comments are allowed), so any RDF tool reads it.
 */
const HEADER = /^# ggen-journal (\S+) (\d+) ([0-9a-f]{64})$/;

export interface JournalEntry {
  name: string;
  block: string;
}

export interface ParsedJournal {
  entries: JournalEntry[];
  /** Bytes of the whole entries: past them is an entry cut short by a crash, which the next change cuts off. */
  goodBytes: number;
}

/** What a package's first line (`<package> rdf:type gg:Package`) holds after its subject: a block starts there. */
export const TYPE_PACKAGE = `> <${V.type}> <${V.Package}> <`;

/** The package whose block a catalog line starts (its `rdf:type gg:Package` line), else undefined. */
export function packageStartedBy(line: string): string | undefined {
  return line.includes(TYPE_PACKAGE) ? packageNameOf(line.slice(1, line.indexOf('>'))) : undefined;
}

/** How many quads a catalog's closing `gg:quadCount` line says came before it (NaN when it says none). */
export function declaredQuads(line: string): number {
  return Number(/"(\d+)"/.exec(line)?.[1] ?? Number.NaN);
}

export function journalEntryText(entry: JournalEntry): string {
  const lines = entry.block === '' ? 0 : entry.block.split('\n').length - 1;
  return `# ggen-journal ${entry.name} ${lines} ${bytesToHex(sha256(utf8ToBytes(entry.block)))}\n${entry.block}`;
}

function damaged(location: string, why: string): MarketplaceError {
  return new MarketplaceError('GGEN_E_INDEX_INVALID', `The catalog journal ${location} is damaged: ${why}`, {
    hint: 'Nothing was used. Restore catalog.journal.nq from a backup, or remove it to serve the catalog as last compacted.',
    details: { location },
  });
}

/**
 * The whole entries of a journal. An entry that runs to the end of the file short of its lines
 * was being appended when its writer stopped: it is left out. Anything else that does not fit
 * (a line that is no header, a digest that differs, a block of another package) is damage.
 */
export function parseJournal(text: string, location: string): ParsedJournal {
  const entries: JournalEntry[] = [];
  let at = 0;
  while (at < text.length) {
    const eol = text.indexOf('\n', at);
    if (eol === -1) break;
    const header = HEADER.exec(text.slice(at, eol));
    if (header === null) throw damaged(location, `line at character ${at} is not an entry's header`);
    const [, name = '', count = '0', digest = ''] = header;
    let end = eol + 1;
    let complete = true;
    for (let line = 0; line < Number(count); line += 1) {
      const next = text.indexOf('\n', end);
      if (next === -1) {
        complete = false;
        break;
      }
      end = next + 1;
    }
    if (!complete) break;
    const block = text.slice(eol + 1, end);
    if (bytesToHex(sha256(utf8ToBytes(block))) !== digest)
      throw damaged(location, `the entry of ${name} does not match its digest`);
    const stray = isPackageName(name) ? strayLine(name, block) : 'its name is not a package name';
    if (stray !== undefined) throw damaged(location, `the entry of ${name} is not that package's block: ${stray}`);
    entries.push({ name, block });
    at = end;
  }
  return { entries, goodBytes: Buffer.byteLength(text.slice(0, at)) };
}

/** Nodes a package's block may describe besides its own, and what it may say of them. */
const SHARED_NODES: [string, Set<string>][] = [
  [authorIri(''), new Set([V.type, V.foafName])],
  [keyIri(''), new Set([V.type, V.keyId, V.publicKey])],
  [postingIri('', 0).replace(/\/0\.0$/, ''), new Set([V.token, V.weight, V.postingOf])],
];

/**
 * The first line of a block that is not ggen's writing of package `name` (undefined when every
 * line is): one quad a line in the catalog graph, starting with the package's type, about the
 * package, its versions and dependencies, or an author, key or posting node it links (a posting
 * linking this package only). A journal that says anything of another package is refused, as a
 * sync refuses a package's triples outside its block.
 */
function strayLine(name: string, block: string): string | undefined {
  const own = packageIri(name);
  if (!block.startsWith(`<${own}${TYPE_PACKAGE}`)) return 'it does not start with the package';
  for (const line of block.split('\n')) {
    if (line === '') continue;
    const match = QUAD_LINE.exec(line);
    if (match?.[7] !== CATALOG_GRAPH) return `a line that is not one quad of the catalog: ${line.slice(0, 120)}`;
    const [, subject = '', predicate = '', object] = match;
    if (subject === own || subject.startsWith(`${own}/`)) continue;
    const shared = SHARED_NODES.find(([prefix]) => subject.startsWith(prefix))?.[1];
    if (shared === undefined || !shared.has(predicate) || (predicate === V.postingOf && object !== own))
      return `a line about another node: ${line.slice(0, 120)}`;
  }
  return undefined;
}

/**
 * The journal's text, at most `limit` bytes, with its descriptor (the caller closes it); undefined
 * when there is none. A regular file only, never through a link: the journal is written in place.
 */
function readRegular(path: string, limit: number, writable = false): { fd: number; text: string } | undefined {
  try {
    const { fd, bytes } = openRegularFileSync(path, { limit, noFollow: true, writable });
    return { fd, text: bytes.toString('utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof MarketplaceError && error.code === 'GGEN_E_RESPONSE_TOO_LARGE')
      throw new MarketplaceError('GGEN_E_RESPONSE_TOO_LARGE', error.message, {
        hint: 'Compact the registry: ggen marketplace registry compact <dir>.',
        details: { location: path, limit },
      });
    if (error instanceof MarketplaceError) throw error;
    throw fromFsError(error, 'reading', path);
  }
}

/** A registry's journal entries (a directory's file, or an http(s) registry's; none is none). */
export async function readJournal(registry: string, options: FetchOptions): Promise<JournalEntry[]> {
  if (isHttpLocation(registry)) {
    const location = resolveLocation(registry, JOURNAL_FILE);
    try {
      const text = Buffer.from(await fetchResource(location, options, 'catalog')).toString('utf8');
      return parseJournal(text, location).entries;
    } catch (error) {
      if (isHttpNotFound(error)) return [];
      throw error;
    }
  }
  const path = join(resolveLocation(registry, ''), JOURNAL_FILE);
  const read = readRegular(path, MAX_JOURNAL_BYTES);
  if (read === undefined) return [];
  closeSync(read.fd);
  return parseJournal(read.text, path).entries;
}

/** How many entries a directory registry's journal holds (its headers counted; a cut-short last one too). */
export function journalEntryCount(dir: string): number {
  const read = readRegular(join(dir, JOURNAL_FILE), MAX_JOURNAL_BYTES);
  if (read === undefined) return 0;
  closeSync(read.fd);
  return (read.text.match(/^# ggen-journal /gm) ?? []).length;
}

/**
 * Appends entries to a directory registry's journal, under the registry's lock (the caller's):
 * an entry cut short by an earlier crash is cut off first, and the file is synced before this
 * returns. Returns how many entries the journal holds now.
 */
export function appendJournal(dir: string, entries: JournalEntry[]): number {
  const path = join(dir, JOURNAL_FILE);
  const read = readRegular(path, MAX_JOURNAL_BYTES, true);
  if (read === undefined) throw damaged(path, 'it cannot be created');
  const { fd, text } = read;
  try {
    const parsed = parseJournal(text, path);
    if (parsed.goodBytes !== Buffer.byteLength(text)) ftruncateSync(fd, parsed.goodBytes);
    const bytes = Buffer.from(entries.map(journalEntryText).join(''));
    let written = 0;
    while (written < bytes.length)
      written += writeSync(fd, bytes, written, bytes.length - written, parsed.goodBytes + written);
    fsyncSync(fd);
    return parsed.entries.length + entries.length;
  } catch (error) {
    if (error instanceof MarketplaceError) throw error;
    throw fromFsError(error, 'writing', path);
  } finally {
    closeSync(fd);
  }
}

/** The latest entry of each package, in the order their latest entries were appended. */
export function latestEntries(entries: JournalEntry[]): Map<string, JournalEntry> {
  const latest = new Map<string, JournalEntry>();
  for (const entry of entries) {
    latest.delete(entry.name);
    latest.set(entry.name, entry);
  }
  return latest;
}
