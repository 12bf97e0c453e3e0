#!/usr/bin/env node
// The resident query service's memory against its use (issue 31): a registry of N npm-derived
// packs, synced into a local store in a child process (sync's own garbage is not counted), then
// opened once as the service holds it (one QueryCache bounded as the service bounds it, one
// retained ShardedCatalog, one engine)
// and asked mixed lookups: searches of every kind of query the relevance tool asks (names,
// words, typos), filtered searches, package reads (info) and dependency closures (install).
// RSS (after a full collection) is read after 100 lookups and after 1,000.
//   node --expose-gc tools/bench/service-memory.mjs [N, default 100000]
// Exits 1 on a MISS of: RSS after 1,000 lookups <= 1.2x RSS after 100.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  nameWords,
  openLocalStore,
  QueryCache,
  SERVICE_LOADED_PACKAGES,
  ShardedCatalog,
  SparqlSearchEngine,
} from '@ggen/marketplace-v2';
import { loadBenchRows, typoOf } from './npm-catalog.mjs';
import { verdict } from './verdict.mjs';

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc: RSS is read after a full collection');
  process.exit(2);
}
const size = Number(process.argv[2] ?? 100_000);
const work = mkdtempSync(join(tmpdir(), 'ggen-service-memory-'));
const fetchOptions = { timeoutMs: 10_000, retries: 0 };
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

try {
  const registry = join(work, 'registry');
  const storeRoot = join(work, 'store');
  const rows = loadBenchRows(size);
  const names = rows.map((row) => row.name);
  let started = performance.now();
  execFileSync(
    process.execPath,
    [
      '--max-old-space-size=8000',
      '--input-type=module',
      '-e',
      `import { mkdirSync } from 'node:fs';
       import { openLocalStore, writeV2Catalog } from '@ggen/marketplace-v2';
       import { loadBenchRows, toCatalogPackages } from ${JSON.stringify(new URL('./npm-catalog.mjs', import.meta.url).href)};
       mkdirSync(${JSON.stringify(registry)}, { recursive: true });
       await writeV2Catalog(${JSON.stringify(registry)}, toCatalogPackages(loadBenchRows(${size})));
       await openLocalStore({ timeoutMs: 10000, retries: 0, registry: ${JSON.stringify(registry)}, storeRoot: ${JSON.stringify(storeRoot)} });`,
    ],
    { stdio: 'inherit' },
  );
  console.log(
    `${size.toLocaleString('en')} packs written and synced in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  // As the service holds it: one cache for its lifetime, one catalog per store, one engine.
  const cache = new QueryCache({ retain: 2, maxLoadedPackages: SERVICE_LOADED_PACKAGES });
  const files = await openLocalStore({ ...fetchOptions, registry, storeRoot, cache });
  if (files === undefined) throw new Error('no local store after sync');
  cache.keepStore(files);
  const catalog = cache.catalog(files, () => new ShardedCatalog(files, cache.shardedOptions));
  const engine = new SparqlSearchEngine(catalog, cache);
  const categories = ['npm', 'web', 'cli'];
  /** Lookup number `index`: a fixed stride through the packs, each kind in turn. */
  const lookup = async (index) => {
    const name = names[(index * 7919) % names.length];
    const query = { limit: 20, offset: 0, sort: 'relevance' };
    switch (index % 6) {
      case 0:
        return engine.search({ ...query, text: name });
      case 1:
        return engine.search({ ...query, text: nameWords(name).join(' ') });
      case 2:
        return engine.search({ ...query, text: typoOf(name, index) ?? name });
      case 3:
        return engine.search({ ...query, text: nameWords(name)[0] ?? name, category: categories[index % 3] });
      case 4:
        return catalog.readPackages([name]);
      default:
        return catalog.prepareDependencies(name);
    }
  };
  const rss = () => {
    globalThis.gc();
    return process.memoryUsage().rss;
  };
  const opened = rss();
  started = performance.now();
  for (let index = 0; index < 100; index += 1) await lookup(index);
  const after100 = rss();
  for (let index = 100; index < 1000; index += 1) await lookup(index);
  const after1000 = rss();
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `RSS: store opened ${mb(opened)}, after 100 lookups ${mb(after100)}, after 1,000 ${mb(after1000)} (${(after1000 / after100).toFixed(2)}x; 1,000 lookups in ${seconds.toFixed(1)} s)`,
  );
  console.log(`loaded now: ${JSON.stringify(catalog.loaded)}`);
  verdict(
    after1000 <= after100 * 1.2,
    `${size.toLocaleString('en')}: RSS after 1,000 lookups ${mb(after1000)} <= 1.2x after 100 (${mb(after100)})`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
