import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import ignore from 'ignore';
import { fromFsError, MarketplaceError } from '../errors.js';
import { DEFAULT_ARCHIVE_LIMITS } from './extract-archive.js';
import { computeChecksum, computeIntegrity } from './integrity.js';

export interface PackedArchive {
  bytes: Buffer;
  files: string[];
  /** Left out as secrets. */
  secrets: string[];
  integrity: string;
  checksum: string;
  size: number;
  /** The files' total size once installed. */
  unpackedSize: number;
  /** The README's first lines (at most 12 lines, 1,000 characters), for info. */
  readme?: string;
}

const README_NAMES = new Set(['readme.md', 'readme', 'readme.markdown', 'readme.txt']);

/** Never packed: VCS data, dependencies, build output of other tools, earlier archives. */
const EXCLUDED_NAMES = new Set(['.git', '.hg', '.svn', 'node_modules', '.DS_Store']);
const EXCLUDED_SUFFIXES = ['.tgz', '.minisig'];
/** Never packed, whatever `files:` or an ignore file says: secrets (env files, keys, certificates, credentials). */
const SECRET =
  /^(\.env(\..*)?|.*\.(pem|key|p12|pfx|keystore|jks|ppk|kdbx)(\.(bak|old|orig|backup|save|swp|tmp|\d+)|~)?|id_(rsa|dsa|ecdsa|ed25519)(\.pub)?(\.(bak|old))?|\.npmrc|\.netrc|\.pypirc|\.dockercfg|\.git-credentials|\.htpasswd|secring\.gpg|credentials(\.json)?)$/i;
/** Packed whenever they exist, as npm does: the manifest, the README and the license. */
const ALWAYS = /^(gpack\.ya?ml|package\.toml|readme(\..*)?|licen[cs]e(\..*)?|copying(\..*)?)$/i;
const BLOCK = 512;
/** A fixed mtime (the Unix epoch) is what makes archives reproducible. */
const FIXED_MTIME = new Date(0);

export interface PackageFileSelection {
  /** The manifest's `files:` (and `templates:`): when given, only these (gitignore-style patterns) are packed. */
  include?: readonly string[];
}

export interface PackageFiles {
  files: string[];
  /** Files left out because they look like secrets, to be shown before publishing. */
  secrets: string[];
}

/**
 * What a publish packs: the manifest's `files:` when it has them (plus the manifest, README and
 * license), minus what `.gitignore` and `.ggenignore` at the pack's root exclude, and never
 * anything that looks like a secret (.env*, keys, certificates).
 */
export async function listPackageFiles(dir: string, selection: PackageFileSelection = {}): Promise<PackageFiles> {
  const ignored = ignore();
  for (const name of ['.gitignore', '.ggenignore']) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    if (text !== undefined) ignored.add(text);
  }
  const included =
    selection.include === undefined || selection.include.length === 0
      ? undefined
      : ignore().add([...selection.include]);
  const files: string[] = [];
  const secrets: string[] = [];
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
      const rel = relative(dir, path).split(sep).join('/');
      if (entry.isDirectory()) {
        if (!ignored.ignores(`${rel}/`)) await walk(path);
      } else if (entry.isFile()) {
        if (SECRET.test(entry.name)) secrets.push(rel);
        else if (current === dir && ALWAYS.test(entry.name)) files.push(rel);
        else if (!ignored.ignores(rel) && (included === undefined || included.ignores(rel))) files.push(rel);
      }
    }
  };
  await walk(dir);
  return { files: files.sort(compareBytes), secrets: secrets.sort(compareBytes) };
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Packs a directory into a deterministic .tgz: entries sorted by byte order, mtime 0,
 * uid/gid 0, no user names, modes normalised to 0644 / 0755. The same tree always packs
 * to the same bytes.
 */
export async function packDirectory(dir: string, selection: PackageFileSelection = {}): Promise<PackedArchive> {
  const { files, secrets } = await listPackageFiles(dir, selection);
  // What no install would take is refused here, before it is published: the same limits.
  const limits = DEFAULT_ARCHIVE_LIMITS;
  if (files.length > limits.maxEntries)
    throw unpublishable(dir, `${files.length} files; an install takes at most ${limits.maxEntries}`);
  let declared = 0;
  for (const file of files) declared += (await stat(join(dir, file)).catch(() => ({ size: 0 }))).size;
  if (declared > limits.maxUncompressedBytes)
    throw unpublishable(dir, `${declared} bytes of files; an install unpacks at most ${limits.maxUncompressedBytes}`);
  // tar's header and pax writers load for the commands that pack, not for every command (nor the rest of tar).
  const [{ Header }, { Pax }] = await Promise.all([import('tar/header'), import('tar/pax')]);
  const chunks: Buffer[] = [];
  let unpackedSize = 0;
  let readme: string | undefined;
  for (const file of files) {
    const path = join(dir, file);
    let content: Buffer;
    let mode: number;
    try {
      [content, mode] = await Promise.all([readFile(path), stat(path).then((stats) => stats.mode)]);
    } catch (error) {
      throw fromFsError(error, 'reading', path);
    }
    unpackedSize += content.length;
    if (readme === undefined && README_NAMES.has(file.toLowerCase()))
      readme = content.toString('utf8').split('\n').slice(0, 12).join('\n').slice(0, 1000).trimEnd();
    const data = {
      path: file,
      mode: mode & 0o111 ? 0o755 : 0o644,
      uid: 0,
      gid: 0,
      size: content.length,
      mtime: FIXED_MTIME,
      type: 'File' as const,
      uname: '',
      gname: '',
    };
    const header = new Header(data);
    const block = Buffer.alloc(BLOCK);
    if (header.encode(block, 0)) {
      const pax = new Pax({ path: file, mtime: FIXED_MTIME }).encode();
      chunks.push(pax);
    }
    chunks.push(block, content, Buffer.alloc((BLOCK - (content.length % BLOCK)) % BLOCK));
  }
  chunks.push(Buffer.alloc(BLOCK * 2));
  const bytes = process.getBuiltinModule('node:zlib').gzipSync(Buffer.concat(chunks), { level: 9 });
  if (bytes.length > limits.maxCompressedBytes)
    throw unpublishable(dir, `a ${bytes.length}-byte archive; an install fetches at most ${limits.maxCompressedBytes}`);
  return {
    bytes,
    files,
    secrets,
    integrity: computeIntegrity(bytes),
    checksum: computeChecksum(bytes),
    size: bytes.length,
    unpackedSize,
    ...(readme === undefined ? {} : { readme }),
  };
}

function unpublishable(dir: string, what: string): MarketplaceError {
  return new MarketplaceError('GGEN_E_ARCHIVE_TOO_LARGE', `${dir} would pack into ${what}; no one could install it`, {
    hint: 'Leave build output and large assets out (files: in gpack.yaml, or a .ggenignore), then publish again.',
    details: { dir },
  });
}
