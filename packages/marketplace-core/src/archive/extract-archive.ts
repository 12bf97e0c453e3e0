import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import type { ReadEntry } from 'tar/read-entry';
import { fromFsError, MarketplaceError } from '../errors.js';

export interface ArchiveLimits {
  maxCompressedBytes: number;
  maxUncompressedBytes: number;
  maxEntries: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxCompressedBytes: 64 * 1024 * 1024,
  maxUncompressedBytes: 256 * 1024 * 1024,
  maxEntries: 20_000,
};

export type ArchiveEntry =
  | { type: 'file'; path: string; mode: number; content: Buffer }
  | { type: 'directory'; path: string }
  | { type: 'symlink'; path: string; target: string };

/**
 * Reads and checks every entry of a .tgz before anything touches the disk. Rejects paths
 * that are absolute or climb with `..`, links that leave the package, hard links, device
 * files and FIFOs, and archives past the size or entry limits (gzip bombs included).
 */
export async function readArchive(
  bytes: Uint8Array,
  label: string,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<ArchiveEntry[]> {
  if (bytes.length > limits.maxCompressedBytes) {
    throw tooLarge(label, `${bytes.length} bytes compressed, limit ${limits.maxCompressedBytes}`);
  }
  let tarBytes: Buffer;
  try {
    tarBytes = process
      .getBuiltinModule('node:zlib')
      .gunzipSync(bytes, { maxOutputLength: limits.maxUncompressedBytes });
  } catch (error) {
    if (error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw tooLarge(label, `more than ${limits.maxUncompressedBytes} bytes uncompressed`);
    }
    throw corrupt(label, `not a valid gzip stream (${(error as Error).message})`, error);
  }
  if (tarBytes.length < 1024) throw corrupt(label, 'too short to be a tar archive');

  const entries: ArchiveEntry[] = [];
  let seen = 0;
  let failure: MarketplaceError | undefined;
  const fail = (error: unknown): void => {
    failure ??= error instanceof MarketplaceError ? error : corrupt(label, String(error), error);
  };

  // tar's parser (and the streams it builds on) loads for the commands that read an archive, not for every command; not the rest of tar.
  const { Parser } = await import('tar/parse');
  await new Promise<void>((resolvePromise, reject) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        seen += 1;
        if (failure === undefined && seen > limits.maxEntries)
          fail(tooLarge(label, `more than ${limits.maxEntries} entries`));
        let checked: ArchiveEntry | undefined;
        if (failure === undefined) {
          try {
            checked = checkEntry(entry, label);
          } catch (error) {
            fail(error);
          }
        }
        if (failure !== undefined || checked?.type !== 'file') {
          // Every entry must be drained, or the parser waits for it forever.
          entry.resume();
          if (failure === undefined && checked !== undefined) entries.push(checked);
          return;
        }
        const file = checked;
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => {
          const content = Buffer.concat(chunks);
          if (content.length !== entry.size) fail(corrupt(label, `entry '${file.path}' is truncated`));
          else entries.push({ ...file, content });
        });
      },
    });
    parser.on('error', (error: Error) => {
      reject(corrupt(label, error.message, error));
    });
    parser.on('end', () => {
      resolvePromise();
    });
    parser.end(tarBytes);
  });
  if (failure !== undefined) throw failure;
  checkTree(entries, label);
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Checks the archive as the tree it would become, whatever the order of its entries: no path
 * twice, nothing written below a link, and every link resolved component by component
 * against the other links. A link that passes through or ends at another link is refused, so
 * `a -> .` with `b -> a/a/../..` cannot climb out although its text normalises inside.
 */
function checkTree(entries: ArchiveEntry[], label: string): void {
  const seen = new Set<string>();
  const links = new Map<string, string>();
  for (const entry of entries) {
    if (seen.has(entry.path)) throw unsafe(label, `'${entry.path}' appears twice`);
    seen.add(entry.path);
    if (entry.type === 'symlink') links.set(entry.path, entry.target);
  }
  if (links.size === 0) return;
  for (const entry of entries) {
    for (let parent = posix.dirname(entry.path); parent !== '.'; parent = posix.dirname(parent)) {
      if (links.has(parent)) throw unsafe(label, `'${entry.path}' would be written through the link '${parent}'`);
    }
  }
  for (const [path, target] of links) {
    const stack = posix.dirname(path) === '.' ? [] : posix.dirname(path).split('/');
    const parts = target.split('/').filter((part) => part !== '' && part !== '.');
    for (const part of parts) {
      if (part === '..') {
        if (stack.pop() === undefined) throw unsafe(label, `link '${path}' points outside the package (${target})`);
        continue;
      }
      stack.push(part);
      if (links.has(stack.join('/')))
        throw unsafe(
          label,
          `link '${path}' points through another link ('${stack.join('/')}'); links to links are not allowed`,
        );
    }
  }
}

/** Checks one entry's path and type; file content is filled in by the caller, the tree by checkTree. */
function checkEntry(entry: ReadEntry, label: string): ArchiveEntry | undefined {
  const path = safeEntryPath(entry.path, label);
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return { type: 'file', path, mode: (entry.mode ?? 0o644) & 0o111 ? 0o755 : 0o644, content: Buffer.alloc(0) };
    case 'Directory':
      return path === '' ? undefined : { type: 'directory', path };
    case 'SymbolicLink': {
      const target = entry.linkpath ?? '';
      const resolved = posix.normalize(posix.join(posix.dirname(path), target));
      if (target === '' || posix.isAbsolute(target) || resolved === '..' || resolved.startsWith('../')) {
        throw unsafe(label, `link '${path}' points outside the package (${target})`);
      }
      return { type: 'symlink', path, target };
    }
    case 'Link':
      throw unsafe(label, `hard link '${path}' is not allowed`);
    case 'CharacterDevice':
    case 'BlockDevice':
    case 'FIFO':
      throw unsafe(label, `'${path}' is a ${entry.type}, not a file`);
    default:
      // Pax/GNU metadata entries are consumed by the parser; anything else is unknown.
      throw unsafe(label, `'${path}' has unsupported entry type ${entry.type}`);
  }
}

function safeEntryPath(raw: string, label: string): string {
  if (raw.includes('\0') || raw.includes('\\'))
    throw unsafe(label, `entry name ${JSON.stringify(raw)} is not a portable path`);
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) throw unsafe(label, `entry '${raw}' has an absolute path`);
  const segments = raw.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw unsafe(label, `entry '${raw}' climbs out of the package with '..'`);
  return segments.join('/');
}

/**
 * Writes checked entries under `destination`, which must not exist yet or be empty. Files are
 * created exclusively (never through something already there) and links come last, so no
 * write ever follows a link the archive made.
 */
export function writeArchiveEntries(entries: ArchiveEntry[], destination: string): Promise<void> {
  const ordered = [
    ...entries.filter((entry) => entry.type !== 'symlink'),
    ...entries.filter((entry) => entry.type === 'symlink'),
  ];
  // Synchronous, each directory made once: a pack is a few small files, and a thread-pool
  // round trip per mkdir and write left the main thread idle for most of an extraction.
  const made = new Set<string>();
  const directory = (path: string): void => {
    if (made.has(path)) return;
    mkdirSync(path, { recursive: true });
    made.add(path);
  };
  try {
    directory(destination);
    for (const entry of ordered) {
      const target = join(destination, entry.path);
      if (entry.type === 'directory') {
        directory(target);
      } else if (entry.type === 'file') {
        directory(dirname(target));
        writeFileSync(target, entry.content, { mode: entry.mode, flag: 'wx' });
      } else {
        directory(dirname(target));
        symlinkSync(entry.target, target);
      }
    }
  } catch (error) {
    return Promise.reject(fromFsError(error, 'extracting into', destination));
  }
  return Promise.resolve();
}

function corrupt(label: string, reason: string, cause?: unknown): MarketplaceError {
  return new MarketplaceError('GGEN_E_ARCHIVE_CORRUPT', `Archive of ${label} is corrupt: ${reason}`, {
    hint: 'The download may be truncated; run again, and report it to the registry owner if it persists.',
    cause,
    details: { package: label },
  });
}

function unsafe(label: string, reason: string): MarketplaceError {
  return new MarketplaceError('GGEN_E_ARCHIVE_UNSAFE', `Archive of ${label} is unsafe: ${reason}`, {
    hint: 'Nothing was written. Do not install this package; report it to the registry owner.',
    details: { package: label },
  });
}

function tooLarge(label: string, reason: string): MarketplaceError {
  return new MarketplaceError('GGEN_E_ARCHIVE_TOO_LARGE', `Archive of ${label} is too large: ${reason}`, {
    hint: 'Nothing was written. Packages are limited in size to protect against archive bombs.',
    details: { package: label },
  });
}
