import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import type { CatalogPackage, PackageSummary, SearchQuery } from '@ggen/marketplace-core';
import {
  catalogToNQuadChunks,
  catalogToNQuads,
  EmbeddedCatalog,
  fetchCatalogChunks,
  generateQuery,
  predicatesOf,
  searchAst,
  searchPlan,
  localStoreDir,
  openLocalStore,
  readCatalogPackages,
  QueryCache,
  ShardedCatalog,
  SparqlSearchEngine,
  syncLocalStore,
  CATALOG_GRAPH,
  PACKAGE_PREFIX,
  V,
  V2Registry,
  writeV2Catalog,
  type CatalogSource,
} from '@ggen/marketplace-v2';
import { codeOf } from '../../../tools/testing/coded-error.mjs';
import { loadNpmRows, toCatalogPackages } from '../../../tools/testing/npm-sample.mjs';
import { fetchOptions, query, sampleRegistry, sharded, temp } from './fixtures.js';

const fetch = fetchOptions;

const QUERIES: [string, Partial<SearchQuery>][] = [
  ['agent memory', {}],
  ['agent-editor', {}],
  ['bibtex', {}],
  ['rust web framework', {}],
  ['helthcare', {}],
  ['sparq', {}],
  ['api', { sort: 'downloads' }],
  ['agent', { limit: 3, offset: 3 }],
  ['agent', { sort: 'name', order: 'desc' }],
  ['', { category: 'finance' }],
  ['', { category: 'AI-Agents', sort: 'name' }],
  ['', { keyword: 'rust' }],
  ['', { tags: ['rust', 'web'] }],
  ['', { minDownloads: 0, limit: 100 }],
  ['workflow', { author: 'ggen team' }],
  ['', { license: 'mit', limit: 5 }],
  ['no-such-word-anywhere', {}],
];

/** What a search answers, with the query beside it (so a failure names it): its total and packages. */
async function answer(
  engine: SparqlSearchEngine,
  text: string,
  extra: Partial<SearchQuery>,
): Promise<{ text: string; extra: Partial<SearchQuery>; total: number; packages: unknown[] }> {
  const { total, packages } = await engine.search(query(text, extra));
  return { text, extra, total, packages };
}

describe('the sharded local store answers as the whole catalog does', () => {
  it('on the sample registry: same names, scores and totals for every query shape', async () => {
    const whole = new SparqlSearchEngine(new EmbeddedCatalog(readFileSync(join(sampleRegistry, 'catalog.nq'), 'utf8')));
    const local = new SparqlSearchEngine(await sharded(sampleRegistry));
    for (const [text, extra] of QUERIES) {
      expect(await answer(local, text, extra)).toEqual(await answer(whole, text, extra));
    }
  });

  it('on a catalog written before tokens were typed (plain string tokens): the same answers, embedded and local', async () => {
    const typed = readFileSync(join(sampleRegistry, 'catalog.nq'), 'utf8');
    const tokenType = `^^<${V.Token}>`;
    const plain = typed.replaceAll(tokenType, '');
    expect(plain.length).toBeLessThan(typed.length - tokenType.length * 100);
    const registry = temp('ggen-plain-tokens-');
    cpSync(sampleRegistry, registry, { recursive: true });
    writeFileSync(join(registry, 'catalog.nq'), plain);
    const whole = new SparqlSearchEngine(new EmbeddedCatalog(typed));
    const old = new SparqlSearchEngine(new EmbeddedCatalog(plain));
    const local = new SparqlSearchEngine(await sharded(registry));
    let found = 0;
    for (const [text, extra] of QUERIES) {
      const expected = await answer(whole, text, extra);
      if (text !== '' && expected.packages.length > 0) found += 1;
      for (const engine of [old, local]) expect(await answer(engine, text, extra)).toEqual(expected);
    }
    // Every ranked query but the word no catalog has found something.
    expect(found).toBe(QUERIES.filter(([text]) => text !== '').length - 1);
  });

  it('on a catalog whose packages come in another order: sync cuts it as it streams, whatever the order', async () => {
    const packages = readCatalogPackages(
      new EmbeddedCatalog(readFileSync(join(sampleRegistry, 'catalog.nq'), 'utf8')).store,
    );
    const pieces = catalogToNQuadChunks(packages);
    // One piece per package, then the count line: the packages reversed, postings and all.
    const reversed = [...pieces.slice(0, -1).reverse(), pieces.at(-1) ?? ''].join('');
    expect(reversed).not.toBe(pieces.join(''));
    const registry = temp('ggen-reversed-');
    cpSync(sampleRegistry, registry, { recursive: true });
    writeFileSync(join(registry, 'catalog.nq'), reversed);
    const whole = new SparqlSearchEngine(new EmbeddedCatalog(readFileSync(join(sampleRegistry, 'catalog.nq'), 'utf8')));
    const local = new SparqlSearchEngine(await sharded(registry));
    for (const [text, extra] of QUERIES)
      expect(await answer(local, text, extra)).toEqual(await answer(whole, text, extra));
    const catalog = await sharded(registry);
    expect(await catalog.readPackages(['agent-reasoning-mcp'])).toEqual(
      packages.filter((pkg) => pkg.name === 'agent-reasoning-mcp'),
    );
  });

  it('on a 1,000-package npm catalog, and for package reads and dependency closures', async () => {
    const registry = temp('ggen-npm-');
    const packages = toCatalogPackages(loadNpmRows(1000));
    await writeV2Catalog(registry, packages);
    const wholeCatalog = new EmbeddedCatalog(readFileSync(join(registry, 'catalog.nq'), 'utf8'));
    const whole = new SparqlSearchEngine(wholeCatalog);
    const catalog = await sharded(registry);
    const local = new SparqlSearchEngine(catalog);
    for (const text of [
      'react',
      'http client',
      'test runner',
      'lodash',
      'typescript types',
      'expres',
      'css',
      'date format',
      'cli',
    ]) {
      const expected = await whole.search(query(text, { limit: 20 }));
      expect(await local.search(query(text, { limit: 20 }))).toEqual({ ...expected, queryTimeMs: expect.any(Number) });
    }
    // A search loads only its candidates in full detail: the page, not the catalog; and, without
    // a filter, no candidate's filter keys but the results' (read with their detail).
    expect(catalog.loaded.detailed).toBeLessThanOrEqual(9 * 20);
    expect(catalog.loaded.ranked).toBeLessThan(1000);
    expect(catalog.loaded.ranked).toBeGreaterThan(catalog.loaded.detailed);
    expect(catalog.loaded.filtered).toBe(catalog.loaded.detailed);
    const filtered = query('http', { license: 'mit', limit: 20 });
    expect(await local.search(filtered)).toEqual({
      ...(await whole.search(filtered)),
      queryTimeMs: expect.any(Number),
    });
    expect(catalog.loaded.filtered).toBeGreaterThan(catalog.loaded.detailed);
    const names = packages.slice(0, 50).map((pkg) => pkg.name);
    expect(await catalog.readPackages(names)).toEqual(await wholeCatalog.readPackages(names));
  });

  it('browses (no words, no filters) by every order from the orders sync kept: the page read, the total known', async () => {
    const registry = temp('ggen-npm-browse-');
    // Past BROWSE_KEPT (1,000), so that a page beyond the kept orders is asked too; stars tie often.
    const packages = toCatalogPackages(loadNpmRows(1200)).map((pkg, at) => ({ ...pkg, stars: at % 7 }));
    await writeV2Catalog(registry, packages);
    const whole = new SparqlSearchEngine(new EmbeddedCatalog(readFileSync(join(registry, 'catalog.nq'), 'utf8')));
    const pages: Partial<SearchQuery>[] = [
      { limit: 20 },
      { sort: 'downloads', limit: 20, offset: 40 },
      { sort: 'stars', limit: 10, offset: 5 },
      { sort: 'name', limit: 20, offset: 30 },
      { sort: 'name', order: 'desc', limit: 15 },
      { sort: 'downloads', limit: 20, offset: 990 },
      { sort: 'downloads', order: 'asc', limit: 10 },
      { sort: 'stars', limit: 10, offset: 1195 },
    ];
    for (const extra of pages) {
      const catalog = await sharded(registry);
      const expected = await answer(whole, '', extra);
      expect(await answer(new SparqlSearchEngine(catalog), '', extra)).toEqual(expected);
      expect(expected.total).toBe(1200);
      const end = (extra.offset ?? 0) + (extra.limit ?? 20);
      // Within the kept orders only the page's packages are read; past them, or ascending by a number, every one.
      const kept = end <= 1000 && extra.order !== 'asc';
      expect({ extra, ranked: catalog.loaded.ranked }).toEqual({ extra, ranked: kept ? end : 1200 });
    }
  });

  it('kept by a long-lived process, stays within its bound and answers as the whole catalog does', async () => {
    const registry = temp('ggen-npm-bound-');
    const packages = toCatalogPackages(loadNpmRows(1000));
    await writeV2Catalog(registry, packages);
    const wholeCatalog = new EmbeddedCatalog(readFileSync(join(registry, 'catalog.nq'), 'utf8'));
    const whole = new SparqlSearchEngine(wholeCatalog);
    const files = await openLocalStore({ ...fetchOptions, registry, storeRoot: temp('ggen-store-') });
    if (files === undefined) throw new Error('no local store');
    const bounded = new ShardedCatalog(files, { maxLoadedPackages: 200 });
    const unbounded = new ShardedCatalog(files);
    const engines = [new SparqlSearchEngine(bounded), new SparqlSearchEngine(unbounded)];
    const lookups = packages.filter((_, index) => index % 25 === 0).map((pkg) => pkg.name);
    let most = 0;
    for (const name of lookups) {
      const expected = await whole.search(query(name));
      for (const engine of engines)
        expect({ name, answer: await engine.search(query(name)) }).toEqual({
          name,
          answer: { ...expected, queryTimeMs: expect.any(Number) },
        });
      const read = [name, lookups[0] ?? name];
      const expectedPackages = await wholeCatalog.readPackages(read);
      for (const catalog of [bounded, unbounded]) expect(await catalog.readPackages(read)).toEqual(expectedPackages);
      const { ranked, filtered, detailed } = bounded.loaded;
      most = Math.max(most, ranked + filtered + detailed);
    }
    // Past 200 packages' parts, a command starts from an empty store; without a bound the
    // same lookups keep everything they ever loaded.
    const all = unbounded.loaded;
    expect(unbounded.resets).toBe(0);
    expect(bounded.resets).toBeGreaterThan(2);
    expect(most).toBeLessThan((all.ranked + all.filtered + all.detailed) / 2);
  });

  it('puts into oxigraph only what each search can match, and the rest as soon as a query may need it', async () => {
    const whole = new EmbeddedCatalog(readFileSync(join(sampleRegistry, 'catalog.nq'), 'utf8'));
    const catalog = await sharded(sampleRegistry);
    const local = new SparqlSearchEngine(catalog);
    // A search's query ranks on postings and popularity: the filter keys read (its results',
    // with their detail) wait outside oxigraph until a query names them.
    expect(catalog.engineStarted).toBe(false);
    await local.search(query('agent memory'));
    const ranking = searchAst(
      searchPlan(await local.expand('agent memory'), {}, { sort: 'relevance', limit: 10, offset: 0 }),
    );
    await catalog.select(generateQuery(ranking), { predicates: predicatesOf(ranking) ?? new Set<string>() });
    expect(catalog.engineStarted).toBe(true);
    const waiting = catalog.loaded.deferred;
    expect(waiting[V.categoryKey]).toBeGreaterThan(0);
    expect([V.token, V.weight, V.postingOf, V.popularity].filter((predicate) => predicate in waiting)).toEqual([]);
    // A filter on a key that was waiting brings that key in: the answer is the whole catalog's.
    const filtered = query('agent', { category: 'ai-agents', limit: 50 });
    expect(await local.search(filtered)).toEqual({
      ...(await new SparqlSearchEngine(whole).search(filtered)),
      queryTimeMs: expect.any(Number),
    });
    const byCategory = searchAst(
      searchPlan(await local.expand('agent'), { category: 'ai-agents' }, { sort: 'relevance', limit: 50, offset: 0 }),
    );
    const rows = await catalog.select(generateQuery(byCategory), {
      predicates: predicatesOf(byCategory) ?? new Set<string>(),
    });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows).toEqual(await whole.select(generateQuery(byCategory)));
    expect(V.categoryKey in catalog.loaded.deferred).toBe(false);
    expect(catalog.loaded.deferred[V.hasVersion]).toBeGreaterThan(0);
    // A query with no scope (any SPARQL) gets every line read so far.
    const descriptions = `SELECT ?pkg ?d WHERE { GRAPH <${CATALOG_GRAPH}> { ?pkg <${V.description}> ?d } } ORDER BY ?pkg`;
    const described = await catalog.select(descriptions);
    expect(catalog.loaded.deferred).toEqual({});
    // Every package read in full (the results so far) has its description there, as in the whole catalog.
    expect(new Set(described.map((row) => row.pkg)).size).toBe(catalog.loaded.detailed);
    const wholeRows = await whole.select(descriptions);
    expect(described).toEqual(wholeRows.filter((row) => described.some((one) => one.pkg === row.pkg)));
  });

  it('gives the same dependency closure through the v2 registry', async () => {
    const storeRoot = temp('ggen-store-');
    const viaStore = new V2Registry({ ...fetch, location: sampleRegistry, storeRoot });
    const viaWhole = new V2Registry({ ...fetch, location: sampleRegistry });
    for (const name of ['agent-reasoning-mcp', 'academic-peer-review-workflow', 'agent-editor']) {
      expect(await viaStore.dependencyClosure(name)).toEqual(await viaWhole.dependencyClosure(name));
    }
  });
});

describe('sync', () => {
  function registryCopy(): string {
    const dir = temp('ggen-registry-');
    cpSync(sampleRegistry, dir, { recursive: true });
    return dir;
  }

  it('creates the store, then does nothing while the catalog is unchanged, and updates when it changes', async () => {
    const registry = registryCopy();
    const storeRoot = temp('ggen-store-');
    const first = await syncLocalStore({ ...fetch, registry, storeRoot });
    expect(first).toMatchObject({ status: 'created', packages: 77 });
    const versions = readdirSync(first.store);
    expect(await syncLocalStore({ ...fetch, registry, storeRoot })).toMatchObject({
      status: 'unchanged',
      digest: first.digest,
    });
    // Same bytes, new mtime: read and hashed, and the version in use stays (what was cut is thrown away).
    writeFileSync(join(registry, 'catalog.nq'), readFileSync(join(registry, 'catalog.nq')));
    expect(await syncLocalStore({ ...fetch, registry, storeRoot })).toMatchObject({ status: 'unchanged' });
    expect(readdirSync(first.store)).toEqual(versions);
    // Another catalog (as a registry writes it, with one package less): rebuilt.
    const packages = readCatalogPackages(
      new EmbeddedCatalog(readFileSync(join(registry, 'catalog.nq'), 'utf8')).store,
    ).filter((pkg) => pkg.name !== 'agent-editor');
    writeFileSync(join(registry, 'catalog.nq'), catalogToNQuads(packages));
    const updated = await syncLocalStore({ ...fetch, registry, storeRoot });
    expect(updated.status).toBe('updated');
    expect(updated.digest).not.toBe(first.digest);
  });

  it('keeps the last good store when the catalog is damaged, and says so with a code', async () => {
    const registry = registryCopy();
    const storeRoot = temp('ggen-store-');
    const good = await syncLocalStore({ ...fetch, registry, storeRoot });
    writeFileSync(join(registry, 'catalog.nq'), '<urn:a> <urn:b> "never closed .\n');
    expect(await codeOf(syncLocalStore({ ...fetch, registry, storeRoot }))).toBe('GGEN_E_INDEX_INVALID');
    const current = JSON.parse(readFileSync(join(localStoreDir(storeRoot, registry), 'current.json'), 'utf8')) as {
      digest: string;
      version: string;
    };
    expect(current.digest).toBe(good.digest);
    expect(existsSync(join(localStoreDir(storeRoot, registry), current.version, 'index.json'))).toBe(true);
  });

  it('refuses a catalog whose package triples are apart, or that has a package twice, and keeps the last good store', async () => {
    const registry = registryCopy();
    const storeRoot = temp('ggen-store-');
    const good = await syncLocalStore({ ...fetch, registry, storeRoot });
    const pieces = catalogToNQuadChunks(
      readCatalogPackages(new EmbeddedCatalog(readFileSync(join(registry, 'catalog.nq'), 'utf8')).store),
    );
    const counted = (blocks: string[]): string => {
      const lines = blocks
        .join('')
        .split('\n')
        .filter((line) => line !== '');
      return `${lines.join('\n')}\n<${CATALOG_GRAPH}> <${V.quadCount}> "${lines.length}"^^<${V.integer}> <${CATALOG_GRAPH}> .\n`;
    };
    const packageBlocks = pieces.slice(0, -1);
    // The description of the first package, moved into the last package's block.
    const first = (packageBlocks[0] ?? '').split('\n');
    const description = first.findIndex((line) => line.includes(V.description));
    expect(description).toBeGreaterThan(0);
    const [moved] = first.splice(description, 1);
    const apart = [first.join('\n'), ...packageBlocks.slice(1, -1), `${packageBlocks.at(-1) ?? ''}${moved ?? ''}\n`];
    const twice = [...packageBlocks, packageBlocks[3] ?? ''];
    for (const [blocks, message] of [
      [apart, /are apart from its package's/],
      [twice, /is written twice/],
    ] as const) {
      writeFileSync(join(registry, 'catalog.nq'), counted([...blocks]));
      const sync = syncLocalStore({ ...fetch, registry, storeRoot });
      await expect(sync).rejects.toMatchObject({
        code: 'GGEN_E_INDEX_INVALID',
        message: expect.stringMatching(message),
      });
      const current = JSON.parse(readFileSync(join(localStoreDir(storeRoot, registry), 'current.json'), 'utf8')) as {
        digest: string;
      };
      expect(current.digest).toBe(good.digest);
      // No directory of the refused cut is left behind.
      expect(readdirSync(good.store).filter((name) => name.endsWith('.partial'))).toEqual([]);
    }
    // The same catalog with its lines counted as written is usable: the refusals were the order, not the count.
    writeFileSync(join(registry, 'catalog.nq'), counted(packageBlocks));
    expect(await syncLocalStore({ ...fetch, registry, storeRoot })).toMatchObject({ packages: 77 });
  });

  it('cuts a package whose nodes chain deeper than the stack (a hostile block) without overflowing it', async () => {
    const registry = temp('ggen-deep-');
    const pkg = `${PACKAGE_PREFIX}deep`;
    const quad = (subject: string, predicate: string, object: string): string =>
      `<${subject}> <${predicate}> ${object} <${CATALOG_GRAPH}> .`;
    const lines = [
      quad(pkg, V.type, `<${V.Package}>`),
      quad(pkg, V.name, '"deep"'),
      quad(pkg, V.latestVersion, `<${pkg}/0>`),
      quad(pkg, V.hasVersion, `<${pkg}/0>`),
    ];
    // Each node links the next as a version of it: 50,000 deep.
    for (let at = 0; at < 50_000; at += 1) lines.push(quad(`${pkg}/${at}`, V.hasVersion, `<${pkg}/${at + 1}>`));
    lines.push(quad(CATALOG_GRAPH, V.quadCount, `"${lines.length}"^^<${V.integer}>`));
    writeFileSync(join(registry, 'catalog.nq'), `${lines.join('\n')}\n`);
    const storeRoot = temp('ggen-store-');
    expect(await syncLocalStore({ ...fetch, registry, storeRoot })).toMatchObject({ packages: 1, triples: 50_004 });
  });

  it('cuts in the worker of the built library, whatever flags the process runs with (node --input-type=module -e)', async () => {
    const packageRoot = resolve(dirname(sampleRegistry), '..', 'marketplace-v2');
    // The test target builds the library first: the worker is there, so the sync below runs in it.
    expect(existsSync(join(packageRoot, 'dist', 'local-store', 'sync-worker.js'))).toBe(true);
    const registry = registryCopy();
    const storeRoot = temp('ggen-store-');
    const script = `import { syncLocalStore } from '@ggen/marketplace-v2';
const result = await syncLocalStore({ timeoutMs: 10000, retries: 0, registry: ${JSON.stringify(registry)}, storeRoot: ${JSON.stringify(storeRoot)} });
process.stdout.write(JSON.stringify({ status: result.status, packages: result.packages }));`;
    // A worker inherits the process's flags unless told otherwise, and refuses --input-type.
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageRoot,
    });
    expect(JSON.parse(stdout)).toEqual({ status: 'created', packages: 77 });
    expect(await syncLocalStore({ ...fetch, registry, storeRoot })).toMatchObject({
      status: 'unchanged',
      packages: 77,
    });
  });

  it('lets two processes sync at once: both succeed and the store ends in one piece', async () => {
    const registry = registryCopy();
    const storeRoot = temp('ggen-store-');
    const results = await Promise.all([
      syncLocalStore({ ...fetch, registry, storeRoot }),
      syncLocalStore({ ...fetch, registry, storeRoot }),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual(['created', 'unchanged']);
    const files = await openLocalStore({ ...fetch, registry, storeRoot });
    expect(files?.index.packages).toHaveLength(77);
  });

  it('opens its index from files it need not parse, and uses no store whose files do not fit each other', async () => {
    const registry = registryCopy();
    const storeRoot = temp('ggen-store-');
    const files = await openLocalStore({ ...fetch, registry, storeRoot });
    if (files === undefined) throw new Error('no local store');
    expect(files.index.packages.length).toBe(77);
    expect(files.index.packageRanges.length).toBe(77 * 4);
    expect(files.index.tokens.length).toBeGreaterThan(100);
    expect(files.index.tokenRanges.length).toBe(files.index.tokens.length * 2);
    // Both lists sorted, as the binary searches read them.
    for (const lines of [files.index.packages, files.index.tokens]) {
      const list = Array.from({ length: lines.length }, (_, at) => lines.at(at));
      expect(list).toEqual([...list].sort());
    }
    // ranges.bin cut short: the store is not used, and the registry answers from the whole catalog.
    const ranges = join(files.dir, 'ranges.bin');
    writeFileSync(ranges, readFileSync(ranges).subarray(0, 100));
    expect(await openLocalStore({ ...fetch, registry, storeRoot })).toBeUndefined();
    const engine = new SparqlSearchEngine(await new V2Registry({ ...fetch, location: registry, storeRoot }).catalog());
    const whole = new SparqlSearchEngine(new EmbeddedCatalog(readFileSync(join(registry, 'catalog.nq'), 'utf8')));
    expect(await engine.search(query('agent'))).toEqual({
      ...(await whole.search(query('agent'))),
      queryTimeMs: expect.any(Number),
    });
  });

  it('reads depends.json when a dependency closure first needs it, and a damaged one is a coded error', async () => {
    const registry = registryCopy();
    const files = await openLocalStore({ ...fetch, registry, storeRoot: temp('ggen-store-') });
    if (files === undefined) throw new Error('no local store');
    expect(await new ShardedCatalog(files).prepareDependencies('agent-reasoning-mcp')).toEqual(
      expect.arrayContaining(['agent-reasoning-mcp', 'agent-memory-forge', 'agent-context-crafter']),
    );
    writeFileSync(join(files.dir, 'depends.json'), '{"0": [1');
    const damaged = await openLocalStore({ ...fetch, registry, storeRoot: dirname(dirname(files.dir)) });
    if (damaged === undefined) throw new Error('no local store');
    const closure = new ShardedCatalog(damaged).prepareDependencies('agent-reasoning-mcp');
    expect(await codeOf(closure)).toBe('GGEN_E_INDEX_INVALID');
    await expect(closure).rejects.toMatchObject({ hint: expect.stringMatching(/sync --force/) });
  });

  it('rebuilds a store synced in an older format when it is opened', async () => {
    const registry = registryCopy();
    const storeRoot = temp('ggen-store-');
    await syncLocalStore({ ...fetch, registry, storeRoot });
    const currentPath = join(localStoreDir(storeRoot, registry), 'current.json');
    const before = JSON.parse(readFileSync(currentPath, 'utf8')) as { format: number; version: string };
    writeFileSync(currentPath, JSON.stringify({ ...before, format: 2 }));
    const files = await openLocalStore({ ...fetch, registry, storeRoot });
    const after = JSON.parse(readFileSync(currentPath, 'utf8')) as { format: number; version: string };
    expect(after.format).toBe(before.format);
    expect(after.version).not.toBe(before.version);
    expect(files?.index.packages.length).toBe(77);
  });

  it('refreshes a file registry by itself when a publish changed its catalog', async () => {
    const registry = registryCopy();
    const storeRoot = temp('ggen-store-');
    await syncLocalStore({ ...fetch, registry, storeRoot });
    const { readV2CatalogFile } = await import('@ggen/marketplace-v2');
    const packages = await readV2CatalogFile(registry);
    await writeV2Catalog(registry, [
      ...packages,
      { ...packages[0]!, name: 'brand-new-pack', description: 'freshly published zebra pack' },
    ]);
    const engine = new SparqlSearchEngine(await new V2Registry({ ...fetch, location: registry, storeRoot }).catalog());
    expect((await engine.search(query('zebra'))).packages.map((pkg) => pkg.name)).toEqual(['brand-new-pack']);
  });

  it('retains opened stores for a long-lived process: the same store and catalog until the catalog changes', async () => {
    const registry = registryCopy();
    const storeRoot = temp('ggen-store-');
    const open = (cache?: QueryCache): Promise<CatalogSource> =>
      new V2Registry({ ...fetch, location: registry, storeRoot, ...(cache === undefined ? {} : { cache }) }).catalog();
    // One-shot runs (no cache, or one that retains nothing) keep nothing: every registry object opens its own.
    expect(await open()).not.toBe(await open());
    const oneShot = new QueryCache();
    expect(await open(oneShot)).not.toBe(await open(oneShot));
    expect(oneShot.stores()).toEqual([]);
    // The query service's cache, passed in through the options, keeps `retain` stores.
    const cache = new QueryCache({ retain: 1 });
    {
      const first = await open(cache);
      expect(await open(cache)).toBe(first);
      const before = cache.stores();
      expect(before).toHaveLength(1);
      expect(before[0]?.startsWith(localStoreDir(storeRoot, registry))).toBe(true);
      const { readV2CatalogFile } = await import('@ggen/marketplace-v2');
      const packages = await readV2CatalogFile(registry);
      await writeV2Catalog(registry, [
        ...packages,
        { ...packages[0]!, name: 'brand-new-pack', description: 'freshly published zebra pack' },
      ]);
      const refreshed = await open(cache);
      expect(refreshed).not.toBe(first);
      expect((await new SparqlSearchEngine(refreshed).search(query('zebra'))).packages.map((pkg) => pkg.name)).toEqual([
        'brand-new-pack',
      ]);
      // At most `limit` stores: the refreshed catalog's version replaced the old one.
      const after = cache.stores();
      expect(after).toHaveLength(1);
      expect(after[0]?.startsWith(localStoreDir(storeRoot, registry))).toBe(true);
      expect(after[0]).not.toBe(before[0]);
    }
    // Another cache (another process) shares nothing with it.
    expect(await open(new QueryCache({ retain: 1 }))).not.toBe(await open(cache));
  });
});

describe('packages read back from the shards, without oxigraph', () => {
  const tricky = (name: string, extra: Partial<CatalogPackage> = {}): CatalogPackage => ({
    name,
    description: `a "quoted" \\ back-slashed\nmulti-line\ttabbed description, café, 😀 and \u0001 control`,
    tags: ['t "1"', 'ünï'],
    keywords: ['k\\w', '𝒳'],
    downloads: 42,
    stars: 7,
    latest: '2.0.0',
    versions: [
      {
        version: '1.0.0',
        dependencies: { zeta: '^1', alpha: '~2.1', 'mid-dep': '*' },
        yanked: true,
        integrity: 'sha512-abc',
        archive: 'archives/x-1.0.0.tgz',
      },
      { version: '2.0.0', dependencies: {}, yanked: false, readme: '# Title\n\n"quotes" and \\ and 😀' },
    ],
    extra: { note: 'line\nbreak', nested: { a: [1, 2] } },
    author: 'Zoë "the" Author',
    license: 'MIT',
    repository: 'https://example.com/r?a=1&b=2',
    ...extra,
  });

  it('gives what oxigraph gives for the same catalog: escapes, several objects, every field', async () => {
    const registry = temp('ggen-tricky-');
    const packages = [
      tricky('tricky-one'),
      tricky('tricky-two', { category: 'Ünïcode', downloads: 0 }),
      tricky('plain'),
    ];
    await writeV2Catalog(registry, packages);
    const whole = new EmbeddedCatalog(readFileSync(join(registry, 'catalog.nq'), 'utf8'));
    const catalog = await sharded(registry);
    const names = ['tricky-one', 'tricky-two', 'plain', 'not-there'];
    const fromShards = await catalog.readPackages(names);
    expect(catalog.engineStarted).toBe(false);
    expect(fromShards).toEqual(await whole.readPackages(names));
    expect(fromShards.map((pkg) => pkg.name)).toEqual(['plain', 'tricky-one', 'tricky-two']);
    // Several objects of one predicate come in one order (by value) from either store.
    expect(Object.keys(fromShards[0]?.versions[1]?.dependencies ?? {})).toEqual(['alpha', 'mid-dep', 'zeta']);
    expect(fromShards[1]?.description).toBe(packages[0]?.description);
    const summaries = await catalog.readSummaries(names);
    expect(summaries.map((summary) => summary.name).sort()).toEqual(['plain', 'tricky-one', 'tricky-two']);
    const sparql = await whole.readSummaries(names);
    expect(summaries.sort((a, b) => (a.name < b.name ? -1 : 1))).toEqual(
      sparql.sort((a, b) => (a.name < b.name ? -1 : 1)),
    );
  });

  it('gives what oxigraph gives for every package of the sample registry', async () => {
    const whole = new EmbeddedCatalog(readFileSync(join(sampleRegistry, 'catalog.nq'), 'utf8'));
    const names = (await whole.allPackages()).map((pkg) => pkg.name);
    expect(names.length).toBeGreaterThan(70);
    const catalog = await sharded(sampleRegistry);
    expect(await catalog.readPackages(names)).toEqual(await whole.readPackages(names));
    const byName = (summaries: PackageSummary[]): PackageSummary[] =>
      [...summaries].sort((a, b) => (a.name < b.name ? -1 : 1));
    const summaries = await catalog.readSummaries([...names, 'not-there']);
    expect(summaries).toHaveLength(names.length);
    expect(byName(summaries)).toEqual(byName(await whole.readSummaries(names)));
    // Asked again (as the query service asks a store it keeps), in part: the same summaries, in the order asked.
    const some = [names[5] ?? '', 'not-there', names[2] ?? ''];
    expect(await catalog.readSummaries(some)).toEqual(
      byName(await whole.readSummaries(some)).sort((a, b) => some.indexOf(a.name) - some.indexOf(b.name)),
    );
  });

  it('a damaged shard is a coded error that says how to rebuild the store', async () => {
    const registry = temp('ggen-damaged-');
    await writeV2Catalog(registry, [tricky('tricky-one')]);
    const files = await openLocalStore({ ...fetch, registry, storeRoot: temp('ggen-store-') });
    if (files === undefined) throw new Error('no local store');
    const shard = join(files.dir, 'packages.nq');
    const text = readFileSync(shard, 'utf8');
    writeFileSync(shard, `X${text.slice(1)}`);
    const read = new ShardedCatalog(files).readPackages(['tricky-one']);
    expect(await codeOf(read)).toBe('GGEN_E_INDEX_INVALID');
    await expect(read).rejects.toMatchObject({ hint: expect.stringMatching(/sync --force/) });
  });
});

describe('a file catalog read in line-aligned chunks (sync)', () => {
  it('gives the whole text back in chunks that end at a line, with the sha256 and line count of the whole', async () => {
    const registry = temp('ggen-chunks-');
    // Multi-byte characters (é, ü) cross the small read blocks; lines cross the chunks.
    await writeV2Catalog(registry, [
      ...toCatalogPackages(loadNpmRows(40)),
      { ...toCatalogPackages(loadNpmRows(1))[0]!, name: 'accents', description: 'café über naïve '.repeat(50) },
    ]);
    const text = readFileSync(join(registry, 'catalog.nq'), 'utf8');
    const read = await fetchCatalogChunks(registry, fetch, { readBytes: 777, chunkChars: 5000 });
    expect(read.chunks.length).toBeGreaterThan(10);
    for (const chunk of read.chunks) expect(chunk.endsWith('\n')).toBe(true);
    expect(read.chunks.join('')).toBe(text);
    expect(read.digest).toBe(createHash('sha256').update(text).digest('hex'));
    expect(read.bytes).toBe(Buffer.byteLength(text));
    expect(read.lines).toBe(text.split('\n').length - 1);
    // The default sizes read it as one chunk, with the same digest: a store synced before stays unchanged.
    expect((await fetchCatalogChunks(registry, fetch)).digest).toBe(read.digest);
  });

  it('refuses what is not a regular file, a line with no end, and a registry with no catalog, each with a code', async () => {
    const device = temp('ggen-device-');
    symlinkSync('/dev/zero', join(device, 'catalog.nq'));
    expect(await codeOf(fetchCatalogChunks(device, fetch))).toBe('GGEN_E_INDEX_INVALID');
    const endless = temp('ggen-endless-');
    writeFileSync(join(endless, 'catalog.nq'), 'x'.repeat(50_000));
    expect(await codeOf(fetchCatalogChunks(endless, fetch, { readBytes: 1000, chunkChars: 1000 }))).toBe(
      'GGEN_E_INDEX_INVALID',
    );
    expect(await codeOf(fetchCatalogChunks(temp('ggen-empty-'), fetch))).toBe('GGEN_E_REGISTRY_UNREACHABLE');
  });
});
