import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  asciiLowerCase,
  fromFsError,
  MarketplaceError,
  preparePublish,
  registryWriter,
  publishWithSteps,
  publishResultOf,
  refuseConfusableName,
  versionExistsError,
  writeFileAtomic,
  registryLocation,
  type CatalogPackage,
  type PreparedPublish,
  type PublishCompanion,
  type PublishCompanionFactory,
  type PublishRequest,
  type PublishResult,
} from '@ggen/marketplace-core';
import semverGt from 'semver/functions/gt.js';
import semverValid from 'semver/functions/valid.js';
import { parseV1Index } from './v1-index.js';

type RawEntry = Record<string, unknown>;

/**
 * Publishes a package directory to a v1 file registry: validate, pack deterministically,
 * refuse an existing version, write the archive, then update index.json atomically under a
 * lock. An archive written before a crash is unreferenced and harmless.
 */
export async function publishToV1Registry(request: PublishRequest): Promise<PublishResult> {
  const registry = registryWriter(request.registry);
  if (request.signer !== undefined) {
    throw new MarketplaceError('GGEN_E_PUBLISH_UNSUPPORTED', 'v1 registries do not record signatures', {
      hint: 'Publish signed packages with --backend v2 (v1 keeps accepting unsigned publishes).',
    });
  }
  const prepared = await preparePublish(request.dir);
  const steps = v1IndexSteps(prepared, request.registry, { lookAlikes: true });
  return publishWithSteps(registry, prepared, request, publishResultOf(prepared, request), steps);
}

/**
 * The v1 part of a publish: refuse a version index.json already lists (or, unless a v2 publish
 * judged the name already, a look-alike name),
 * then add the version and write the index. A v1 publish runs it; so does a v2 publish into a
 * directory that still serves index.json (the migration's dual writes).
 */
export function v1IndexSteps(
  prepared: PreparedPublish,
  registryDir: string,
  { lookAlikes }: { lookAlikes: boolean },
): PublishCompanion {
  const { manifest, packed, archive } = prepared;
  const indexPath = join(registryDir, 'index.json');
  let root: Record<string, unknown> = {};
  return {
    file: 'index.json',
    check: async () => {
      root = await readRawIndex(indexPath);
      const entry = findEntry(root, manifest.name);
      if (entry !== undefined && entryVersions(entry).includes(manifest.version))
        throw versionExistsError(manifest.name, manifest.version, registryDir);
      if (entry === undefined && lookAlikes) refuseConfusableName(manifest.name, rawNames(root), registryDir);
    },
    update: async () => {
      const version = {
        version: manifest.version,
        checksum: packed.checksum,
        integrity: packed.integrity,
        archive,
        dependencies: manifest.dependencies,
        published_at: new Date().toISOString(),
      };
      const packages = root.packages as RawEntry[];
      let entry = findEntry(root, manifest.name);
      if (entry === undefined) {
        entry = { name: manifest.name, downloads: 0, stars: 0 };
        packages.push(entry);
      }
      const versions = Array.isArray(entry.versions) ? (entry.versions as RawEntry[]) : seedVersions(entry);
      versions.push(version);
      entry.versions = versions;
      const current = typeof entry.version === 'string' ? semverValid(entry.version) : null;
      if (current === null || semverGt(manifest.version, current)) {
        // Publishing the newest version makes it latest again, as npm publish does.
        if (typeof entry.dist_tags === 'object' && entry.dist_tags !== null)
          delete (entry.dist_tags as RawEntry).latest;
        Object.assign(entry, {
          version: manifest.version,
          description: manifest.description,
          category: manifest.category ?? entry.category ?? 'uncategorized',
          tags: manifest.tags,
          keywords: manifest.keywords,
          author: manifest.author ?? entry.author,
          license: manifest.license ?? entry.license,
          dependencies: manifest.dependencies,
          download_url: archive,
          checksum: packed.checksum,
          integrity: packed.integrity,
          ...(manifest.repository === undefined ? {} : { repository: manifest.repository }),
          ...(manifest.homepage === undefined ? {} : { homepage: manifest.homepage }),
        });
      }
      root.package_count = packages.length;
      root.categories = countCategories(packages);
      await writeRawIndex(indexPath, root);
    },
  };
}

/**
 * The v1 part of a v2 publish into `registryDir` when it also serves index.json, else undefined.
 * Look-alike names were judged by the v2 publish, which knows who owns what (an owner may name a
 * sibling as they like); index.json only refuses a version it already lists.
 */
export const v1IndexCompanion: PublishCompanionFactory = (prepared, request) =>
  registryLocation(request.registry).kind === 'directory' && existsSync(join(request.registry, 'index.json'))
    ? v1IndexSteps(prepared, request.registry, { lookAlikes: false })
    : undefined;

/** The whole index, stamped and written atomically (the caller holds the publish lock). */
async function writeRawIndex(indexPath: string, root: Record<string, unknown>): Promise<void> {
  root.updated_at = new Date().toISOString();
  try {
    await writeFileAtomic(indexPath, `${JSON.stringify(root, null, 2)}\n`);
  } catch (error) {
    throw fromFsError(error, 'writing', indexPath);
  }
}

async function readRawIndex(indexPath: string): Promise<Record<string, unknown>> {
  if (!existsSync(indexPath))
    return { version: '1.0.0', updated_at: new Date().toISOString(), package_count: 0, categories: {}, packages: [] };
  let json: unknown;
  try {
    json = JSON.parse(await readFile(indexPath, 'utf8'));
  } catch (cause) {
    throw new MarketplaceError('GGEN_E_INDEX_INVALID', `${indexPath} is not valid JSON; refusing to publish over it`, {
      hint: 'Repair or restore index.json before publishing.',
      cause,
    });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !Array.isArray((json as RawEntry).packages)) {
    throw new MarketplaceError(
      'GGEN_E_INDEX_INVALID',
      `${indexPath} has no 'packages' array; refusing to publish over it`,
      {
        hint: 'Repair or restore index.json before publishing.',
      },
    );
  }
  return json as Record<string, unknown>;
}

function findEntry(root: Record<string, unknown>, name: string): RawEntry | undefined {
  return (root.packages as unknown[]).find(
    (entry): entry is RawEntry =>
      typeof entry === 'object' && entry !== null && asciiLowerCase(String((entry as RawEntry).name)) === name,
  );
}

function entryVersions(entry: RawEntry): string[] {
  const listed = Array.isArray(entry.versions)
    ? (entry.versions as RawEntry[]).map((version) => String(version.version))
    : [];
  return typeof entry.version === 'string' ? [...listed, entry.version] : listed;
}

/** Turns an entry's single top-level version into versions[0] before adding another. */
function seedVersions(entry: RawEntry): RawEntry[] {
  if (typeof entry.version !== 'string') return [];
  return [
    Object.fromEntries(
      Object.entries({
        version: entry.version,
        checksum: entry.checksum,
        integrity: entry.integrity,
        archive: entry.download_url,
        dependencies: entry.dependencies,
      }).filter(([, value]) => value !== undefined),
    ),
  ];
}

function countCategories(packages: RawEntry[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of packages) {
    const category = typeof entry.category === 'string' ? entry.category : 'uncategorized';
    counts[category] = (counts[category] ?? 0) + 1;
  }
  return counts;
}

/**
 * Rewrites one package's lifecycle fields in a v1 index (the caller holds the publish lock):
 * `change` is applied to the package as the model reads it, and its yanked and deprecated
 * versions and dist-tags are written back into the raw entry, every other field kept as is.
 * Undefined when the index does not have the package. `dryRun` applies the change to the model
 * only (it throws as the real change would) and writes nothing.
 */
export async function changeV1Package(
  registry: string,
  name: string,
  change: (pkg: CatalogPackage) => string[],
  options: { dryRun?: boolean } = {},
): Promise<string[] | undefined> {
  const indexPath = join(registry, 'index.json');
  if (!existsSync(indexPath)) return undefined;
  const root = await readRawIndex(indexPath);
  const entry = findEntry(root, name);
  const pkg = parseV1Index(JSON.stringify({ packages: entry === undefined ? [] : [entry] }), indexPath).packages[0];
  if (entry === undefined || pkg === undefined) return undefined;
  const changed = change(pkg);
  if (options.dryRun === true) return changed;
  const versions = Array.isArray(entry.versions) ? [...(entry.versions as RawEntry[])] : [];
  if (!versions.some((raw) => raw.version === entry.version)) versions.push(...seedVersions(entry));
  for (const raw of versions) {
    const model = pkg.versions.find((version) => version.version === semverValid(String(raw.version)));
    if (model === undefined) continue;
    if (model.yanked) raw.yanked = true;
    else delete raw.yanked;
    if (model.deprecated === undefined) delete raw.deprecated;
    else raw.deprecated = model.deprecated;
  }
  entry.versions = versions;
  const newest = typeof entry.version === 'string' ? semverValid(entry.version) : null;
  const tags = { ...(pkg.latest === newest ? {} : { latest: pkg.latest }), ...(pkg.distTags ?? {}) };
  if (Object.keys(tags).length > 0) entry.dist_tags = tags;
  else delete entry.dist_tags;
  await writeRawIndex(indexPath, root);
  return changed;
}

/** The names an index holds, as the v1 reader folds them. */
function rawNames(root: Record<string, unknown>): string[] {
  const packages = Array.isArray(root.packages) ? (root.packages as unknown[]) : [];
  return packages.flatMap((entry) =>
    typeof entry === 'object' && entry !== null && typeof (entry as RawEntry).name === 'string'
      ? [asciiLowerCase((entry as RawEntry).name as string)]
      : [],
  );
}
