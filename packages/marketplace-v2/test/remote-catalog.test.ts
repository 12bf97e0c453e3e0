import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SearchQuery } from '@ggen/marketplace-core';
import {
  createV2Backend,
  EmbeddedCatalog,
  pushCatalog,
  RemoteCatalog,
  SparqlSearchEngine,
  V2Registry,
  writeV2Catalog,
} from '@ggen/marketplace-v2';
import { loadNpmRows, toCatalogPackages } from '../../../tools/testing/npm-sample.mjs';
import { startVirtuoso, type RunningVirtuoso } from '../../../tools/testing/virtuoso.mjs';
import { sampleCatalogText, sampleRegistry } from './fixtures.js';
import { codeOf } from '../../../tools/testing/coded-error.mjs';

// A real SPARQL server: OpenLink Virtuoso from Debian, installed by .ci/run.
let virtuoso: RunningVirtuoso;
let remote: RemoteCatalog;
const embedded = new EmbeddedCatalog(sampleCatalogText());

beforeAll(async () => {
  virtuoso = await startVirtuoso();
  remote = new RemoteCatalog({ queryUrl: virtuoso.queryUrl, timeoutMs: 10_000 });
  await pushCatalog({
    registry: sampleRegistry,
    fetch: { timeoutMs: 10_000, retries: 0 },
    remote: pushTarget(virtuoso),
    stateDir: mkdtempSync(join(tmpdir(), 'ggen-state-')),
  });
}, 90_000);

afterAll(async () => {
  await virtuoso.stop();
}, 30_000);

/** What pushCatalog needs of a running Virtuoso. */
const pushTarget = (server: RunningVirtuoso) => ({
  queryUrl: server.queryUrl,
  graphStoreUrl: server.graphStoreUrl,
  updateUrl: server.updateUrl,
  user: server.user,
  password: server.password,
  timeoutMs: 10_000,
});

const query = (overrides: Partial<SearchQuery>): SearchQuery => ({
  text: '',
  limit: 10,
  offset: 0,
  sort: 'relevance',
  ...overrides,
});

describe('the catalog on a remote SPARQL endpoint (Virtuoso)', () => {
  it.each([
    { text: 'agent-editor' },
    { text: 'bibtex citations' },
    { text: 'bibliografy' },
    { text: 'agent memory', category: 'ai-agents' },
    { category: 'healthcare', sort: 'name' as const },
    { text: 'rdf', keyword: 'sparql', minStars: 0 },
    // Ties (equal stars) in the order of their names, as the embedded store breaks them.
    { sort: 'stars' as const, limit: 100 },
    { text: 'workflow', sort: 'downloads' as const, order: 'asc' as const, limit: 100 },
  ])('answers search %j exactly as the embedded store does', async (overrides) => {
    const [local, far] = await Promise.all([
      new SparqlSearchEngine(embedded).search(query(overrides)),
      new SparqlSearchEngine(remote).search(query(overrides)),
    ]);
    expect(far.packages.map((pkg) => [pkg.name, pkg.score])).toEqual(
      local.packages.map((pkg) => [pkg.name, pkg.score]),
    );
    expect(far.total).toBe(local.total);
    expect(far.packages).toEqual(local.packages);
  });

  it('reads packages back through CONSTRUCT with nothing lost', async () => {
    const names = ['agent-reasoning-mcp', 'banking-core', 'io.ggen.nextjs.ontology-crud', 'absent-package'];
    expect(await remote.readPackages(names)).toEqual(await embedded.readPackages(names));
  });

  it('resolves and installs through the remote catalog, archives from the registry directory', async () => {
    const registry = new V2Registry({
      location: sampleRegistry,
      timeoutMs: 5000,
      retries: 0,
      remote: { queryUrl: virtuoso.queryUrl, timeoutMs: 10_000 },
    });
    expect(await registry.dependencyClosure('agent-reasoning-mcp')).toEqual({
      names: ['agent-context-crafter', 'agent-memory-forge'],
      cyclic: false,
    });
    const backend = createV2Backend({
      location: sampleRegistry,
      timeoutMs: 5000,
      retries: 0,
      remote: { queryUrl: virtuoso.queryUrl, timeoutMs: 10_000 },
    });
    const root = mkdtempSync(join(tmpdir(), 'ggen-remote-'));
    const result = await backend.install({
      specs: ['agent-reasoning-mcp'],
      packagesDir: join(root, 'gpacks'),
      lockfilePath: join(root, 'ggen.lock'),
    });
    expect(result.installed.map((entry) => `${entry.name}:${entry.backend}`)).toEqual([
      'agent-memory-forge:v2',
      'agent-context-crafter:v2',
      'agent-reasoning-mcp:v2',
    ]);
  });

  it("runs a user's read-only query on the endpoint, scoped to the catalog graph", async () => {
    const prefix = 'PREFIX gg: <https://ggen.dev/ns/marketplace#> ';
    const select = await remote.runReadOnly(
      `${prefix}SELECT ?name WHERE { ?p gg:name ?name ; gg:categoryKey "finance" } ORDER BY ?name LIMIT 2`,
    );
    expect(select.kind === 'select' ? select.rows.map((row) => row.name?.value) : []).toEqual([
      'banking-core',
      'cryptocurrency-exchange',
    ]);
    expect(await remote.runReadOnly(`${prefix}ASK { ?p gg:name "agent-editor" }`)).toEqual({
      kind: 'ask',
      value: true,
    });
    expect(await remote.runReadOnly(`${prefix}ASK { ?p gg:name "no-such-thing" }`)).toEqual({
      kind: 'ask',
      value: false,
    });
    // Unscoped, Virtuoso would count its own system graphs too.
    const count = await remote.runReadOnly('SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }');
    const local = await embedded.select(
      'SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://ggen.dev/registry/catalog> { ?s ?p ?o } }',
    );
    expect(count.kind === 'select' ? count.rows[0]?.n?.value : undefined).toBe(local[0]?.n);
    const graph = await remote.runReadOnly(`${prefix}CONSTRUCT { ?p gg:name ?n } WHERE { ?p gg:name ?n } LIMIT 1`);
    expect(graph.kind === 'graph' && graph.ntriples.includes('marketplace#name')).toBe(true);
    expect(await codeOf(remote.runReadOnly('CLEAR GRAPH <https://ggen.dev/registry/catalog>'))).toBe(
      'GGEN_E_SPARQL_UPDATE_REFUSED',
    );
  });

  it('treats partial results after the server time limit as an error, never an answer', async () => {
    const slow = new RemoteCatalog({ queryUrl: virtuoso.queryUrl, timeoutMs: 100 });
    const heavy =
      'SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://ggen.dev/registry/catalog> { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } }';
    expect(await codeOf(slow.select(heavy))).toBe('GGEN_E_SPARQL_TIMEOUT');
  });

  it('refuses a push with the wrong password, and reports an endpoint that is down', async () => {
    const wrong = { ...pushTarget(virtuoso), password: 'wrong' };
    // Another catalog than the one in place (that one would need no request at all).
    const other = mkdtempSync(join(tmpdir(), 'ggen-other-registry-'));
    await writeV2Catalog(other, toCatalogPackages(loadNpmRows(10)));
    expect(
      await codeOf(
        pushCatalog({
          registry: other,
          fetch: { timeoutMs: 5000, retries: 0 },
          remote: wrong,
          stateDir: mkdtempSync(join(tmpdir(), 'ggen-state-')),
        }),
      ),
    ).toBe('GGEN_E_REGISTRY_HTTP');
    const down = new RemoteCatalog({ queryUrl: 'http://127.0.0.1:9/sparql', timeoutMs: 1000 });
    expect(await codeOf(down.select('ASK {}'))).toBe('GGEN_E_REGISTRY_UNREACHABLE');
  });
});

// Issue 34: a server whose row limit (ResultSetMaxRows) is far below the catalog: every query
// must be answered by the endpoint within the limit, or paged, never capped and never refused.
describe('a remote endpoint with a small row limit (ResultSetMaxRows = 1000) over 3,000 packs', () => {
  let capped: RunningVirtuoso;
  let registry: string;
  let catalogText: string;

  beforeAll(async () => {
    capped = await startVirtuoso({ maxRows: 1000 });
    registry = mkdtempSync(join(tmpdir(), 'ggen-capped-registry-'));
    await writeV2Catalog(registry, toCatalogPackages(loadNpmRows(3000)));
    catalogText = readFileSync(join(registry, 'catalog.nq'), 'utf8');
  }, 120_000);

  afterAll(async () => {
    await capped.stop();
  }, 30_000);

  it('pushes in batches, resumes an interrupted push, and switches the catalog in whole', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'ggen-state-'));
    const total = new Set(catalogText.split('\n').filter((line) => line !== '')).size;
    expect(total).toBeGreaterThan(100_000);
    // Cut off after the third batch: the catalog graph is untouched (empty still), the staging graph has three batches.
    let calls = 0;
    let seen = 0;
    const interrupted = pushCatalog({
      registry,
      fetch: { timeoutMs: 10_000, retries: 0 },
      remote: pushTarget(capped),
      stateDir,
      batchLines: 10_000,
      onProgress: ({ done }) => {
        calls += 1;
        seen = done;
        // The first call reports the start; each later one a batch.
        if (calls === 4) throw new Error('interrupted');
      },
    });
    await expect(interrupted).rejects.toThrow('interrupted');
    expect(seen).toBeGreaterThan(25_000);
    const reader = new RemoteCatalog({ queryUrl: capped.queryUrl, timeoutMs: 10_000 });
    expect(
      await reader.select('SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://ggen.dev/registry/catalog> { ?s ?p ?o } }'),
    ).toEqual([{ n: '0' }]);
    const progress: number[] = [];
    const pushersCache = mkdtempSync(join(tmpdir(), 'ggen-remote-cache-'));
    const resumed = await pushCatalog({
      registry,
      fetch: { timeoutMs: 10_000, retries: 0 },
      remote: { ...pushTarget(capped), cacheDir: pushersCache },
      stateDir,
      batchLines: 10_000,
      onProgress: ({ done }) => progress.push(done),
    });
    expect(resumed).toMatchObject({ triples: total, resumedAt: seen });
    expect(progress[0]).toBe(seen);
    expect(progress.at(-1)).toBe(total);
    // A reader resolves the catalog's graph once; a new one (a new process) reads the switched catalog whole.
    const after = new RemoteCatalog({ queryUrl: capped.queryUrl, timeoutMs: 10_000 });
    expect(
      await after.select('SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://ggen.dev/registry/catalog> { ?s ?p ?o } }'),
    ).toEqual([{ n: String(total) }]);
    // The pusher keeps the vocabulary of what it pushed, as the endpoint answers it: its readers'
    // first search does not read the tokens back.
    const digest = createHash('sha256').update(catalogText).digest('hex');
    const [kept, ...others] = readdirSync(pushersCache);
    expect(others).toEqual([]);
    expect(kept?.endsWith(`-${digest}.tokens`)).toBe(true);
    const fromEndpoint = await after.vocabulary();
    expect(fromEndpoint.length).toBeGreaterThan(1000);
    expect(readFileSync(join(pushersCache, kept ?? ''), 'utf8')).toBe(`${fromEndpoint.join('\n')}\n`);
    // The same catalog again: already in place, nothing sent (its vocabulary kept all the same).
    const anotherCache = mkdtempSync(join(tmpdir(), 'ggen-remote-cache-'));
    expect(
      await pushCatalog({
        registry,
        fetch: { timeoutMs: 10_000, retries: 0 },
        remote: { ...pushTarget(capped), cacheDir: anotherCache },
        stateDir,
      }),
    ).toMatchObject({ triples: total, batches: 0 });
    expect(readFileSync(join(anotherCache, kept ?? ''), 'utf8')).toBe(`${fromEndpoint.join('\n')}\n`);
  }, 120_000);

  it('answers every search as the embedded store does, though the vocabulary alone is over the limit', async () => {
    const far = new RemoteCatalog({ queryUrl: capped.queryUrl, timeoutMs: 10_000 });
    const near = new EmbeddedCatalog(catalogText);
    const tokens = await far.select(
      'SELECT DISTINCT ?tok WHERE { GRAPH <https://ggen.dev/registry/catalog> { ?p <https://ggen.dev/ns/marketplace#token> ?tok } }',
    );
    expect(tokens.length).toBeGreaterThan(1000);
    for (const overrides of [
      { text: 'react' },
      { text: 'lodash' },
      { text: 'typescrpt' },
      { text: 'test', limit: 50, offset: 20 },
      { text: '', sort: 'name' as const, offset: 2500 },
    ]) {
      const [local, remoteResults] = await Promise.all([
        new SparqlSearchEngine(near).search(query(overrides)),
        new SparqlSearchEngine(far).search(query(overrides)),
      ]);
      expect(remoteResults.packages.map((pkg) => pkg.name)).toEqual(local.packages.map((pkg) => pkg.name));
      expect(remoteResults.total).toBe(local.total);
    }
  }, 120_000);

  it("keeps the vocabulary in the user's cache, keyed by the endpoint and the digest the push named", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'ggen-remote-cache-'));
    const far = new RemoteCatalog({ queryUrl: capped.queryUrl, timeoutMs: 10_000, cacheDir });
    const tokens = await far.vocabulary();
    expect(tokens.length).toBeGreaterThan(1000);
    const [file, ...others] = readdirSync(cacheDir);
    expect(others).toEqual([]);
    const digest = createHash('sha256').update(catalogText).digest('hex');
    expect(file?.endsWith(`-${digest}.tokens`)).toBe(true);
    // The next process reads the file, not the endpoint: a token only the file has comes back.
    writeFileSync(join(cacheDir, file ?? ''), `${['0-only-in-the-cache', ...tokens].join('\n')}\n`);
    expect((await new RemoteCatalog({ queryUrl: capped.queryUrl, timeoutMs: 10_000, cacheDir }).vocabulary())[0]).toBe(
      '0-only-in-the-cache',
    );
  }, 120_000);

  it("pages a user's query past the limit, and says so plainly of one that cannot be paged", async () => {
    const far = new RemoteCatalog({ queryUrl: capped.queryUrl, timeoutMs: 10_000 });
    const all = await far.runReadOnly(
      'PREFIX gg: <https://ggen.dev/ns/marketplace#> SELECT ?name WHERE { ?p a gg:Package ; gg:name ?name }',
    );
    expect(all.kind === 'select' ? new Set(all.rows.map((row) => row.name?.value)).size : 0).toBe(3000);
    expect(await codeOf(far.runReadOnly('SELECT * WHERE { ?s ?p ?o }'))).toBe('GGEN_E_REGISTRY_HTTP');
  }, 120_000);
});
