import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  fetchResource,
  fromFsError,
  isHttpLocation,
  MarketplaceError,
  resolveLocation,
  verifyIntegrity,
  writeFileAtomic,
  type CatalogPackage,
  type FetchOptions,
} from '@ggen/marketplace-core';
import { describeProblem, V1Registry } from '@ggen/marketplace-v1';
import { readV2CatalogFile, writeV2Catalog } from '@ggen/marketplace-v2';

export interface MigrateOptions extends FetchOptions {
  from: string;
  to: string;
}

export interface MigrationReport {
  from: string;
  to: string;
  catalog: string;
  packages: number;
  versions: number;
  archivesCopied: number;
  /** Index entries that could not be used, and archives that could not be copied. */
  problems: string[];
}

/**
 * Converts a v1 registry into a v2 one: every usable index entry becomes catalog triples and
 * its archives are copied beside the catalog (nothing to copy when `to` is the same
 * directory). Packages already in the v2 catalog and absent from v1 are kept.
 */
export async function migrateV1RegistryToV2(options: MigrateOptions): Promise<MigrationReport> {
  if (isHttpLocation(options.to)) {
    throw new MarketplaceError('GGEN_E_PUBLISH_UNSUPPORTED', `Cannot migrate into ${options.to}: write the v2 registry to a directory`, {
      hint: 'Migrate into a directory and serve it over HTTP.',
    });
  }
  const to = resolve(options.to);
  const v1 = new V1Registry({ ...options, location: options.from });
  const index = await v1.loadIndex();
  const problems = index.problems.map(describeProblem);
  try {
    await mkdir(to, { recursive: true });
  } catch (error) {
    throw fromFsError(error, 'creating', to);
  }
  const sameDirectory = !isHttpLocation(options.from) && resolve(options.from) === to;
  let archivesCopied = 0;
  for (const pkg of index.packages) {
    for (const version of pkg.versions) {
      const archive = version.archive;
      if (archive === undefined || sameDirectory || isHttpLocation(archive) || archive.startsWith('/') || archive.startsWith('file:')) continue;
      const target = join(to, archive);
      if (existsSync(target)) continue;
      try {
        const bytes = await fetchResource(resolveLocation(options.from, archive), options, 'archive');
        if (version.integrity !== undefined || version.checksum !== undefined) {
          verifyIntegrity(bytes, { ...(version.integrity === undefined ? {} : { integrity: version.integrity }), ...(version.checksum === undefined ? {} : { checksum: version.checksum }) }, `${pkg.name}@${version.version}`);
        }
        await writeFileAtomic(target, bytes);
        archivesCopied += 1;
      } catch (error) {
        if (!(error instanceof MarketplaceError)) throw error;
        problems.push(`archive of ${pkg.name}@${version.version} not copied: ${error.message}`);
      }
    }
  }
  const existing = await readV2CatalogFile(to);
  const migrated = new Map<string, CatalogPackage>(existing.map((pkg) => [pkg.name, pkg]));
  for (const pkg of index.packages) migrated.set(pkg.name, pkg);
  const packages = [...migrated.values()];
  const catalog = await writeV2Catalog(to, packages);
  return {
    from: options.from,
    to,
    catalog,
    packages: packages.length,
    versions: packages.reduce((sum, pkg) => sum + pkg.versions.length, 0),
    archivesCopied,
    problems,
  };
}
