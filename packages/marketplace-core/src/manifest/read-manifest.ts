import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDocument, LineCounter } from 'yaml';
import { MarketplaceError } from '../errors.js';
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
    throw new MarketplaceError('GGEN_E_MANIFEST_NOT_FOUND', `No gpack.yaml, gpack.toml or package.toml in ${dirOrFile}`, {
      hint: 'Create a gpack.yaml with at least name, version and description.',
      details: { path: dirOrFile },
    });
  }
  const text = readFileSync(found.path, 'utf8');
  if (found.format === 'gpack.yaml') return { ...parseGpackYaml(text, found.path), path: found.path, format: found.format };
  const converted = convertLegacyManifest(text, found.path);
  return { manifest: converted.manifest, warnings: converted.warnings, path: found.path, format: found.format };
}

export function parseGpackYaml(text: string, file: string): { manifest: GpackManifest; warnings: ValidationIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) {
    const line = syntaxError.linePos?.[0].line;
    throw new MarketplaceError('GGEN_E_MANIFEST_PARSE', `${file}${line === undefined ? '' : `:${line}`}: invalid YAML: ${syntaxError.message.split('\n')[0] ?? ''}`, {
      hint: 'Fix the YAML syntax and run again.',
      details: { file, line },
    });
  }
  const parsed = gpackManifestSchema.safeParse(doc.toJS());
  if (parsed.success) return { manifest: parsed.data, warnings: [] };
  const issue = parsed.error.issues[0];
  const path = issue?.path ?? [];
  const node = path.length > 0 ? doc.getIn(path, true) : undefined;
  const keyNode = path.length > 0 ? doc.getIn(path.slice(0, -1), true) : undefined;
  const offset = nodeOffset(node) ?? nodeOffset(keyNode);
  const line = offset === undefined ? undefined : lineCounter.linePos(offset).line;
  const field = path.map(String).join('.') || '(root)';
  throw new MarketplaceError(
    'GGEN_E_MANIFEST_INVALID',
    `${file}${line === undefined ? '' : `:${line}`}: field '${field}' ${issue?.code === 'invalid_type' && issue.input === undefined ? 'is required' : `must be ${issue?.message ?? 'valid'}`}`,
    { hint: 'See docs/user-guide.md#gpackyaml for the manifest fields.', details: { file, line, field } },
  );
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
        issues.push({ severity: 'error', field: 'files', message: `listed file '${file}' does not exist`, file: loaded.path });
      }
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
