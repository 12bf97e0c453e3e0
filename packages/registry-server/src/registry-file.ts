import { closeSync, constants, fstatSync, openSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';

/**
 * A file of the registry directory, opened: only a regular file that really lies inside `dir`
 * (no `..`, no link leading out, no FIFO or device), checked on the descriptor that is read.
 * Undefined when there is no such file. The caller closes the descriptor.
 */
export function openRegistryFile(dir: string, path: string): number | undefined {
  if (path.split('/').some((segment) => segment === '..' || segment === '.' || segment === '')) return undefined;
  let real: string;
  try {
    real = realpathSync(join(dir, ...path.split('/')));
  } catch {
    return undefined;
  }
  // A link that leads out of the registry is not the registry's file.
  if (!real.startsWith(`${dir}${sep}`)) return undefined;
  const fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    return undefined;
  }
  return fd;
}
