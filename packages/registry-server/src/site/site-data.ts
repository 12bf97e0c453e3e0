/**
 * What the site's pages ask of the catalog beyond search and package reads: recent releases,
 * dependents, a scope's packages, a key's packages. Each is one SPARQL query over the same
 * catalog the API answers from, bounded by a LIMIT. Names and key ids reach a query only after
 * the one name rule (or the key id shape) accepted them. A catalog that does not hold every
 * triple (the local store) first loads what can answer (prepareListing).
 */
import type { CatalogPackage } from '@ggen/marketplace-core';
import { CATALOG_GRAPH, keyIri, packageIri, packageNameOf, V, type CatalogSource } from '@ggen/marketplace-v2';

/** `SELECT <head> WHERE { <patterns> } <tail>`, the patterns matched in the catalog's graph (where every catalog triple is). */
const selectIn = (
  catalog: CatalogSource,
  head: string,
  patterns: string,
  tail = '',
): ReturnType<CatalogSource['select']> =>
  catalog.select(`SELECT ${head} WHERE { GRAPH <${CATALOG_GRAPH}> { ${patterns} } } ${tail}`);

/** How many rows a list on a page shows at most; one more is asked to tell that there are more. */
export const LIST_LIMIT = 100;

export interface Release {
  name: string;
  version: string;
  publishedAt: string;
}

export interface BoundedList<T> {
  items: T[];
  /** More matched than the list holds. */
  more: boolean;
}

const bounded = <T>(items: T[], limit = LIST_LIMIT): BoundedList<T> => ({
  items: items.slice(0, limit),
  more: items.length > limit,
});

/** The newest releases (any version of any package), newest first, ties by name and version. */
export async function recentReleases(catalog: CatalogSource, limit: number): Promise<Release[]> {
  await catalog.prepareListing?.({ kind: 'recent', limit });
  const rows = await selectIn(
    catalog,
    '?pkg ?version ?issued',
    `?pkg <${V.hasVersion}> ?v . ?v <${V.issued}> ?issued ; <${V.versionString}> ?version .`,
    `ORDER BY DESC(?issued) ?pkg ?version LIMIT ${limit}`,
  );
  return rows.map((row) => ({
    name: packageNameOf(row.pkg ?? ''),
    version: row.version ?? '',
    publishedAt: row.issued ?? '',
  }));
}

/**
 * From the newest releases: packs that are new (the release is their first version) and packs
 * that were updated (a later version of a pack published before), newest first.
 */
export async function recentActivity(
  catalog: CatalogSource,
  limit: number,
): Promise<{ published: Release[]; updated: Release[] }> {
  const releases = await recentReleases(catalog, limit * 4);
  const packages = new Map(
    (await catalog.readPackages([...new Set(releases.map((release) => release.name))])).map((pkg) => [pkg.name, pkg]),
  );
  const published: Release[] = [];
  const updated: Release[] = [];
  const seen = new Set<string>();
  for (const release of releases) {
    if (seen.has(release.name)) continue;
    seen.add(release.name);
    const pkg = packages.get(release.name);
    if (pkg === undefined) continue;
    const first = pkg.versions.reduce<string | undefined>(
      (oldest, version) =>
        version.publishedAt !== undefined && (oldest === undefined || version.publishedAt < oldest)
          ? version.publishedAt
          : oldest,
      undefined,
    );
    (first === release.publishedAt ? published : updated).push(release);
  }
  return { published: published.slice(0, limit), updated: updated.slice(0, limit) };
}

/** Packages whose latest version depends on `name`, by name. */
export async function dependentsOf(catalog: CatalogSource, name: string): Promise<BoundedList<string>> {
  await catalog.prepareListing?.({ kind: 'dependents', name, limit: LIST_LIMIT + 1 });
  const rows = await selectIn(
    catalog,
    'DISTINCT ?pkg',
    `?d <${V.dependsOnPackage}> <${packageIri(name)}> . ?v <${V.dependsOn}> ?d . ?pkg <${V.latestVersion}> ?v .`,
    `ORDER BY ?pkg LIMIT ${LIST_LIMIT + 1}`,
  );
  return bounded(rows.map((row) => packageNameOf(row.pkg ?? '')));
}

/** The packages of a scope (`@acme`), by name. */
export async function scopePackages(catalog: CatalogSource, scope: string): Promise<BoundedList<string>> {
  const prefix = JSON.stringify(`${scope}/`);
  await catalog.prepareListing?.({ kind: 'scope', scope, limit: LIST_LIMIT + 1 });
  const rows = await selectIn(
    catalog,
    '?name',
    `?pkg <${V.name}> ?name . FILTER(STRSTARTS(?name, ${prefix}))`,
    `ORDER BY ?name LIMIT ${LIST_LIMIT + 1}`,
  );
  return bounded(rows.map((row) => row.name ?? ''));
}

export interface KeyRecord {
  /** The whole public keys the catalog records under this id (one, unless two keys share an id). */
  publicKeys: string[];
  /** Packages that name a key of this id among their owners. */
  owns: BoundedList<CatalogPackage>;
  /** Versions recorded as signed by a key of this id. */
  signed: BoundedList<{ name: string; version: string }>;
}

/** A key id as the site takes it in a URL: minisign's 16 hex digits. */
export const KEY_ID_PATTERN = /^[0-9A-F]{16}$/;

export async function keyRecord(catalog: CatalogSource, keyId: string): Promise<KeyRecord> {
  const key = `<${keyIri(keyId)}>`;
  await catalog.prepareListing?.({ kind: 'key', key: keyIri(keyId), limit: LIST_LIMIT + 1 });
  const [keys, owners, signed] = await Promise.all([
    selectIn(catalog, 'DISTINCT ?key', `${key} <${V.publicKey}> ?key .`),
    selectIn(catalog, 'DISTINCT ?pkg', `?pkg <${V.ownerKey}> ${key} .`, `ORDER BY ?pkg LIMIT ${LIST_LIMIT + 1}`),
    selectIn(
      catalog,
      '?pkg ?version',
      `?v <${V.signedBy}> ${key} ; <${V.versionString}> ?version . ?pkg <${V.hasVersion}> ?v .`,
      `ORDER BY ?pkg ?version LIMIT ${LIST_LIMIT + 1}`,
    ),
  ]);
  const owned = bounded(owners.map((row) => packageNameOf(row.pkg ?? '')));
  return {
    publicKeys: keys.map((row) => row.key ?? '').sort(),
    owns: { items: await catalog.readPackages(owned.items), more: owned.more },
    signed: bounded(signed.map((row) => ({ name: packageNameOf(row.pkg ?? ''), version: row.version ?? '' }))),
  };
}
