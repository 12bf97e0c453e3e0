import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDocument, LineCounter } from 'yaml';
import type * as z from 'zod';
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
    const message = `field '${field}' ${fieldProblem(issue, doc.hasIn(path) ? doc.getIn(path) : undefined, doc.hasIn(path), sourceText(node))}`;
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

/**
 * What is wrong with a field, in plain words: missing, of the wrong type (naming what was
 * written, e.g. YAML's number 1 for `version: 1.0`), or not one of the allowed values (with the
 * one meant).
 */
function fieldProblem(issue: z.core.$ZodIssue, value: unknown, present: boolean, written?: string): string {
  if (issue.code === 'invalid_type') {
    if (!present) return 'is required';
    const found =
      typeof value === 'object'
        ? Array.isArray(value)
          ? 'a list'
          : 'a mapping'
        : `the ${typeof value} ${JSON.stringify(value)}`;
    const version =
      issue.path[issue.path.length - 1] === 'version' && typeof value === 'number'
        ? ` (YAML reads ${written ?? String(value)} as a number: write a semantic version in quotes, e.g. version: "${semverOf(written ?? String(value))}")`
        : '';
    return `must be ${issue.expected === 'array' ? 'a list' : issue.expected === 'object' ? 'a mapping' : `a ${issue.expected}`}, not ${found}${version}`;
  }
  if (issue.code === 'invalid_value') {
    const allowed = issue.values.map((option) => JSON.stringify(option));
    const meant =
      typeof value === 'string'
        ? nearestWord(
            value.toLowerCase(),
            issue.values.map((option) => String(option)),
          )
        : undefined;
    return `must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}${meant === undefined ? '' : `. Did you mean "${meant}"?`}`;
  }
  return `must be ${issue.message}`;
}

/** A number YAML read from `version: 1.0` written as the semantic version meant (1.0.0). */
function semverOf(value: string): string {
  const parts = value.split('.');
  while (parts.length < 3) parts.push('0');
  return parts.slice(0, 3).join('.');
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

/** A scalar as it is written in the file (`1.0`, where its value is the number 1). */
function sourceText(node: unknown): string | undefined {
  const source = (node as { source?: unknown } | undefined)?.source;
  return typeof source === 'string' ? source : undefined;
}

function nodeOffset(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  return range?.[0];
}

function missingFiles(dir: string, listed: readonly string[], manifest: string): ValidationIssue[] {
  return listed
    .filter((file) => !existsSync(join(dir, file)))
    .map((file) => ({
      severity: 'error' as const,
      field: 'files',
      message: `listed file '${file}' does not exist`,
      file: manifest,
    }));
}

/** The files and templates a gpack.yaml lists, read from it as written (for a manifest that is otherwise invalid). */
function listedFiles(manifest: string): string[] {
  if (basename(manifest) !== 'gpack.yaml') return [];
  try {
    const raw = parseDocument(readFileSync(manifest, 'utf8')).toJS() as Record<string, unknown> | null;
    return [raw?.files, raw?.templates].flatMap((list) =>
      Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string' && item !== '') : [],
    );
  } catch {
    return [];
  }
}

/** Validation report for a package directory: never throws for a bad manifest. */
export function validatePackageDir(dir: string): ValidationReport {
  try {
    const loaded = readManifest(dir);
    const issues: ValidationIssue[] = [
      ...loaded.warnings,
      ...missingFiles(dir, [...loaded.manifest.files, ...loaded.manifest.templates], loaded.path),
    ];
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
    if (Array.isArray(details.issues)) {
      // Every problem in one run: the files it lists are checked even when other fields are wrong.
      const file = typeof details.file === 'string' ? details.file : undefined;
      return {
        valid: false,
        ...(file === undefined ? {} : { manifestPath: file }),
        issues: [
          ...(details.issues as ValidationIssue[]),
          ...(file === undefined ? [] : missingFiles(dir, listedFiles(file), file)),
        ],
      };
    }
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
