import { nodeCrypto } from '../node-crypto.js';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ArchiveEntry } from '../archive/extract-archive.js';

/** Hash of an installed tree (paths, exec bit, contents, link targets), to detect drift. */
export function hashEntries(entries: ArchiveEntry[]): string {
  const lines = entries
    .filter((entry) => entry.type !== 'directory')
    .map((entry) =>
      entry.type === 'file'
        ? `${entry.path}\0${entry.mode & 0o111 ? 'x' : '-'}\0${nodeCrypto().createHash('sha256').update(entry.content).digest('hex')}`
        : `${entry.path}\0l\0${entry.target}`,
    )
    .sort();
  return `sha256-${nodeCrypto().createHash('sha256').update(lines.join('\n')).digest('hex')}`;
}

/**
 * Same hash computed from the disk; `undefined` when the directory is missing. A package
 * directory that is a link (or no directory) is never followed: it hashes to a value no
 * install recorded, so it reads as modified and is never pruned.
 */
export async function hashDirectory(dir: string): Promise<string | undefined> {
  try {
    const stat = await lstat(dir);
    if (!stat.isDirectory()) return `not-a-directory:${stat.isSymbolicLink() ? 'link' : 'file'}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const entries: ArchiveEntry[] = [];
  const walk = async (current: string): Promise<void> => {
    for (const dirent of await readdir(current, { withFileTypes: true })) {
      const path = join(current, dirent.name);
      const rel = relative(dir, path).split(sep).join('/');
      if (dirent.isSymbolicLink()) entries.push({ type: 'symlink', path: rel, target: await readlink(path) });
      else if (dirent.isDirectory()) await walk(path);
      else if (dirent.isFile())
        entries.push({ type: 'file', path: rel, mode: (await lstat(path)).mode, content: await readFile(path) });
      // A FIFO or device is never read (it would block or never end); no install writes one, so it is drift.
      else entries.push({ type: 'symlink', path: rel, target: '\0special' });
    }
  };
  try {
    await walk(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return hashEntries(entries);
}
