import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header, Pax } from 'tar';
import { fromFsError } from '../errors.js';
import { computeChecksum, computeIntegrity } from './integrity.js';

export interface PackedArchive {
  bytes: Buffer;
  files: string[];
  integrity: string;
  checksum: string;
  size: number;
}

/** Never packed: VCS data, dependencies, build output of other tools, earlier archives. */
const EXCLUDED_NAMES = new Set(['.git', '.hg', '.svn', 'node_modules', '.DS_Store']);
const EXCLUDED_SUFFIXES = ['.tgz', '.minisig'];
const BLOCK = 512;
/** A fixed mtime (the Unix epoch) is what makes archives reproducible. */
const FIXED_MTIME = new Date(0);

export async function listPackageFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (current: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (error) {
      throw fromFsError(error, 'reading', current);
    }
    for (const entry of entries) {
      if (EXCLUDED_NAMES.has(entry.name) || EXCLUDED_SUFFIXES.some((suffix) => entry.name.endsWith(suffix))) continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.push(relative(dir, path).split(sep).join('/'));
    }
  };
  await walk(dir);
  return files.sort(compareBytes);
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Packs a directory into a deterministic .tgz: entries sorted by byte order, mtime 0,
 * uid/gid 0, no user names, modes normalised to 0644 / 0755. The same tree always packs
 * to the same bytes.
 */
export async function packDirectory(dir: string): Promise<PackedArchive> {
  const files = await listPackageFiles(dir);
  const chunks: Buffer[] = [];
  for (const file of files) {
    const path = join(dir, file);
    let content: Buffer;
    let mode: number;
    try {
      [content, mode] = await Promise.all([readFile(path), stat(path).then((stats) => stats.mode)]);
    } catch (error) {
      throw fromFsError(error, 'reading', path);
    }
    const data = { path: file, mode: mode & 0o111 ? 0o755 : 0o644, uid: 0, gid: 0, size: content.length, mtime: FIXED_MTIME, type: 'File' as const, uname: '', gname: '' };
    const header = new Header(data);
    const block = Buffer.alloc(BLOCK);
    if (header.encode(block, 0)) {
      const pax = new Pax({ path: file, mtime: FIXED_MTIME }).encode();
      chunks.push(pax);
    }
    chunks.push(block, content, Buffer.alloc((BLOCK - (content.length % BLOCK)) % BLOCK));
  }
  chunks.push(Buffer.alloc(BLOCK * 2));
  const bytes = gzipSync(Buffer.concat(chunks), { level: 9 });
  return { bytes, files, integrity: computeIntegrity(bytes), checksum: computeChecksum(bytes), size: bytes.length };
}
