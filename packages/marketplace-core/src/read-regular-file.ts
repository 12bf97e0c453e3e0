import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { MarketplaceError } from './errors.js';

/**
 * Reads a file that came from outside (a registry file, a lockfile, a project config, a lock):
 * a regular file only, decided before a byte is read. It is opened without blocking, so a FIFO
 * planted where a file should be answers at once instead of waiting for a writer forever, and
 * a device (`/dev/zero`, `/dev/random`) is refused instead of read until memory runs out. Past
 * `limit` bytes the file is refused too. Errors from the file system are thrown as they are,
 * for the caller to word.
 */
export function readRegularFileSync(path: string, limit = Number.MAX_SAFE_INTEGER): Buffer {
  const { fd, bytes } = openRegularFileSync(path, { limit });
  closeSync(fd);
  return bytes;
}

export interface RegularFileOptions {
  limit?: number;
  /** A symbolic link at `path` is refused, not followed (a file ggen writes in place). */
  noFollow?: boolean;
  /** Opened for reading and writing, and made when missing (a file appended to in place). */
  writable?: boolean;
}

/**
 * readRegularFileSync's checks, for a caller that keeps the file open (to write it in place):
 * the descriptor, which the caller closes, and the bytes read from it.
 */
export function openRegularFileSync(path: string, options: RegularFileOptions = {}): { fd: number; bytes: Buffer } {
  const flags =
    (options.writable === true ? constants.O_RDWR | constants.O_CREAT : constants.O_RDONLY) |
    (options.noFollow === true ? constants.O_NOFOLLOW : 0) |
    constants.O_NONBLOCK;
  let fd: number;
  try {
    fd = openSync(path, flags, 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP' && options.noFollow === true)
      throw refused(path, 'a symbolic link');
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw refused(path, specialKind(stat));
    const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
    if (stat.size > limit) {
      throw new MarketplaceError(
        'GGEN_E_RESPONSE_TOO_LARGE',
        `${path} is larger than ${limit} bytes, the limit for this kind of file`,
        {
          hint: 'Nothing was used. The file is far larger than it should be; check where it came from.',
          details: { location: path, limit },
        },
      );
    }
    return { fd, bytes: readFileSync(fd) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

function refused(path: string, kind: string): MarketplaceError {
  return new MarketplaceError(
    'GGEN_E_UNSAFE_PERMISSIONS',
    `${path} is not a regular file (${kind}); refusing to read it`,
    {
      hint: 'Something put a special file where ggen expects a plain file; remove it, or point ggen at the real file.',
      details: { path },
    },
  );
}

function specialKind(stat: {
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
  isDirectory(): boolean;
}): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  if (stat.isDirectory()) return 'a directory';
  return 'a special file';
}

/** The path with its links resolved, or the path as it is when it cannot be (it does not exist yet). */
export function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
