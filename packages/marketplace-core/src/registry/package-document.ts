import * as z from 'zod';
import { MarketplaceError } from '../errors.js';
import type { CatalogPackage } from '../models.js';
import { safeText } from '../names.js';

const text = z.string().max(64 * 1024);

const VERSION = z.object({
  version: z.string().min(1).max(256),
  checksum: z.string().max(256).optional(),
  integrity: z.string().max(256).optional(),
  archive: z.string().max(2048).optional(),
  /** The archive's absolute URL at the server's public address, for clients other than ggen's. */
  tarball: z.string().max(4096).optional(),
  dependencies: z.record(z.string().max(256), z.string().max(256)),
  publishedAt: z.string().max(64).optional(),
  yanked: z.boolean(),
  deprecated: text.optional(),
  signedBy: z.string().max(64).optional(),
  files: z.array(z.string().max(4096)).max(20_000).optional(),
  templates: z.array(z.string().max(4096)).max(20_000).optional(),
  variables: z.record(z.string(), z.unknown()).optional(),
  size: z.number().nonnegative().optional(),
  unpackedSize: z.number().nonnegative().optional(),
  readme: text.optional(),
});

/**
 * The per-package document a registry server answers (`GET /-/v1/packages/<name>`): the catalog's
 * record of one package, the one format for it (docs/registry-server.md). The server writes it
 * from its catalog; a client reads it through this schema and nothing else, as it reads anything
 * from outside.
 */
export const PACKAGE_DOCUMENT = z.object({
  name: z.string().min(1).max(256),
  description: text,
  category: z.string().max(256).optional(),
  author: z.string().max(1024).optional(),
  license: z.string().max(256).optional(),
  tags: z.array(z.string().max(256)).max(1000),
  keywords: z.array(z.string().max(256)).max(1000),
  downloads: z.number().nonnegative(),
  stars: z.number().nonnegative(),
  repository: z.string().max(4096).optional(),
  homepage: z.string().max(4096).optional(),
  latest: z.string().min(1).max(256),
  distTags: z.record(z.string().max(64), z.string().max(256)).optional(),
  versions: z.array(VERSION).max(100_000),
  ownerKeys: z.array(z.string().max(256)).max(1000).optional(),
  revokedKeys: z.array(z.string().max(256)).max(1000).optional(),
  extra: z.record(z.string(), z.unknown()),
});

/** The document of `pkg`, each version with its archive's absolute URL under `base`. */
export function packageDocument(pkg: CatalogPackage, base: string): z.infer<typeof PACKAGE_DOCUMENT> {
  return {
    ...pkg,
    versions: pkg.versions.map((version) => ({
      ...version,
      ...(version.archive === undefined ? {} : { tarball: `${base.replace(/\/+$/, '')}/${version.archive}` }),
    })),
  };
}

/** A document a server sent for `name`, checked: a malformed one, or one for another package, is refused. */
export function parsePackageDocument(value: unknown, name: string, location: string): CatalogPackage {
  const result = PACKAGE_DOCUMENT.safeParse(value);
  const problem = !result.success
    ? `${result.error.issues[0]?.path.join('.') ?? ''}: ${result.error.issues[0]?.message ?? ''}`
    : result.data.name !== name
      ? `it is the document of ${safeText(result.data.name)}`
      : undefined;
  if (problem !== undefined || !result.success)
    throw new MarketplaceError(
      'GGEN_E_BACKEND_MALFORMED',
      `${location} is not a valid package document for ${name} (${safeText(problem ?? '')})`,
      {
        hint: 'Nothing was used. The registry server answered something else than a package document; report it to its operator.',
        details: { location, package: name },
      },
    );
  const { versions, ...rest } = result.data;
  return {
    ...rest,
    versions: versions.map((version) => {
      const copy = { ...version };
      delete copy.tarball;
      return copy;
    }),
  };
}
