import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built-in sample registry ships beside the CLI package (packages/cli/sample-registry),
 * found from this module whether it runs from source or from a bundle in dist/<features>/.
 */
export function sampleRegistryPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth += 1) {
    const candidate = join(dir, 'sample-registry');
    if (existsSync(join(candidate, 'index.json'))) return candidate;
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'sample-registry');
}
