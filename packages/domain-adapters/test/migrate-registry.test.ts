import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { migrateV1RegistryToV2 } from '@ggen/domain-adapters';
import { parseV1Index } from '@ggen/marketplace-v1';
import { catalogToNQuads, createV2Backend, EmbeddedCatalog, readCatalogPackages } from '@ggen/marketplace-v2';

const here = dirname(fileURLToPath(import.meta.url));
const corpusIndex = resolve(here, '..', '..', '..', 'fixtures', 'ggen-corpus', 'registry-index.json');
const sampleRegistry = resolve(here, '..', '..', 'cli', 'sample-registry');

describe('v1 index entries through RDF', () => {
  it('round-trip all 77 corpus packages with nothing lost', () => {
    const { packages } = parseV1Index(readFileSync(corpusIndex, 'utf8'), 'registry-index.json');
    expect(packages).toHaveLength(77);
    const back = readCatalogPackages(new EmbeddedCatalog(catalogToNQuads(packages)).store);
    expect(back).toEqual([...packages].sort((a, b) => (a.name < b.name ? -1 : 1)));
  });
});

describe('migrateV1RegistryToV2', () => {
  it('migrates into another directory, copying and verifying every archive', async () => {
    const from = mkdtempSync(join(tmpdir(), 'ggen-from-'));
    cpSync(sampleRegistry, from, { recursive: true });
    rmSync(join(from, 'catalog.nq'));
    const to = join(mkdtempSync(join(tmpdir(), 'ggen-to-')), 'v2');
    const report = await migrateV1RegistryToV2({ from, to, timeoutMs: 1000, retries: 0 });
    expect(report).toMatchObject({ packages: 77, versions: 77, archivesCopied: 77, problems: [] });
    expect(readdirSync(join(to, 'archives'))).toHaveLength(77);
    const backend = createV2Backend({ location: to, timeoutMs: 1000, retries: 0 });
    expect(
      (await backend.search({ text: 'agent memory', limit: 3, offset: 0, sort: 'relevance' })).packages[0]?.name,
    ).toBe('agent-memory-forge');
  });

  it('keeps going past a corrupt archive and a broken index entry, and says so', async () => {
    const from = mkdtempSync(join(tmpdir(), 'ggen-from-'));
    cpSync(sampleRegistry, from, { recursive: true });
    const index = JSON.parse(readFileSync(join(from, 'index.json'), 'utf8')) as { packages: unknown[] };
    index.packages.push({ name: 'Broken Name!', version: '1.0.0' });
    writeFileSync(join(from, 'index.json'), JSON.stringify(index));
    writeFileSync(join(from, 'archives', 'agent-editor-1.0.0.tgz'), 'tampered');
    const to = mkdtempSync(join(tmpdir(), 'ggen-to-'));
    const report = await migrateV1RegistryToV2({ from, to, timeoutMs: 1000, retries: 0 });
    expect(report.packages).toBe(77);
    expect(report.archivesCopied).toBe(76);
    expect(report.problems).toEqual([
      "index entry #77 (Broken Name!) skipped: name: 'Broken Name!' is not a valid package name",
      'archive of agent-editor@1.0.0 not copied: Archive of agent-editor@1.0.0 does not match its recorded digest',
    ]);
    expect(existsSync(join(to, 'archives', 'agent-editor-1.0.0.tgz'))).toBe(false);
  });

  it('reads the real corpus index as it is, keeping its remote archive URLs', async () => {
    const from = mkdtempSync(join(tmpdir(), 'ggen-corpus-'));
    cpSync(corpusIndex, join(from, 'index.json'));
    const to = mkdtempSync(join(tmpdir(), 'ggen-to-'));
    const report = await migrateV1RegistryToV2({ from, to, timeoutMs: 1000, retries: 0 });
    expect(report).toMatchObject({ packages: 77, archivesCopied: 0, problems: [] });
    const pkg = await createV2Backend({ location: to, timeoutMs: 1000, retries: 0 }).getPackage('agent-editor');
    expect(pkg?.versions[0]?.archive).toMatch(/^https:\/\/github\.com\//);
  });
});
