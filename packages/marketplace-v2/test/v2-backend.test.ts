import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { CatalogPackage } from '@ggen/marketplace-core';
import { catalogToNQuads, createV2Backend, EmbeddedCatalog, runReadOnlySparql, V2Registry } from '@ggen/marketplace-v2';
import { sampleCatalogText, sampleRegistry } from './fixtures.js';
import { codeOf } from '../../../tools/testing/coded-error.mjs';

const target = (): { packagesDir: string; lockfilePath: string } => {
  const root = mkdtempSync(join(tmpdir(), 'ggen-v2-'));
  return { packagesDir: join(root, 'gpacks'), lockfilePath: join(root, 'ggen.lock') };
};

const pkg = (name: string, dependencies: Record<string, string>): CatalogPackage => ({
  name,
  description: name,
  tags: [],
  keywords: [],
  downloads: 0,
  stars: 0,
  latest: '1.0.0',
  versions: [{ version: '1.0.0', dependencies, yanked: false }],
  extra: {},
});

describe('V2Registry dependency closure (SPARQL property paths)', () => {
  it('follows dependencies transitively through every version', async () => {
    const registry = new V2Registry({ location: sampleRegistry, timeoutMs: 1000, retries: 0 });
    expect(await registry.dependencyClosure('agent-reasoning-mcp')).toEqual({
      names: ['agent-context-crafter', 'agent-memory-forge'],
      cyclic: false,
    });
    expect(await registry.dependencyClosure('agent-editor')).toEqual({ names: [], cyclic: false });
  });

  it('detects cycles, and names missing dependencies', async () => {
    const catalog = new EmbeddedCatalog(
      catalogToNQuads([pkg('a', { b: '*' }), pkg('b', { c: '*' }), pkg('c', { a: '*', ghost: '^1' })]),
    );
    const registry = new V2Registry({ location: '/nowhere', timeoutMs: 1000, retries: 0 }, catalog);
    expect(await registry.dependencyClosure('a')).toEqual({ names: ['b', 'c', 'ghost'], cyclic: true });
  });
});

describe('v2 backend on the sample registry', () => {
  const backend = createV2Backend({ location: sampleRegistry, timeoutMs: 2000, retries: 0 });

  it('gives info in the same shape as v1', async () => {
    const details = await backend.getPackage('agent-reasoning-mcp');
    expect(details).toMatchObject({
      name: 'agent-reasoning-mcp',
      version: '1.0.0',
      dependencies: { 'agent-memory-forge': '*' },
      integrity: expect.stringMatching(/^sha512-/),
    });
    expect(await backend.getPackage('nope')).toBeNull();
  });

  it('installs with dependencies, recording v2 in the lockfile', async () => {
    const paths = target();
    const result = await backend.install({ specs: ['agent-reasoning-mcp'], ...paths });
    expect(result.installed.map((entry) => `${entry.name}:${entry.backend}`)).toEqual([
      'agent-memory-forge:v2',
      'agent-context-crafter:v2',
      'agent-reasoning-mcp:v2',
    ]);
  });

  it('says clearly when a registry has no catalog', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ggen-nocat-'));
    expect(
      await codeOf(
        createV2Backend({ location: empty, timeoutMs: 1000, retries: 0 }).search({
          text: 'x',
          limit: 1,
          offset: 0,
          sort: 'relevance',
        }),
      ),
    ).toBe('GGEN_E_REGISTRY_UNREACHABLE');
    writeFileSync(join(empty, 'catalog.nq'), '<broken');
    expect(
      await codeOf(
        createV2Backend({ location: empty, timeoutMs: 1000, retries: 0 }).search({
          text: 'x',
          limit: 1,
          offset: 0,
          sort: 'relevance',
        }),
      ),
    ).toBe('GGEN_E_INDEX_INVALID');
  });
});

describe('publish to a v2 registry', () => {
  it('adds the package to the catalog, searchable and installable; refuses the same version', async () => {
    const registry = mkdtempSync(join(tmpdir(), 'ggen-v2reg-'));
    cpSync(sampleRegistry, registry, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'ggen-v2pack-'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(
      join(dir, 'gpack.yaml'),
      'name: quantum-widget\nversion: 1.0.0\ndescription: Generates quantum widgets\ntags: [quantum]\ndependencies:\n  agent-memory-forge: ^1.0.0\nfiles: [templates/w.tmpl]\n',
    );
    writeFileSync(join(dir, 'templates', 'w.tmpl'), 'widget');
    const writer = createV2Backend({ location: registry, timeoutMs: 1000, retries: 0 });
    const result = await writer.publish({ dir, registry });
    expect(existsSync(join(registry, result.archive ?? ''))).toBe(true);
    expect(await codeOf(writer.publish({ dir, registry }))).toBe('GGEN_E_VERSION_EXISTS');
    const reader = createV2Backend({ location: registry, timeoutMs: 1000, retries: 0 });
    const found = await reader.search({ text: 'quantum widgets', limit: 5, offset: 0, sort: 'relevance' });
    expect(found.packages[0]?.name).toBe('quantum-widget');
    const paths = target();
    const installed = await reader.install({ specs: ['quantum-widget'], ...paths });
    expect(installed.installed.map((entry) => entry.name)).toEqual(['agent-memory-forge', 'quantum-widget']);
    expect((await reader.registry.findPackage('quantum-widget'))?.versions[0]?.files).toEqual([
      'gpack.yaml',
      'templates/w.tmpl',
    ]);
  });
});

describe('runReadOnlySparql', () => {
  const catalog = sampleCatalogText();
  const prefix = 'PREFIX gg: <https://ggen.dev/ns/marketplace#> ';

  it('answers SELECT, ASK and CONSTRUCT over the catalog graph as the default graph', async () => {
    const select = await runReadOnlySparql(
      catalog,
      `${prefix}SELECT ?name WHERE { ?p gg:name ?name ; gg:categoryKey "finance" } ORDER BY ?name LIMIT 2`,
      5000,
    );
    expect(select).toEqual({
      kind: 'select',
      variables: ['name'],
      rows: [
        { name: { type: 'Literal', value: 'banking-core', datatype: 'http://www.w3.org/2001/XMLSchema#string' } },
        { name: expect.objectContaining({ value: 'cryptocurrency-exchange' }) },
      ],
    });
    expect(await runReadOnlySparql(catalog, `${prefix}ASK { ?p gg:name "agent-editor" }`, 5000)).toEqual({
      kind: 'ask',
      value: true,
    });
    const graph = await runReadOnlySparql(
      catalog,
      `${prefix}CONSTRUCT { ?p gg:name ?n } WHERE { ?p gg:name ?n } LIMIT 1`,
      5000,
    );
    expect(graph.kind === 'graph' && graph.ntriples.includes('marketplace#name')).toBe(true);
  });

  it('refuses updates and reports invalid queries', async () => {
    expect(await codeOf(runReadOnlySparql(catalog, 'DELETE WHERE { ?s ?p ?o }', 5000))).toBe(
      'GGEN_E_SPARQL_UPDATE_REFUSED',
    );
    expect(await codeOf(runReadOnlySparql(catalog, 'INSERT DATA { <a:b> <a:c> <a:d> }', 5000))).toBe(
      'GGEN_E_SPARQL_UPDATE_REFUSED',
    );
    expect(await codeOf(runReadOnlySparql(catalog, 'SELECT WHERE {', 5000))).toBe('GGEN_E_SPARQL_INVALID');
  });

  it('stops a runaway query at its timeout', async () => {
    const started = Date.now();
    expect(
      await codeOf(runReadOnlySparql(catalog, 'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }', 300)),
    ).toBe('GGEN_E_SPARQL_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
