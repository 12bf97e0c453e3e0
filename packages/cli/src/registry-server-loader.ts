import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type RegistryServerModule = typeof import('@ggen/registry-server');

/**
 * The registry server, for `registry serve` and `registry token` only: a build carries it as a
 * bundle of its own beside the program (registry-server.cjs), so that no other command loads
 * Fastify; run from the workspace's sources, it is the package itself.
 */
export async function loadRegistryServer(): Promise<RegistryServerModule> {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'registry-server.cjs'), join(here, 'parallel', 'registry-server.cjs')])
    if (existsSync(candidate)) return createRequire(import.meta.url)(candidate) as RegistryServerModule;
  return import('@ggen/registry-server');
}
