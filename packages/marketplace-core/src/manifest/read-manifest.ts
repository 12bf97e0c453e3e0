import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDocument, LineCounter } from 'yaml';
import { MarketplaceError } from '../errors.js';
import { nearestWord } from '../text/edit-distance.js';
import type { ValidationIssue, ValidationReport } from '../models.js';
import { gpackManifestSchema, type GpackManifest } from './gpack-manifest.js';
import { convertLegacyManifest } from './legacy-toml.js';

export const MANIFEST_FILES = ['gpack.yaml', 'gpack.toml', 'package.toml'] as const;
export type ManifestFormat = (typeof MANIFEST_FILES)[number];

export interface LoadedManifest {
  manifest: GpackManifest;
  path: string;
  format: ManifestFormat;
  /** What a legacy manifest carried that the gpack.yaml model cannot use. */
  warnings: ValidationIssue[];
}

export function findManifest(dir: string): { path: string; format: ManifestFormat } | undefined {
  for (const format of MANIFEST_FILES) {
    const path = join(dir, format);
    if (existsSync(path)) return { path, format };
  }
  return undefined;
}

/** Reads a package manifest from a directory or a manifest file path; throws a coded error. */
export function readManifest(dirOrFile: string): LoadedManifest {
  const found = (MANIFEST_FILES as readonly string[]).includes(basename(dirOrFile))
    ? { path: dirOrFile, format: basename(dirOrFile) as ManifestFormat }
    : findManifest(dirOrFile);
  if (found === undefined || !existsSync(found.path)) {
    throw new MarketplaceError(
      'GGEN_E_MANIFEST_NOT_FOUND',
      `No gpack.yaml, gpack.toml or package.toml in ${dirOrFile}`,
      {
        hint: 'Create a gpack.yaml with at least name, version and description.',
        details: { path: dirOrFile },
      },
    );
  }
  const text = readFileSync(found.path, 'utf8');
  if (found.format === 'gpack.yaml')
    return { ...parseGpackYaml(text, found.path), path: found.path, format: found.format };
  const converted = convertLegacyManifest(text, found.path);
  return { manifest: converted.manifest, warnings: converted.warnings, path: found.path, format: found.format };
}

export function parseGpackYaml(text: string, file: string): { manifest: GpackManifest; warnings: ValidationIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) {
    const line = syntaxError.linePos?.[0].line;
    throw new MarketplaceError(
      'GGEN_E_MANIFEST_PARSE',
      `${file}${line === undefined ? '' : `:${line}`}: invalid YAML: ${syntaxError.message.split('\n')[0] ?? ''}`,
      {
        hint: 'Fix the YAML syntax and run again.',
        details: { file, line },
      },
    );
  }
  const parsed = gpackManifestSchema().safeParse(doc.toJS());
  if (parsed.success) return { manifest: parsed.data, warnings: [] };
  // Every problem at once, each with its field, its line and, for a misspelt key, the key meant.
  const issues = parsed.error.issues.flatMap((issue): ValidationIssue[] => {
    const path = issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part));
    const lineOf = (offset: number | undefined): number | undefined =>
      offset === undefined ? undefined : lineCounter.linePos(offset).line;
    if (issue.code === 'unrecognized_keys') {
      const map = path.length > 0 ? doc.getIn(path, true) : doc.contents;
      return issue.keys.map((key) => {
        const field = [...path, key].map(String).join('.');
        const known = path.length === 0 ? manifestFields() : path[0] === 'variables' ? VARIABLE_FIELDS : [];
        const meant = nearestWord(key.toLowerCase(), known);
        return {
          severity: 'error',
          field,
          message: `unknown field '${field}'${meant === undefined ? '' : `. Did you mean '${[...path.map(String), meant].join('.')}'?`}`,
          file,
          ...optionalLine(lineOf(keyOffset(map, key))),
        };
      });
    }
    const node = path.length > 0 ? doc.getIn(path, true) : undefined;
    const keyNode = path.length > 0 ? doc.getIn(path.slice(0, -1), true) : undefined;
    const field = path.map(String).join('.') || '(root)';
    const message = `field '${field}' ${issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : `must be ${issue.message}`}`;
    return [
      {
        severity: 'error',
        field,
        message,
        file,
        ...optionalLine(lineOf(nodeOffset(node) ?? keyOffset(keyNode, path[path.length - 1]) ?? nodeOffset(keyNode))),
      },
    ];
  });
  issues.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
  const first = issues[0];
  throw new MarketplaceError(
    'GGEN_E_MANIFEST_INVALID',
    `${file}${first?.line === undefined ? '' : `:${first.line}`}: ${first?.message ?? 'invalid manifest'}${issues.length > 1 ? ` (and ${issues.length - 1} more problem(s))` : ''}`,
    {
      hint: 'Run ggen marketplace validate for every problem; docs/gpack-yaml.md lists the manifest fields.',
      details: { file, line: first?.line, field: first?.field, issues },
    },
  );
}

const manifestFields = (): string[] => Object.keys(gpackManifestSchema().shape);
const VARIABLE_FIELDS = ['type', 'required', 'default', 'description'];

const optionalLine = (line: number | undefined): { line?: number } => (line === undefined ? {} : { line });

/** Where `key` is written inside a YAML map node. */
function keyOffset(map: unknown, key: unknown): number | undefined {
  const items = (map as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | undefined)
    ?.items;
  return items?.find((item) => item.key?.value === key)?.key?.range?.[0];
}

function nodeOffset(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  return range?.[0];
}

/** Validation report for a package directory: never throws for a bad manifest. */
export function validatePackageDir(dir: string): ValidationReport {
  try {
    const loaded = readManifest(dir);
    const issues: ValidationIssue[] = [...loaded.warnings];
    for (const file of [...loaded.manifest.files, ...loaded.manifest.templates]) {
      if (!existsSync(join(dir, file))) {
        issues.push({
          severity: 'error',
          field: 'files',
          message: `listed file '${file}' does not exist`,
          file: loaded.path,
        });
      }
    }
    // What users look for before they install, as npm warns about it on publish.
    if (loaded.manifest.license === undefined)
      issues.push({
        severity: 'warning',
        field: 'license',
        message:
          'no license: users cannot tell whether they may use the generated code (add license: MIT, or the SPDX id that applies)',
        file: loaded.path,
      });
    if (!['README.md', 'README', 'readme.md', 'README.markdown'].some((name) => existsSync(join(dir, name)))) {
      issues.push({
        severity: 'warning',
        message: 'no README.md: info and the registry have nothing to show about how to use the pack',
        file: loaded.path,
      });
    }
    return {
      valid: !issues.some((issue) => issue.severity === 'error'),
      manifestPath: loaded.path,
      format: loaded.format,
      name: loaded.manifest.name,
      version: loaded.manifest.version,
      issues,
    };
  } catch (error) {
    if (!(error instanceof MarketplaceError)) throw error;
    const details = error.details ?? {};
    if (Array.isArray(details.issues))
      return {
        valid: false,
        ...(typeof details.file === 'string' ? { manifestPath: details.file } : {}),
        issues: details.issues as ValidationIssue[],
      };
    return {
      valid: false,
      ...(typeof details.file === 'string' ? { manifestPath: details.file } : {}),
      issues: [
        {
          severity: 'error',
          message: error.message,
          ...(typeof details.field === 'string' ? { field: details.field } : {}),
          ...(typeof details.file === 'string' ? { file: details.file } : {}),
          ...(typeof details.line === 'number' ? { line: details.line } : {}),
        },
      ],
    };
  }
}
