import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import semverGt from 'semver/functions/gt.js';
import semverPrerelease from 'semver/functions/prerelease.js';
import semverRcompare from 'semver/functions/rcompare.js';
import {
  fetchResource,
  fromFsError,
  isHttpLocation,
  MarketplaceError,
  registryWriter,
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
  /** Told as the work goes: each package converted (its archives copied), then the catalog written. */
  onProgress?: (event: { stage: 'packages'; done: number; total: number } | { stage: 'catalog' }) => void;
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
  const writer = registryWriter(options.to, 'migrate into', { creates: true });
  const to = resolve(writer.dir);
  const v1 = new V1Registry({ ...options, location: options.from });
  const index = await v1.loadIndex();
  const problems = index.problems.map(describeProblem);
  try {
    await mkdir(to, { recursive: true });
  } catch (error) {
    throw fromFsError(error, 'creating', to);
  }
  // The registry's publish lock, as publish and keys take it: nothing published meanwhile is lost.
  return writer.locked(async () => {
    const sameDirectory = !isHttpLocation(options.from) && resolve(options.from) === to;
    let archivesCopied = 0;
    const usable: CatalogPackage[] = [];
    let done = 0;
    for (const pkg of index.packages) {
      done += 1;
      options.onProgress?.({ stage: 'packages', done, total: index.packages.length });
      const versions = [];
      for (const version of pkg.versions) {
        const label = `${pkg.name}@${version.version}`;
        const archive = version.archive;
        if (archive === undefined || sameDirectory || isHttpLocation(archive) || archive.startsWith('file:')) {
          versions.push(version);
          continue;
        }
        // Confined to --to: an archive path that climbs out or is absolute is a hostile entry.
        const target = resolve(to, archive);
        if (isAbsolute(archive) || (target !== to && !target.startsWith(`${to}${sep}`))) {
          problems.push(`${label} left out: its archive path ${archive} leaves the registry`);
          continue;
        }
        if (version.integrity === undefined && version.checksum === undefined) {
          problems.push(`${label} left out: the index records no integrity or checksum to check its archive against`);
          continue;
        }
        if (!existsSync(target)) {
          try {
            const bytes = await fetchResource(resolveLocation(options.from, archive), options, 'archive');
            verifyIntegrity(
              bytes,
              {
                ...(version.integrity === undefined ? {} : { integrity: version.integrity }),
                ...(version.checksum === undefined ? {} : { checksum: version.checksum }),
              },
              label,
            );
            await writeFileAtomic(target, bytes);
            archivesCopied += 1;
          } catch (error) {
            if (!(error instanceof MarketplaceError)) throw error;
            problems.push(`archive of ${label} not copied: ${error.message}`);
          }
        }
        versions.push(version);
      }
      if (versions.length > 0) usable.push({ ...pkg, versions });
    }
    options.onProgress?.({ stage: 'catalog' });
    const existing = await readV2CatalogFile(to);
    const migrated = new Map<string, CatalogPackage>(existing.map((pkg) => [pkg.name, pkg]));
    for (const pkg of usable) {
      const current = migrated.get(pkg.name);
      migrated.set(pkg.name, current === undefined ? pkg : mergeVersions(current, pkg, problems));
    }
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
  });
}

/**
 * A package both registries hold keeps everything v2 knows (its signed versions, owners,
 * metadata) and gains the versions only v1 has. A published version is immutable: the same
 * version with other content in v1 is listed as a problem and v2's stays.
 */
function mergeVersions(current: CatalogPackage, incoming: CatalogPackage, problems: string[]): CatalogPackage {
  const versions = [...current.versions];
  for (const version of incoming.versions) {
    const existing = current.versions.find((entry) => entry.version === version.version);
    if (existing === undefined) versions.push(version);
    else if (
      version.integrity !== undefined &&
      existing.integrity !== undefined &&
      version.integrity !== existing.integrity
    ) {
      problems.push(
        `${current.name}@${version.version} differs between the registries; the v2 version is kept (a published version never changes)`,
      );
    }
  }
  versions.sort((a, b) => semverRcompare(a.version, b.version));
  const latest =
    versions.find((entry) => semverPrerelease(entry.version) === null)?.version ??
    versions[0]?.version ??
    current.latest;
  return { ...current, versions, latest: semverGt(latest, current.latest) ? latest : current.latest };
}
