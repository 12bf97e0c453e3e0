import { parse as parseYaml } from 'yaml';
import type { ArchiveEntry } from '../archive/extract-archive.js';
import { MarketplaceError } from '../errors.js';
import { asciiLowerCase } from '../names.js';
import type { VersionCandidate } from './package-source.js';

/**
 * The manifest inside the archive must name the package, version and dependencies the registry
 * says it has. The archive is what was signed; the catalog is not: a catalog that adds an old,
 * vulnerable dependency, or drops one, disagrees with the signed manifest and is refused. A
 * manifest YAML cannot read is the package's problem, not a metadata mismatch: it passes.
 */
export function checkArchiveManifest(entries: ArchiveEntry[], candidate: VersionCandidate): void {
  const manifest = entries.find(
    (entry): entry is Extract<ArchiveEntry, { type: 'file' }> => entry.type === 'file' && entry.path === 'gpack.yaml',
  );
  if (manifest === undefined) return;
  const text = manifest.content.toString('utf8');
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch {
    return;
  }
  const fields = (parsed ?? {}) as { name?: unknown; version?: unknown; dependencies?: unknown };
  const name = typeof fields.name === 'string' ? fields.name : undefined;
  const version = typeof fields.version === 'string' ? fields.version : undefined;
  const dependencies = manifestDependencies(fields.dependencies);
  const listed = normalized(candidate.dependencies);
  const differs = dependencies !== undefined && JSON.stringify(dependencies) !== JSON.stringify(listed);
  const wrong = [
    name !== undefined && asciiLowerCase(name) !== candidate.name ? `name ${name}` : undefined,
    version !== undefined && version !== candidate.version ? `version ${version}` : undefined,
    differs ? `dependencies ${describe(dependencies)} (the registry lists ${describe(listed)})` : undefined,
  ].filter((item): item is string => item !== undefined);
  if (wrong.length > 0) {
    throw new MarketplaceError(
      'GGEN_E_METADATA_MISMATCH',
      `The registry lists ${candidate.name}@${candidate.version}, but the archive's gpack.yaml says ${wrong.join(', ')}`,
      {
        hint: 'The archive is what was signed and what would be installed; the registry metadata is wrong. Nothing was installed; report it to the registry.',
        details: { package: candidate.name, version: candidate.version, archive: { name, version } },
      },
    );
  }
}

/** The manifest's dependencies as name -> range, sorted; undefined when they are not a mapping (left to validate). */
function manifestDependencies(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  return normalized(
    Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([dep, range]) => [
        asciiLowerCase(dep),
        typeof range === 'string' ? range : '*',
      ]),
    ),
  );
}

function normalized(dependencies: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(dependencies)
      .map(([dep, range]): [string, string] => [dep, range.trim() === '' ? '*' : range.trim()])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

const describe = (dependencies: Record<string, string> | undefined): string =>
  Object.keys(dependencies ?? {}).length === 0
    ? 'none'
    : Object.entries(dependencies ?? {})
        .map(([dep, range]) => `${dep}@${range}`)
        .join(', ');
