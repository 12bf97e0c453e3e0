import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SearchQuery } from '@ggen/marketplace-core';
import { createV2Backend, EmbeddedCatalog, RemoteCatalog, SparqlSearchEngine, V2Registry } from '@ggen/marketplace-v2';
import { startVirtuoso, type RunningVirtuoso } from '../../../tools/testing/virtuoso.mjs';
import { sampleCatalogText, sampleRegistry } from './fixtures.js';
import { codeOf } from '../../../tools/testing/coded-error.mjs';

// A real SPARQL server: OpenLink Virtuoso from Debian, installed by .ci/run.
let virtuoso: RunningVirtuoso;
let remote: RemoteCatalog;
const embedded = new EmbeddedCatalog(sampleCatalogText());

beforeAll(async () => {
  virtuoso = await startVirtuoso();
  remote = new RemoteCatalog({ queryUrl: virtuoso.queryUrl, graphStoreUrl: virtuoso.graphStoreUrl, user: virtuoso.user, password: virtuoso.password, timeoutMs: 10_000 });
  await remote.replaceCatalog(sampleCatalogText());
}, 90_000);

afterAll(async () => {
  await virtuoso.stop();
}, 30_000);

const query = (overrides: Partial<SearchQuery>): SearchQuery => ({ text: '', limit: 10, offset: 0, sort: 'relevance', ...overrides });

describe('the catalog on a remote SPARQL endpoint (Virtuoso)', () => {
  it.each([
    { text: 'agent-editor' },
    { text: 'bibtex citations' },
    { text: 'bibliografy' },
    { text: 'agent memory', category: 'ai-agents' },
    { category: 'healthcare', sort: 'name' as const },
    { text: 'rdf', keyword: 'sparql', minStars: 0 },
  ])('answers search %j exactly as the embedded store does', async (overrides) => {
    const [local, far] = await Promise.all([new SparqlSearchEngine(embedded).search(query(overrides)), new SparqlSearchEngine(remote).search(query(overrides))]);
    expect(far.packages.map((pkg) => [pkg.name, pkg.score])).toEqual(local.packages.map((pkg) => [pkg.name, pkg.score]));
    expect(far.total).toBe(local.total);
    expect(far.packages).toEqual(local.packages);
  });

  it('reads packages back through CONSTRUCT with nothing lost', async () => {
    const names = ['agent-reasoning-mcp', 'banking-core', 'io.ggen.nextjs.ontology-crud', 'absent-package'];
    expect(await remote.readPackages(names)).toEqual(await embedded.readPackages(names));
  });

  it('resolves and installs through the remote catalog, archives from the registry directory', async () => {
    const registry = new V2Registry({ location: sampleRegistry, timeoutMs: 5000, retries: 0, remote: { queryUrl: virtuoso.queryUrl, timeoutMs: 10_000 } });
    expect(await registry.dependencyClosure('agent-reasoning-mcp')).toEqual({ names: ['agent-context-crafter', 'agent-memory-forge'], cyclic: false });
    const backend = createV2Backend({ location: sampleRegistry, timeoutMs: 5000, retries: 0, remote: { queryUrl: virtuoso.queryUrl, timeoutMs: 10_000 } });
    const root = mkdtempSync(join(tmpdir(), 'ggen-remote-'));
    const result = await backend.install({ specs: ['agent-reasoning-mcp'], packagesDir: join(root, 'gpacks'), lockfilePath: join(root, 'ggen.lock') });
    expect(result.installed.map((entry) => `${entry.name}:${entry.backend}`)).toEqual(['agent-memory-forge:v2', 'agent-context-crafter:v2', 'agent-reasoning-mcp:v2']);
  });

  it("runs a user's read-only query on the endpoint, scoped to the catalog graph", async () => {
    const prefix = 'PREFIX gg: <https://ggen.dev/ns/marketplace#> ';
    const select = await remote.runReadOnly(`${prefix}SELECT ?name WHERE { ?p gg:name ?name ; gg:categoryKey "finance" } ORDER BY ?name LIMIT 2`);
    expect(select.kind === 'select' ? select.rows.map((row) => row.name?.value) : []).toEqual(['banking-core', 'cryptocurrency-exchange']);
    expect(await remote.runReadOnly(`${prefix}ASK { ?p gg:name "agent-editor" }`)).toEqual({ kind: 'ask', value: true });
    expect(await remote.runReadOnly(`${prefix}ASK { ?p gg:name "no-such-thing" }`)).toEqual({ kind: 'ask', value: false });
    // Unscoped, Virtuoso would count its own system graphs too.
    const count = await remote.runReadOnly('SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }');
    const local = await embedded.select('SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://ggen.dev/registry/catalog> { ?s ?p ?o } }');
    expect(count.kind === 'select' ? count.rows[0]?.n?.value : undefined).toBe(local[0]?.n);
    const graph = await remote.runReadOnly(`${prefix}CONSTRUCT { ?p gg:name ?n } WHERE { ?p gg:name ?n } LIMIT 1`);
    expect(graph.kind === 'graph' && graph.ntriples.includes('marketplace#name')).toBe(true);
    expect(await codeOf(remote.runReadOnly('CLEAR GRAPH <https://ggen.dev/registry/catalog>'))).toBe('GGEN_E_SPARQL_UPDATE_REFUSED');
  });

  it('treats partial results after the server time limit as an error, never an answer', async () => {
    const slow = new RemoteCatalog({ queryUrl: virtuoso.queryUrl, timeoutMs: 100 });
    const heavy = 'SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://ggen.dev/registry/catalog> { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } }';
    expect(await codeOf(slow.select(heavy))).toBe('GGEN_E_SPARQL_TIMEOUT');
  });

  it('refuses a push with the wrong password, and reports an endpoint that is down', async () => {
    const wrong = new RemoteCatalog({ queryUrl: virtuoso.queryUrl, graphStoreUrl: virtuoso.graphStoreUrl, user: virtuoso.user, password: 'wrong', timeoutMs: 5000 });
    expect(await codeOf(wrong.replaceCatalog(sampleCatalogText()))).toBe('GGEN_E_REGISTRY_HTTP');
    const down = new RemoteCatalog({ queryUrl: 'http://127.0.0.1:9/sparql', timeoutMs: 1000 });
    expect(await codeOf(down.select('ASK {}'))).toBe('GGEN_E_REGISTRY_UNREACHABLE');
  });
});
