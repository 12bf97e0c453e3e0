import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ARCHIVE_LIMITS } from '../archive/extract-archive.js';
import { verifyIntegrity } from '../archive/integrity.js';
import { fromFsError, MarketplaceError } from '../errors.js';
import { readRegularFileSync } from '../read-regular-file.js';
import { writeFileAtomicSync } from './install-transaction.js';

const ALGORITHMS: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** One archive kept in the cache. */
export interface CachedArchive {
  integrity: string;
  path: string;
  bytes: number;
  /** When it was written (ISO 8601). */
  stored: string;
}

/**
 * Archives kept by their integrity (`<dir>/<algorithm>/<hex digest>`), shared by every project
 * of the user, as pnpm's store and cargo's registry cache are. A file is its own proof: it is used
 * only when its bytes hash to the name it is kept under, so a damaged or planted entry is
 * dropped and fetched again, never installed. Only regular files are read.
 */
export class ArchiveCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Where an integrity is kept; undefined for one that is not a sha256/384/512 SRI digest. */
  pathOf(integrity: string): string | undefined {
    const match = /^(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})$/.exec(integrity);
    if (match === null) return undefined;
    const algorithm = match[1] ?? '';
    const digest = Buffer.from(match[2] ?? '', 'base64');
    if (digest.length !== ALGORITHMS[algorithm]) return undefined;
    return join(this.dir, algorithm, digest.toString('hex'));
  }

  /**
   * The kept archive with this integrity, checked; undefined when none is kept. An entry whose
   * bytes do not match is removed and reported through `onCorrupt` (the caller fetches again).
   */
  read(integrity: string, onCorrupt?: (path: string) => void): Uint8Array | undefined {
    const path = this.pathOf(integrity);
    if (path === undefined) return undefined;
    let bytes: Buffer;
    try {
      bytes = readRegularFileSync(path, DEFAULT_ARCHIVE_LIMITS.maxCompressedBytes);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      // A special file, a directory, or an oversized one where an archive should be: dropped.
      this.#drop(path);
      onCorrupt?.(path);
      return undefined;
    }
    try {
      verifyIntegrity(bytes, { integrity }, path);
    } catch {
      this.#drop(path);
      onCorrupt?.(path);
      return undefined;
    }
    return new Uint8Array(bytes);
  }

  /** Keeps verified bytes under their integrity; a cache that cannot be written is no reason to fail an install. */
  write(integrity: string, bytes: Uint8Array): boolean {
    const path = this.pathOf(integrity);
    if (path === undefined) return false;
    try {
      writeFileAtomicSync(path, bytes, { mode: 0o644 });
      return true;
    } catch {
      return false;
    }
  }

  /** Every kept archive, by algorithm and digest. */
  list(): CachedArchive[] {
    const entries: CachedArchive[] = [];
    for (const algorithm of Object.keys(ALGORITHMS)) {
      const folder = join(this.dir, algorithm);
      let names: string[];
      try {
        names = readdirSync(folder);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw fromFsError(error, 'reading', folder);
      }
      for (const name of names.sort()) {
        if (!/^[0-9a-f]+$/.test(name) || name.length !== (ALGORITHMS[algorithm] ?? 0) * 2) continue;
        const path = join(folder, name);
        const stat = lstatSync(path, { throwIfNoEntry: false });
        if (stat === undefined) continue;
        entries.push({
          integrity: `${algorithm}-${Buffer.from(name, 'hex').toString('base64')}`,
          path,
          bytes: stat.size,
          stored: stat.mtime.toISOString(),
        });
      }
    }
    return entries;
  }

  /** Checks every entry; the damaged ones are removed and returned. */
  verify(): { checked: number; removed: CachedArchive[] } {
    const removed: CachedArchive[] = [];
    const entries = this.list();
    for (const entry of entries) if (this.read(entry.integrity) === undefined) removed.push(entry);
    return { checked: entries.length, removed };
  }

  /** Removes every kept archive; returns how many there were. */
  clean(): number {
    const count = this.list().length;
    for (const algorithm of Object.keys(ALGORITHMS)) {
      const folder = join(this.dir, algorithm);
      try {
        rmSync(folder, { recursive: true, force: true });
      } catch (error) {
        throw fromFsError(error, 'removing', folder);
      }
    }
    return count;
  }

  #drop(path: string): void {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch (error) {
      throw new MarketplaceError('GGEN_E_IO', `Cannot remove the damaged cache entry ${path}`, {
        hint: `Remove it by hand (rm -r ${path}), or run: ggen marketplace cache clean`,
        cause: error,
        details: { path },
      });
    }
  }
}
