import semverCoerce from 'semver/functions/coerce.js';
import semverValid from 'semver/functions/valid.js';
import semverValidRange from 'semver/ranges/valid.js';
import { parse, TomlError } from 'smol-toml';
import { MarketplaceError } from '../errors.js';
import type { ValidationIssue } from '../models.js';
import { gpackManifestSchema, PACKAGE_NAME_PATTERN, type GpackManifest } from './gpack-manifest.js';

type Table = Record<string, unknown>;

/** Sections of a ggen package.toml that gpack.yaml has a place for. */
const USED_SECTIONS = new Set(['package', 'dependencies', 'files', 'templates', 'variables']);
const VARIABLE_TYPES = new Set(['string', 'number', 'boolean', 'array', 'object']);

/**
 * Converts a legacy ggen `package.toml` / `gpack.toml` into the gpack.yaml model. Missing
 * optional fields are filled or dropped with a warning; only a manifest without a usable
 * name or version, or with broken TOML, is an error naming file, line and field.
 */
export function convertLegacyManifest(
  text: string,
  file: string,
): { manifest: GpackManifest; warnings: ValidationIssue[] } {
  let doc: Table;
  try {
    doc = parse(text);
  } catch (error) {
    if (error instanceof TomlError) {
      throw new MarketplaceError(
        'GGEN_E_MANIFEST_PARSE',
        `${file}:${error.line}:${error.column}: invalid TOML: ${error.message.split('\n')[0] ?? ''}`,
        {
          hint: 'TOML inline tables must stay on one line and have no trailing comma; fix the syntax and run again.',
          cause: error,
          details: { file, line: error.line, column: error.column },
        },
      );
    }
    throw error;
  }
  const warnings: ValidationIssue[] = [];
  const warn = (field: string, message: string): void => {
    const line = lineOf(text, field);
    warnings.push({ severity: 'warning', field, message, file, ...(line === undefined ? {} : { line }) });
  };
  const fail = (field: string, message: string): never => {
    const line = lineOf(text, field) ?? lineOf(text, 'package');
    throw new MarketplaceError(
      'GGEN_E_MANIFEST_INVALID',
      `${file}${line === undefined ? '' : `:${line}`}: field '${field}' ${message}`,
      {
        hint: 'Legacy manifests need [package] with name and version; everything else is optional.',
        details: { file, line, field },
      },
    );
  };

  const pkg = doc.package;
  if (!isTable(pkg)) return fail('package', 'is required: a [package] table with name and version');

  const rawName = pkg.name;
  if (typeof rawName !== 'string' || rawName.trim() === '') return fail('package.name', 'is required');
  let name = rawName.trim();
  if (name !== name.toLowerCase()) {
    warn('package.name', `name '${name}' lowercased to '${name.toLowerCase()}'`);
    name = name.toLowerCase();
  }
  if (!PACKAGE_NAME_PATTERN.test(name)) return fail('package.name', `'${name}' is not a valid package name`);

  const rawVersion = pkg.version;
  if (typeof rawVersion !== 'string' || rawVersion.trim() === '') return fail('package.version', 'is required');
  let version = semverValid(rawVersion.trim());
  if (version === null) {
    const coerced = semverCoerce(rawVersion)?.version;
    if (coerced === undefined) return fail('package.version', `'${rawVersion}' is not a semantic version`);
    warn('package.version', `version '${rawVersion}' read as ${coerced}`);
    version = coerced;
  }

  let description = stringField(pkg.description);
  if (description === undefined) {
    description = stringField(pkg.full_name) ?? name;
    warn('package.description', `no description; using '${description}'`);
  }

  const manifest = {
    name,
    version,
    description,
    author:
      stringField(pkg.author) ??
      (Array.isArray(pkg.authors) ? stringList(pkg.authors).join(', ') || undefined : undefined),
    license: stringField(pkg.license),
    category: stringField(pkg.category),
    tags: listFrom(pkg.tags, doc.package, 'tags'),
    keywords: listFrom(pkg.keywords, doc.package, 'keywords'),
    dependencies: collectDependencies([pkg.dependencies, doc.dependencies], warn),
    files: isTable(doc.files) ? Object.keys(doc.files).sort() : stringList(doc.files),
    templates: collectTemplates(doc.templates),
    variables: collectVariables(doc.variables, warn),
    repository: stringField(pkg.repository),
    homepage: stringField(pkg.homepage),
  };

  const ignored = Object.keys(doc).filter((section) => !USED_SECTIONS.has(section));
  if (ignored.length > 0) {
    warnings.push({ severity: 'warning', message: `sections not used by gpack.yaml: ${ignored.join(', ')}`, file });
  }

  const parsed = gpackManifestSchema().safeParse(dropUndefined(manifest));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(issue?.path.map(String).join('.') ?? '(root)', `must be ${issue?.message ?? 'valid'}`);
  }
  return { manifest: parsed.data, warnings };
}

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string' && item.trim() !== '').map((item) => item.trim())
    : [];
}

/** `tags = [...]` in [package], or a `[package.tags]` table holding `tags = [...]`. */
function listFrom(direct: unknown, pkg: unknown, key: string): string[] {
  if (Array.isArray(direct)) return unique(stringList(direct));
  if (isTable(direct)) return unique(stringList(direct[key]));
  if (isTable(pkg) && isTable(pkg[key])) return unique(stringList(pkg[key][key]));
  return [];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function collectDependencies(
  sources: unknown[],
  warn: (field: string, message: string) => void,
): Record<string, string> {
  const dependencies: Record<string, string> = {};
  const add = (rawName: string, range: string, field: string): void => {
    const name = rawName.trim().toLowerCase();
    if (!PACKAGE_NAME_PATTERN.test(name)) {
      warn(field, `'${rawName}' is not a gpack dependency name; ignored`);
      return;
    }
    if (semverValidRange(range) === null) {
      warn(field, `dependency '${rawName}' has '${range}', which is not a semver range; ignored`);
      return;
    }
    dependencies[name] = range;
  };
  for (const source of sources) {
    if (Array.isArray(source)) {
      for (const item of source) {
        if (typeof item === 'string' && PACKAGE_NAME_PATTERN.test(item.trim().toLowerCase()))
          add(item, '*', 'dependencies');
        else warn('dependencies', `${JSON.stringify(item)} is not a gpack dependency (a package name); ignored`);
      }
    } else if (isTable(source)) {
      for (const [depName, spec] of Object.entries(source)) {
        if (typeof spec === 'string') add(depName, spec, depName);
        else if (isTable(spec) && typeof spec.version === 'string') add(depName, spec.version, depName);
        else warn(depName, `dependency '${depName}' has no version range; ignored`);
      }
    }
  }
  return dependencies;
}

function collectTemplates(value: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (typeof node === 'string') found.push(node);
    else if (Array.isArray(node)) node.forEach(walk);
    else if (isTable(node)) Object.values(node).forEach(walk);
  };
  walk(value);
  return unique(found.filter((entry) => entry.trim() !== '')).sort();
}

function collectVariables(value: unknown, warn: (field: string, message: string) => void): GpackManifest['variables'] {
  const variables: GpackManifest['variables'] = {};
  if (!isTable(value)) return variables;
  for (const [name, spec] of Object.entries(value)) {
    if (isTable(spec)) {
      const type = typeof spec.type === 'string' && VARIABLE_TYPES.has(spec.type) ? spec.type : 'string';
      if (typeof spec.type === 'string' && !VARIABLE_TYPES.has(spec.type))
        warn(name, `variable '${name}' type '${spec.type}' read as string`);
      variables[name] = dropUndefined({
        type: type as GpackManifest['variables'][string]['type'],
        required: typeof spec.required === 'boolean' ? spec.required : undefined,
        default: spec.default,
        description: stringField(spec.description),
      });
    } else {
      variables[name] = { type: 'string', default: spec };
    }
  }
  return variables;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}

/** 1-based line of the first `key =` or `[key]` for the last segment of a dotted field. */
function lineOf(text: string, field: string): number | undefined {
  const key = field.split('.').pop() ?? field;
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^\\s*(?:"?${escaped}"?\\s*=|\\[${escaped}\\])`);
  const index = text.split('\n').findIndex((line) => pattern.test(line));
  return index === -1 ? undefined : index + 1;
}
