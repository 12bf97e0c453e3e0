import {
  asciiLowerCase,
  MarketplaceError,
  PACKAGE_NAME_PATTERN,
  type CatalogPackage,
  type CatalogVersion,
} from '@ggen/marketplace-core';
import semverRcompare from 'semver/functions/rcompare.js';
import semverValid from 'semver/functions/valid.js';
import semverValidRange from 'semver/ranges/valid.js';

/** One version of a v1 package; entries without `versions[]` have exactly one. */
export type V1Version = CatalogVersion;

/** A usable entry of ggen's registry/index.json, normalised. */
export type V1Package = CatalogPackage;

export interface IndexProblem {
  entry: number;
  name?: string;
  field?: string;
  message: string;
}

export interface V1Index {
  root: Record<string, unknown>;
  packages: V1Package[];
  /** Entries that could not be used, and why; the rest stay searchable. */
  problems: IndexProblem[];
}

const KNOWN_FIELDS = new Set([
  'name',
  'version',
  'description',
  'category',
  'author',
  'license',
  'tags',
  'keywords',
  'downloads',
  'stars',
  'dependencies',
  'download_url',
  'checksum',
  'integrity',
  'versions',
  'repository',
  'homepage',
  'published_at',
  'dist_tags',
]);

/** Parses index.json text; a broken file is an error, a broken entry is a problem. */
export function parseV1Index(text: string, location: string): V1Index {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new MarketplaceError('GGEN_E_INDEX_INVALID', `${location} is not valid JSON: ${(cause as Error).message}`, {
      hint: 'The registry index is damaged; ask the registry owner to regenerate it.',
      cause,
      details: { location },
    });
  }
  // ggen also wrote a flat array of entries; accept both shapes.
  const root: Record<string, unknown> = Array.isArray(json) ? { packages: json } : isObject(json) ? json : {};
  const entries = root.packages;
  if (!Array.isArray(entries)) {
    throw new MarketplaceError('GGEN_E_INDEX_INVALID', `${location} has no 'packages' array`, {
      hint: 'A v1 registry index is an object with packages: [ ... ] (see ggen registry/index.json).',
      details: { location },
    });
  }
  const packages: V1Package[] = [];
  const problems: IndexProblem[] = [];
  const seen = new Set<string>();
  entries.forEach((entry: unknown, index) => {
    const result = normalizeEntry(entry);
    if ('problem' in result) {
      problems.push({ entry: index, ...result.problem });
    } else if (seen.has(result.pkg.name)) {
      problems.push({
        entry: index,
        name: result.pkg.name,
        field: 'name',
        message: `duplicate entry for '${result.pkg.name}'; the first one is used`,
      });
    } else {
      seen.add(result.pkg.name);
      packages.push(result.pkg);
    }
  });
  return { root, packages, problems };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value)
    ? [
        ...new Set(
          value
            .filter((item): item is string => typeof item === 'string' && item.trim() !== '')
            .map((item) => item.trim()),
        ),
      ]
    : [];
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;
}

type Normalized = { pkg: V1Package } | { problem: Omit<IndexProblem, 'entry'> };

function normalizeEntry(entry: unknown): Normalized {
  if (!isObject(entry)) return { problem: { message: 'entry is not an object' } };
  const rawName = text(entry.name);
  if (rawName === undefined) return { problem: { field: 'name', message: 'entry has no name' } };
  const name = asciiLowerCase(rawName);
  if (!PACKAGE_NAME_PATTERN.test(name))
    return { problem: { name: rawName, field: 'name', message: `'${rawName}' is not a valid package name` } };
  const latest = semverValid(text(entry.version) ?? '');
  if (latest === null)
    return {
      problem: {
        name,
        field: 'version',
        message: `version ${JSON.stringify(entry.version)} is not a semantic version`,
      },
    };

  const topDependencies = normalizeDependencies(entry.dependencies);
  if (typeof topDependencies === 'string')
    return { problem: { name, field: 'dependencies', message: topDependencies } };

  const versions: V1Version[] = [];
  if (entry.versions !== undefined) {
    if (!Array.isArray(entry.versions))
      return { problem: { name, field: 'versions', message: 'versions must be an array' } };
    for (const [position, raw] of entry.versions.entries()) {
      if (!isObject(raw)) return { problem: { name, field: `versions[${position}]`, message: 'not an object' } };
      const version = semverValid(text(raw.version) ?? '');
      if (version === null)
        return {
          problem: {
            name,
            field: `versions[${position}].version`,
            message: `${JSON.stringify(raw.version)} is not a semantic version`,
          },
        };
      const dependencies = normalizeDependencies(raw.dependencies);
      if (typeof dependencies === 'string')
        return { problem: { name, field: `versions[${position}].dependencies`, message: dependencies } };
      versions.push(
        versionOf(version, dependencies, raw.yanked === true, {
          checksum: text(raw.checksum),
          integrity: text(raw.integrity),
          archive: text(raw.archive) ?? text(raw.download_url),
          publishedAt: text(raw.published_at),
          deprecated: text(raw.deprecated),
        }),
      );
    }
  }
  if (!versions.some((candidate) => candidate.version === latest)) {
    versions.push(
      versionOf(latest, topDependencies, false, {
        checksum: text(entry.checksum),
        integrity: text(entry.integrity),
        archive: text(entry.download_url),
        publishedAt: text(entry.published_at),
        deprecated: undefined,
      }),
    );
  }
  versions.sort((a, b) => semverRcompare(a.version, b.version));
  const extra = Object.fromEntries(Object.entries(entry).filter(([key]) => !KNOWN_FIELDS.has(key)));
  const pkg: V1Package = {
    name,
    description: text(entry.description) ?? '',
    tags: strings(entry.tags),
    keywords: strings(entry.keywords),
    downloads: count(entry.downloads),
    stars: count(entry.stars),
    latest,
    versions,
    extra,
  };
  // dist_tags: tag -> version, `latest` included when it was moved off the newest version.
  if (isObject(entry.dist_tags)) {
    const tags = Object.entries(entry.dist_tags).filter(
      (tag): tag is [string, string] =>
        typeof tag[1] === 'string' && versions.some((version) => version.version === tag[1]),
    );
    const { latest: taggedLatest, ...others } = Object.fromEntries(tags);
    if (taggedLatest !== undefined) pkg.latest = taggedLatest;
    if (Object.keys(others).length > 0) pkg.distTags = others;
  }
  const optional = {
    category: text(entry.category),
    author: text(entry.author),
    license: text(entry.license),
    repository: text(entry.repository),
    homepage: text(entry.homepage),
  };
  for (const [key, value] of Object.entries(optional))
    if (value !== undefined) pkg[key as keyof typeof optional] = value;
  return { pkg };
}

function versionOf(
  version: string,
  dependencies: Record<string, string>,
  yanked: boolean,
  optional: {
    checksum: string | undefined;
    integrity: string | undefined;
    archive: string | undefined;
    publishedAt: string | undefined;
    deprecated: string | undefined;
  },
): V1Version {
  const result: V1Version = { version, dependencies, yanked };
  if (optional.checksum !== undefined) result.checksum = optional.checksum;
  if (optional.integrity !== undefined) result.integrity = optional.integrity;
  if (optional.archive !== undefined) result.archive = optional.archive;
  if (optional.publishedAt !== undefined) result.publishedAt = optional.publishedAt;
  if (optional.deprecated !== undefined) result.deprecated = optional.deprecated;
  return result;
}

/** A list of names (any version) or a map name -> range; a string result is the problem. */
function normalizeDependencies(value: unknown): Record<string, string> | string {
  if (value === undefined || value === null) return {};
  const result: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item !== 'string' || !PACKAGE_NAME_PATTERN.test(asciiLowerCase(item)))
        return `dependency ${JSON.stringify(item)} is not a package name`;
      result[asciiLowerCase(item)] = '*';
    }
    return result;
  }
  if (isObject(value)) {
    for (const [name, range] of Object.entries(value)) {
      if (!PACKAGE_NAME_PATTERN.test(asciiLowerCase(name))) return `dependency '${name}' is not a package name`;
      if (typeof range !== 'string' || semverValidRange(range) === null)
        return `dependency '${name}' has ${JSON.stringify(range)}, not a semver range`;
      result[asciiLowerCase(name)] = range;
    }
    return result;
  }
  return 'dependencies must be a list of names or a map of name to range';
}

/** One skipped index entry, said for people. */
export function describeProblem(problem: IndexProblem): string {
  return `index entry #${problem.entry}${problem.name === undefined ? '' : ` (${problem.name})`} skipped: ${problem.field === undefined ? '' : `${problem.field}: `}${problem.message}`;
}
