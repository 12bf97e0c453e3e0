import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registryWriter, withFileLock, type CatalogPackage } from '@ggen/marketplace-core';
import {
  bringEndpointInStep,
  catalogStat,
  CATALOG_GRAPH,
  ENDPOINT_PUSH_LOCK_FILE,
  pushCatalog,
  pushEndpoint,
  readJournal,
  compactRegistry,
  digestFetch,
  EmbeddedCatalog,
  fetchCatalogChunks,
  RemoteCatalog,
  SparqlSearchEngine,
  updateEndpoint,
  V,
  writeCatalogPackages,
  writeV2Catalog,
  type EndpointFollowOptions,
} from '@ggen/marketplace-v2';
import { loadNpmRows, toCatalogPackages } from '../../../tools/testing/npm-sample.mjs';
import { startVirtuoso, type RunningVirtuoso } from '../../../tools/testing/virtuoso.mjs';
import { fetchOptions, fullPackage, query, temp } from './fixtures.js';
import { codeOf } from '../../../tools/testing/coded-error.mjs';

// A real SPARQL server: OpenLink Virtuoso from Debian, installed by .ci/run.
let virtuoso: RunningVirtuoso;

beforeAll(async () => {
  virtuoso = await startVirtuoso();
}, 90_000);

afterAll(async () => {
  await virtuoso.stop();
}, 30_000);

function target(server: RunningVirtuoso): EndpointFollowOptions['remote'] {
  return {
    queryUrl: server.queryUrl,
    graphStoreUrl: server.graphStoreUrl,
    updateUrl: server.updateUrl,
    user: server.user,
    password: server.password,
    timeoutMs: 20_000,
  };
}

const REFERENCE = `${CATALOG_GRAPH}-reference`;

/** The merged catalog of `dir` loaded beside the live graph, as the reference graph (the Graph Store protocol, as a push does). */
async function loadReference(dir: string): Promise<void> {
  const remote = target(virtuoso);
  await updateEndpoint(remote, `DROP SILENT GRAPH <${REFERENCE}>`, 'dropping the reference');
  const suffix = ` <${CATALOG_GRAPH}> .`;
  const triples = (await fetchCatalogChunks(dir, fetchOptions)).chunks
    .join('')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `${line.slice(0, -suffix.length)} .`);
  for (let start = 0; start < triples.length; start += 5000) {
    const response = await digestFetch(`${remote.graphStoreUrl}?graph-uri=${encodeURIComponent(REFERENCE)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/n-triples' },
      body: `${triples.slice(start, start + 5000).join('\n')}\n`,
      user: remote.user,
      password: remote.password,
    });
    expect(response.status).toBeLessThan(300);
    await response.body?.cancel();
  }
}

/**
 * Triples of graph `a` that graph `b` lacks: every triple but the closing count and the
 * definitions of posting nodes no package links any more (the merged catalog keeps the base's
 * for its journaled packages; the endpoint keeps the ones of blocks it replaced).
 */
async function lacking(a: string, b: string): Promise<string[]> {
  const catalog = new RemoteCatalog({ queryUrl: virtuoso.queryUrl, timeoutMs: 20_000 });
  const rows = await catalog.select(
    `SELECT ?s ?p ?o WHERE { GRAPH <${a}> { ?s ?p ?o . FILTER(?p != <${V.quadCount}>) FILTER(!(?p IN (<${V.token}>, <${V.weight}>)) || EXISTS { ?s <${V.postingOf}> ?linked }) } FILTER NOT EXISTS { GRAPH <${b}> { ?s ?p ?o } } }`,
  );
  return rows.map((row) => `${row.s} ${row.p} ${row.o}`);
}

async function liveGraph(): Promise<string> {
  return (await new RemoteCatalog({ queryUrl: virtuoso.queryUrl, timeoutMs: 20_000 }).generations()).current;
}

/** The endpoint's live graph holds exactly the directory's merged catalog. */
async function expectSameCatalog(dir: string): Promise<void> {
  await loadReference(dir);
  const live = await liveGraph();
  expect(await lacking(REFERENCE, live)).toEqual([]);
  expect(await lacking(live, REFERENCE)).toEqual([]);
}

/** A registry directory of `size` npm-derived packs, and the options that keep the test's Virtuoso in step with it. */
async function followed(size: number): Promise<{
  dir: string;
  packages: CatalogPackage[];
  options: EndpointFollowOptions;
}> {
  const dir = temp('ggen-follow-');
  const packages = toCatalogPackages(loadNpmRows(size));
  await writeV2Catalog(dir, packages);
  const options = { dir, remote: target(virtuoso), stateDir: temp('ggen-state-'), fetch: fetchOptions };
  return { dir, packages, options };
}

function nth(packages: CatalogPackage[], index: number): CatalogPackage {
  const pkg = packages[index];
  if (pkg === undefined) throw new Error(`no package ${index}`);
  return pkg;
}

describe('a registry directory followed by a SPARQL endpoint (Virtuoso)', () => {
  it('pushes once, then applies each journal entry as one update, and pushes again after a compaction', async () => {
    const { dir, packages, options } = await followed(300);
    // Another catalog (none) on the endpoint: a push is due, which a step does not do itself.
    expect(await bringEndpointInStep(options)).toEqual({ applied: 0, pushed: false, pushDue: true });
    expect(await pushEndpoint(options)).toEqual({ applied: 0, pushed: true });
    expect(await bringEndpointInStep(options)).toEqual({ applied: 0, pushed: false });
    const pushedGraph = await liveGraph();
    // A search process's vocabulary cache, filled from the catalog as pushed.
    const cacheDir = temp('ggen-vocab-');
    const searchRemote = (): SparqlSearchEngine =>
      new SparqlSearchEngine(new RemoteCatalog({ ...target(virtuoso), cacheDir }));
    expect((await searchRemote().search(query('quokka'))).packages.map((pkg) => pkg.name)).not.toContain(
      'quokka-render',
    );

    // A changed package, a new one (quotes, a newline and non-ASCII text in its description;
    // dependencies, keys, two versions), the new one again with a version fewer, and a third.
    const original = nth(packages, 7);
    const changed = { ...original, description: 'zebrafish telemetry for aquariums' };
    const added = { ...fullPackage('quokka-render'), downloads: 5 };
    const again = { ...added, versions: added.versions.slice(0, 1) };
    await writeCatalogPackages(dir, [changed]);
    await writeCatalogPackages(dir, [added]);
    expect(await bringEndpointInStep(options)).toEqual({ applied: 2, pushed: false });
    await writeCatalogPackages(dir, [again]);
    await writeCatalogPackages(dir, [{ ...nth(packages, 20), stars: 999 }]);
    expect(await bringEndpointInStep(options)).toEqual({ applied: 2, pushed: false });
    expect(await bringEndpointInStep(options)).toEqual({ applied: 0, pushed: false });
    // In place: the same graph, no push.
    expect(await liveGraph()).toBe(pushedGraph);
    await expectSameCatalog(dir);

    // Searches through the endpoint answer as the merged catalog's embedded store does, the new
    // words included (the vocabulary is read again: the record's digest moved on).
    const remote = searchRemote();
    const embedded = new SparqlSearchEngine(
      new EmbeddedCatalog((await fetchCatalogChunks(dir, fetchOptions)).chunks.join('')),
    );
    for (const text of ['zebrafish aquariums', 'quokka', 'axum server', nth(packages, 3).name]) {
      const [fromEndpoint, fromStore] = await Promise.all([remote.search(query(text)), embedded.search(query(text))]);
      expect(fromEndpoint.packages.map((pkg) => pkg.name)).toEqual(fromStore.packages.map((pkg) => pkg.name));
      expect(fromEndpoint.packages.length).toBeGreaterThan(0);
    }
    const [read] = await new RemoteCatalog(target(virtuoso)).readPackages(['quokka-render']);
    expect(read?.description).toBe(added.description);
    expect(read?.versions.map((version) => version.version)).toEqual(['2.0.0']);

    // A whole write of catalog.nq (a compaction) is another catalog: pushed whole, into a new graph.
    await compactRegistry(dir);
    expect(await bringEndpointInStep(options)).toEqual({ applied: 0, pushed: false, pushDue: true });
    expect(await pushEndpoint(options)).toEqual({ applied: 0, pushed: true });
    expect(await liveGraph()).not.toBe(pushedGraph);
    await expectSameCatalog(dir);
  }, 180_000);

  it('catches up an endpoint a change never reached, and pushes over a catalog of another registry', async () => {
    const { dir, options } = await followed(120);
    // Another registry's catalog is in place: this one is pushed over it.
    expect(await pushEndpoint(options)).toEqual({ applied: 0, pushed: true });
    // Changes written to the directory while no server applied them (one stopped between the
    // two): the next step applies them all, in order, the latest of a package last.
    await writeCatalogPackages(dir, [fullPackage('late-one')]);
    await writeCatalogPackages(dir, [{ ...fullPackage('late-one'), description: 'the second word on it' }]);
    await writeCatalogPackages(dir, [fullPackage('late-two')]);
    // A read does not wait while a writer holds the registry: it says the endpoint is behind.
    const whileLocked = await registryWriter(dir).locked(() => bringEndpointInStep({ ...options, wait: false }));
    expect(whileLocked).toEqual({ applied: 0, pushed: false, behind: true });
    expect(await bringEndpointInStep(options)).toEqual({ applied: 3, pushed: false });
    const [late] = await new RemoteCatalog(target(virtuoso)).readPackages(['late-one']);
    expect(late?.description).toBe('the second word on it');
    await expectSameCatalog(dir);

    // An endpoint that was told of a journal entry this directory does not have (a restored
    // backup) holds another catalog: pushed whole, not patched.
    await updateEndpoint(
      target(virtuoso),
      `DELETE { GRAPH <https://ggen.dev/registry/catalog-meta> { ?r <${V.catalogState}> ?s } } INSERT { GRAPH <https://ggen.dev/registry/catalog-meta> { ?r <${V.catalogState}> "elsewhere 9 -" } } WHERE { GRAPH <https://ggen.dev/registry/catalog-meta> { ?r <${V.catalogState}> ?s } }`,
      'forging a state',
    );
    expect(await pushEndpoint(options)).toEqual({ applied: 0, pushed: true });
    await expectSameCatalog(dir);
  }, 180_000);

  it('pushes a snapshot while changes go on, applies what landed after it, and refuses a catalog rewritten under it', async () => {
    const { dir, options } = await followed(100);
    await writeCatalogPackages(dir, [fullPackage('snap-one')]);
    const base = catalogStat(dir)?.base.key ?? '';
    const snapshot = { base, entries: await readJournal(dir, fetchOptions) };
    // A change lands after the snapshot was taken (the push holds no registry lock).
    await writeCatalogPackages(dir, [fullPackage('snap-two')]);
    await pushCatalog({
      registry: dir,
      fetch: fetchOptions,
      remote: target(virtuoso),
      stateDir: options.stateDir,
      snapshot,
      state: `${base} 1 ${createHash('sha256')
        .update(snapshot.entries[0]?.block ?? '')
        .digest('hex')}`,
    });
    const names = async (): Promise<string[]> =>
      (await new RemoteCatalog(target(virtuoso)).readPackages(['snap-one', 'snap-two'])).map((pkg) => pkg.name);
    expect(await names()).toEqual(['snap-one']);
    // The endpoint holds the snapshot's state: the entry after it is applied as an update.
    expect(await bringEndpointInStep(options)).toEqual({ applied: 1, pushed: false });
    expect(await names()).toEqual(['snap-one', 'snap-two']);
    await expectSameCatalog(dir);

    // Another push holds the push lock: this one does not wait, and says the endpoint is behind.
    await compactRegistry(dir);
    const busy = await withFileLock(join(dir, ENDPOINT_PUSH_LOCK_FILE), () => pushEndpoint(options));
    expect(busy).toEqual({ applied: 0, pushed: false, behind: true });
    // A snapshot whose catalog.nq was written whole since is refused, and nothing is switched.
    const live = await liveGraph();
    expect(
      await codeOf(
        pushCatalog({
          registry: dir,
          fetch: fetchOptions,
          remote: target(virtuoso),
          stateDir: options.stateDir,
          snapshot,
        }),
      ),
    ).toBe('GGEN_E_INDEX_INVALID');
    expect(await liveGraph()).toBe(live);
  }, 180_000);
});
