import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import {
  convertLegacyManifest,
  MarketplaceError,
  parseGpackYaml,
  readManifest,
  validatePackageDir,
} from '@ggen/marketplace-core';

const corpus = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'fixtures',
  'ggen-corpus',
  'manifests',
);

describe('legacy package.toml conversion over the real ggen corpus', () => {
  const files = readdirSync(corpus).filter((file) => file.endsWith('.toml'));

  it('has all 77 manifests to read', () => {
    expect(files).toHaveLength(77);
  });

  it.each(files)('%s converts, or fails with an error naming file, line and field', (file) => {
    const text = readFileSync(join(corpus, file), 'utf8');
    try {
      const { manifest } = convertLegacyManifest(text, file);
      expect(manifest.name).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
      expect(manifest.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(manifest.description.length).toBeGreaterThan(0);
    } catch (error) {
      expect(error).toBeInstanceOf(MarketplaceError);
      const coded = error as MarketplaceError;
      expect(['GGEN_E_MANIFEST_INVALID', 'GGEN_E_MANIFEST_PARSE']).toContain(coded.code);
      expect(coded.details).toMatchObject({ file, line: expect.any(Number) });
      expect(coded.message).toContain(file);
    }
  });

  it('converts all but the one manifest whose name is not a package name', () => {
    const failures = files.filter((file) => {
      try {
        convertLegacyManifest(readFileSync(join(corpus, file), 'utf8'), file);
        return false;
      } catch {
        return true;
      }
    });
    expect(failures).toEqual(['io.ggen.nextjs.ontology-crud.toml']);
  });

  it('reads tags from a [package.tags] table and dependencies from a name list', () => {
    const { manifest } = convertLegacyManifest(
      readFileSync(join(corpus, 'agent-reasoning-mcp.toml'), 'utf8'),
      'agent-reasoning-mcp.toml',
    );
    expect(manifest.tags.length).toBeGreaterThan(0);
    expect(manifest.dependencies).toEqual({ 'agent-memory-forge': '*', 'agent-context-crafter': '*' });
  });

  it('keeps variables and template files, and warns about what it drops', () => {
    const { manifest, warnings } = convertLegacyManifest(
      readFileSync(join(corpus, 'api-endpoint.toml'), 'utf8'),
      'api-endpoint.toml',
    );
    expect(manifest.files).toEqual(['README.md', 'api-endpoint.tmpl']);
    expect(manifest.variables.name).toMatchObject({ type: 'string', required: true });
    expect(warnings.some((warning) => warning.message.includes('install'))).toBe(true);
  });

  it('ignores Cargo-style dependency strings with a warning instead of failing', () => {
    const text =
      '[package]\nname = "x"\nversion = "1.0.0"\ndescription = "d"\ndependencies = ["chrono = \\"0.4\\"", "good-dep"]\n';
    const { manifest, warnings } = convertLegacyManifest(text, 'x.toml');
    expect(manifest.dependencies).toEqual({ 'good-dep': '*' });
    expect(warnings[0]?.message).toContain('chrono');
  });

  it('reports broken TOML with line and column', () => {
    expect(() => convertLegacyManifest('[package]\nname = "x\n', 'broken.toml')).toThrow(/broken\.toml:2:/);
  });

  it('names the missing field and its line when there is no version', () => {
    try {
      convertLegacyManifest('# c\n[package]\nname = "x"\n', 'nover.toml');
      throw new Error('expected failure');
    } catch (error) {
      expect((error as MarketplaceError).details).toMatchObject({ field: 'package.version', line: 2 });
    }
  });
});

describe('gpack.yaml', () => {
  it('parses a complete manifest', () => {
    const { manifest } = parseGpackYaml(
      'name: hello\nversion: 1.2.3\ndescription: Says hello\ntags: [a]\ndependencies:\n  base: ^1.0.0\nvariables:\n  who: { type: string, default: world }\n',
      'gpack.yaml',
    );
    expect(manifest).toMatchObject({ name: 'hello', version: '1.2.3', dependencies: { base: '^1.0.0' }, keywords: [] });
  });

  it('names the file, line and field of an invalid dependency range', () => {
    try {
      parseGpackYaml(
        'name: hello\nversion: 1.0.0\ndescription: d\ndependencies:\n  base: "not a range!"\n',
        'gpack.yaml',
      );
      throw new Error('expected failure');
    } catch (error) {
      expect(error).toBeInstanceOf(MarketplaceError);
      expect((error as MarketplaceError).details).toMatchObject({
        file: 'gpack.yaml',
        line: 5,
        field: 'dependencies.base',
      });
    }
  });

  it('says a required field is required', () => {
    expect(() => parseGpackYaml('name: hello\ndescription: d\n', 'gpack.yaml')).toThrow(/field 'version' is required/);
  });

  it('validatePackageDir reports a missing listed file and never throws for a bad manifest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ggen-validate-'));
    writeFileSync(join(dir, 'gpack.yaml'), 'name: hello\nversion: 1.0.0\ndescription: d\nfiles: [missing.tmpl]\n');
    const report = validatePackageDir(dir);
    expect(report.valid).toBe(false);
    expect(report.issues[0]).toMatchObject({ severity: 'error', field: 'files' });
    writeFileSync(join(dir, 'gpack.yaml'), 'name: [\n');
    expect(validatePackageDir(dir)).toMatchObject({ valid: false });
    expect(validatePackageDir(join(dir, 'nothing-here')).issues[0]?.message).toContain('No gpack.yaml');
  });

  it('readManifest prefers gpack.yaml over legacy files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ggen-read-'));
    writeFileSync(join(dir, 'gpack.yaml'), 'name: from-yaml\nversion: 1.0.0\ndescription: d\n');
    writeFileSync(join(dir, 'package.toml'), '[package]\nname = "from-toml"\nversion = "1.0.0"\n');
    expect(readManifest(dir).manifest.name).toBe('from-yaml');
  });
});
