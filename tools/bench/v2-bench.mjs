#!/usr/bin/env node
// v2 search benchmark (issue 4): catalogs of 1k, 10k and 100k packages from real npm
// metadata. For each size, in one run: v1 search, v2 SPARQL search and a plain BM25
// baseline (MiniSearch with prefix and fuzzy 0.2) on the same queries, p50/p95; the
// catalog's triples, store load time and memory; at 10k also the cold wall time of
// `ggen marketplace search --backend v2` (a new process each time) on the synced local store,
// with the resident query service and without it, with the sync itself and the floors (node
// start, CLI start) measured in the same run. Needs: npx nx run-many -t build
//   BENCH_SIZES=1000,10000 node tools/bench/v2-bench.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { searchV1, v1SearchFields } from '@ggen/marketplace-v1';
import { catalogToNQuadChunks, EmbeddedCatalog, SparqlSearchEngine } from '@ggen/marketplace-v2';
import {
  benchQueries,
  fmt,
  loadNpmRows,
  miniSearchBaseline,
  miniSearchDocuments,
  percentile,
  toCatalogPackages,
  writeV1Registry,
} from './npm-catalog.mjs';
import { medianOfRounds, verdict, writeFigures } from './verdict.mjs';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const ROUNDS = 3;
const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const cli = join(root, 'packages', 'cli', 'dist', 'parallel', 'ggen.mjs');
const launcher = join(root, 'packages', 'cli', 'bin', 'ggen.cjs');

async function timeQueries(queries, run) {
  const times = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const text of queries) {
      const started = performance.now();
      await run(text);
      times.push(performance.now() - started);
      // oxigraph frees result terms between event-loop turns (PERF-NOTES.md)
      await yieldToLoop();
    }
  }
  return times;
}

const summary = [];
for (const size of SIZES) {
  const rows = loadNpmRows(size);
  const packages = toCatalogPackages(rows);
  const queries = benchQueries(rows);
  const query = (text) => ({ text, limit: 20, offset: 0, sort: 'relevance' });

  let started = performance.now();
  const nquads = catalogToNQuadChunks(packages);
  const buildMs = performance.now() - started;
  const triples = nquads.reduce((sum, chunk) => sum + chunk.split('\n').length - 1, 0);
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  started = performance.now();
  const catalog = new EmbeddedCatalog(nquads);
  const loadMs = performance.now() - started;
  const rssStore = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
  const engine = new SparqlSearchEngine(catalog);
  started = performance.now();
  await engine.vocabulary();
  const vocabularyMs = performance.now() - started;

  const v2 = await timeQueries(queries, (text) => engine.search(query(text)));
  const v1Fields = v1SearchFields(packages);
  const v1 = await timeQueries(queries, (text) => searchV1(packages, query(text), v1Fields));
  const mini = miniSearchBaseline();
  started = performance.now();
  mini.addAll(miniSearchDocuments(packages));
  const miniIndexMs = performance.now() - started;
  const baseline = await timeQueries(queries, (text) => mini.search(text).slice(0, 20));

  let cold;
  if (size === 10_000) {
    const dir = mkdtempSync(join(tmpdir(), 'ggen-bench-v2-'));
    writeV1Registry(dir, rows, { installTargets: 0 });
    writeFileSync(join(dir, 'catalog.nq'), nquads.join(''));
    // The user's entry point (bin/ggen.cjs): lookups go to the resident query service of
    // this build when it runs (started by the first lookup), else run in their own process.
    const env = { PATH: process.env.PATH, HOME: dir, GGEN_DAEMON_DIR: join(dir, 'svc'), GGEN_DAEMON: '1' };
    const wall = (args, extraEnv = {}) => {
      const t = performance.now();
      execFileSync(process.execPath, args, { env: { ...env, ...extraEnv }, stdio: 'ignore' });
      return performance.now() - t;
    };
    const searchArgs = (i) => [
      launcher,
      'marketplace',
      'search',
      queries[20 + i],
      '--backend',
      'v2',
      '--registry',
      dir,
    ];
    // The local store is built once (ggen marketplace sync; a file registry also syncs itself).
    const syncMs = wall([cli, 'marketplace', 'sync', '--registry', dir]);
    const inProcess = [];
    for (let i = 0; i < 9; i += 1) inProcess.push(wall(searchArgs(i), { GGEN_DAEMON: '0' }));
    // The first lookup finds no service: it runs in its own process and starts one.
    const firstMs = wall(searchArgs(9));
    const status = () =>
      JSON.parse(
        execFileSync(process.execPath, [launcher, 'marketplace', 'daemon', 'status', '--json'], {
          env,
          encoding: 'utf8',
        }),
      );
    while (!status().running) await new Promise((done) => setTimeout(done, 100));
    const search = [];
    for (let i = 0; i < 9; i += 1) search.push(wall(searchArgs(i)));
    const served = status().status.served;
    execFileSync(process.execPath, [launcher, 'marketplace', 'daemon', 'stop'], { env, stdio: 'ignore' });
    // Floors in the same run: node itself, and the CLI doing no registry work at all.
    const node = [];
    const features = [];
    for (let i = 0; i < 5; i += 1) {
      node.push(wall(['-e', '0']));
      features.push(wall([cli, 'marketplace', 'features']));
    }
    cold = { syncMs, search, inProcess, firstMs, served, node, features };
    rmSync(dir, { recursive: true, force: true });
  }
  summary.push({ size, triples, buildMs, loadMs, vocabularyMs, rssStore, miniIndexMs, v1, v2, baseline, cold });
  console.log(
    `${size} packages: ${triples} triples, built in ${fmt(buildMs)}, oxigraph load ${fmt(loadMs)} (+${rssStore.toFixed(0)} MB RSS), vocabulary ${fmt(vocabularyMs)}, MiniSearch index ${fmt(miniIndexMs)}`,
  );
}

const cell = (values) => `${fmt(percentile(values, 50)).padStart(9)} ${fmt(percentile(values, 95)).padStart(9)}`;
console.log(
  `\nsearch p50 / p95 over ${benchQueries(loadNpmRows(100)).length} queries x ${ROUNDS} (node ${process.version})`,
);
console.log(
  `${'packages'.padEnd(9)} ${'v1'.padStart(19)} ${'v2 (SPARQL)'.padStart(19)} ${'BM25 baseline'.padStart(19)}`,
);
for (const entry of summary)
  console.log(`${String(entry.size).padEnd(9)} ${cell(entry.v1)} ${cell(entry.v2)} ${cell(entry.baseline)}`);
const p = (values, q) => percentile(values, q);
writeFigures('v2-search', {
  queries: benchQueries(loadNpmRows(100)).length,
  rounds: ROUNDS,
  sizes: summary.map((entry) => ({
    size: entry.size,
    triples: entry.triples,
    v1: { p50: p(entry.v1, 50), p95: p(entry.v1, 95) },
    v2: { p50: p(entry.v2, 50), p95: p(entry.v2, 95) },
    baseline: { p50: p(entry.baseline, 50), p95: p(entry.baseline, 95) },
    ...(entry.cold === undefined
      ? {}
      : {
          cold: {
            withService: p(entry.cold.search, 50),
            withServiceP95: p(entry.cold.search, 95),
            inProcess: p(entry.cold.inProcess, 50),
            inProcessP95: p(entry.cold.inProcess, 95),
            node: p(entry.cold.node, 50),
            cliStart: p(entry.cold.features, 50),
          },
        }),
  })),
});
for (const entry of summary) {
  // The plan's criterion, "V2 search latency <100ms (p95)", judged on the median of the rounds'
  // p95s: one slow round on a shared machine is not the engine. The tighter in-process figures
  // (issue 31's) and the cold CLI (startup-bench's ratios to node -e 0) are printed, not gated here.
  if (entry.size === 10_000 || entry.size === 100_000) {
    const label = entry.size === 10_000 ? '10k' : '100k';
    const roundP95 = medianOfRounds(entry.v2, ROUNDS, percentile);
    verdict(
      roundP95 < 100,
      `v2 search p95 at ${label} (median of ${ROUNDS} rounds): ${fmt(roundP95)} (target < 100 ms)`,
    );
  }
  if (entry.cold !== undefined) {
    const { syncMs, search, inProcess, firstMs, served, node, features } = entry.cold;
    console.log(`cold CLI at 10k (a new ggen process per search; sync once ${fmt(syncMs)}):`);
    console.log(
      `  with the resident query service: median ${fmt(percentile(search, 50))}, p95 ${fmt(percentile(search, 95))} (${served} searches served by it; the first search, which started it, ${fmt(firstMs)})`,
    );
    console.log(
      `  without it (GGEN_DAEMON=0), in-process: median ${fmt(percentile(inProcess, 50))}, p95 ${fmt(percentile(inProcess, 95))}`,
    );
    console.log(
      `  floors in this run: node -e 0 median ${fmt(percentile(node, 50))}, ggen marketplace features (CLI start, no registry) median ${fmt(percentile(features, 50))}`,
    );
    console.log(
      `  through the query service / node -e 0, same run: ${(percentile(search, 50) / percentile(node, 50)).toFixed(2)}x (judged by startup-bench)`,
    );
  }
}
