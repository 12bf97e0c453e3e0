import type { PreparedPublish } from '../manifest/prepare-publish.js';
import type {
  BackendType,
  CatalogPackage,
  PackageDetails,
  PackageSummary,
  PublishRequest,
  PublishResult,
} from '../models.js';
import type { VersionCandidate } from '../install/package-source.js';
import { resolveArchiveLocation } from './fetch-resource.js';

/** What search shows of a registry package. */
export function catalogPackageSummary(pkg: CatalogPackage, score?: number): PackageSummary {
  return {
    name: pkg.name,
    version: pkg.latest,
    description: pkg.description,
    ...(pkg.category === undefined ? {} : { category: pkg.category }),
    ...(pkg.author === undefined ? {} : { author: pkg.author }),
    ...(pkg.license === undefined ? {} : { license: pkg.license }),
    tags: pkg.tags,
    keywords: pkg.keywords,
    downloads: pkg.downloads,
    stars: pkg.stars,
    ...(score === undefined ? {} : { score: Math.round(score * 100) / 100 }),
    ...(pkg.versions.find((entry) => entry.version === pkg.latest)?.yanked === true ? { yanked: true } : {}),
  };
}

/** What info shows of one version (the latest by default); null when there is no such version. */
export function catalogPackageDetails(pkg: CatalogPackage, version?: string): PackageDetails | null {
  const selected = pkg.versions.find((entry) => entry.version === (version ?? pkg.latest));
  if (selected === undefined) return null;
  return {
    ...catalogPackageSummary(pkg),
    version: selected.version,
    versions: pkg.versions.map((entry) => ({
      version: entry.version,
      dependencies: entry.dependencies,
      yanked: entry.yanked,
      ...(entry.deprecated === undefined ? {} : { deprecated: entry.deprecated }),
      ...(entry.integrity === undefined ? {} : { integrity: entry.integrity }),
      ...(entry.checksum === undefined ? {} : { checksum: entry.checksum }),
      ...(entry.archive === undefined ? {} : { archive: entry.archive }),
      ...(entry.publishedAt === undefined ? {} : { publishedAt: entry.publishedAt }),
      ...(entry.signedBy === undefined ? {} : { signature: { keyId: entry.signedBy } }),
    })),
    dependencies: selected.dependencies,
    ...(pkg.repository === undefined ? {} : { repository: pkg.repository }),
    ...(pkg.homepage === undefined ? {} : { homepage: pkg.homepage }),
    ...(selected.publishedAt === undefined ? {} : { publishedAt: selected.publishedAt }),
    ...(selected.integrity === undefined ? {} : { integrity: selected.integrity }),
    ...(selected.checksum === undefined ? {} : { checksum: selected.checksum }),
    ...(selected.signedBy === undefined ? {} : { signature: { keyId: selected.signedBy } }),
    distTags: distTagsOf(pkg),
    ...(selected.deprecated === undefined ? {} : { deprecated: selected.deprecated }),
    ...(selected.variables === undefined ? {} : { variables: selected.variables }),
    ...(selected.templates === undefined ? {} : { templates: selected.templates }),
    ...(selected.files === undefined ? {} : { files: selected.files }),
    ...(selected.size === undefined ? {} : { size: selected.size }),
    ...(selected.unpackedSize === undefined ? {} : { unpackedSize: selected.unpackedSize }),
    ...(selected.readme === undefined ? {} : { readme: selected.readme }),
  };
}

/** Every dist-tag of a package, `latest` first. */
export function distTagsOf(pkg: CatalogPackage): Record<string, string> {
  return {
    latest: pkg.latest,
    ...Object.fromEntries(Object.entries(pkg.distTags ?? {}).filter(([tag]) => tag !== 'latest')),
  };
}

/** `{ tags }` of the dist-tags pointing at `version`, or nothing when none does. */
function tagsAt(tags: readonly [string, string][], version: string): { tags?: string[] } {
  const at = tags.filter(([, tagged]) => tagged === version).map(([tag]) => tag);
  return at.length === 0 ? {} : { tags: at };
}

/** The installable versions of a registry package, archives resolved against the registry. */
export function catalogVersionCandidates(
  pkg: CatalogPackage,
  registry: string,
  backend: BackendType,
): VersionCandidate[] {
  const tags = Object.entries(distTagsOf(pkg));
  return pkg.versions.map((version) => ({
    name: pkg.name,
    version: version.version,
    dependencies: version.dependencies,
    yanked: version.yanked,
    ...(version.deprecated === undefined ? {} : { deprecated: version.deprecated }),
    ...tagsAt(tags, version.version),
    archive:
      version.archive === undefined
        ? ''
        : resolveArchiveLocation(registry, version.archive, `${pkg.name}@${version.version}`),
    ...(version.integrity === undefined ? {} : { integrity: version.integrity }),
    ...(version.checksum === undefined ? {} : { checksum: version.checksum }),
    backend,
  }));
}

export function publishResultOf(
  prepared: PreparedPublish,
  request: Pick<PublishRequest, 'dryRun' | 'registry'>,
): PublishResult {
  return {
    name: prepared.manifest.name,
    version: prepared.manifest.version,
    integrity: prepared.packed.integrity,
    checksum: prepared.packed.checksum,
    size: prepared.packed.size,
    files: prepared.packed.files,
    secretsLeftOut: prepared.packed.secrets,
    archive: prepared.archive,
    dryRun: request.dryRun ?? false,
    registry: request.registry,
  };
}
