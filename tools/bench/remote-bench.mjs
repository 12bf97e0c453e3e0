#!/usr/bin/env node
// Issue 34: the remote SPARQL mode at npm's size. Builds a v2 registry of N npm-derived packs,
// pushes its catalog to a real Virtuoso (Debian's, started here on loopback with the server's
// default ResultSetMaxRows of 100,000), then runs the same searches as whole `ggen` processes
// against the endpoint and against the embedded store (synced from the same registry),
// interleaved, and compares their p95. Prints push time and the endpoint's RSS; exits 1 on MISS.
//   node tools/bench/remote-bench.mjs [packs]          (default 100000; the committed sample)
//   BENCH_NPM_TSV=../.library/env/packages/npm.tsv node tools/bench/remote-bench.mjs 227000
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeV2Catalog } from '@ggen/marketplace-v2';
import { startVirtuoso } from '../testing/virtuoso.mjs';
import { benchQueries, loadBenchRows, percentile, toCatalogPackages } from './npm-catalog.mjs';

const size = Number(process.argv[2] ?? 100_000);
const cli = resolve('packages/cli/dist/parallel/ggen.mjs');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);

const vmRss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const elapsed = (start) => performance.now() - start;

const packRows = loadBenchRows(size);
const registry = mkdtempSync(join(tmpdir(), 'ggen-remote-bench-'));
let started = performance.now();
await writeV2Catalog(registry, toCatalogPackages(packRows));
console.log(`registry: ${packRows.length} packs, catalog written in ${(elapsed(started) / 1000).toFixed(1)} s`);

const virtuoso = await startVirtuoso();
let exit = 0;
try {
  const home = mkdtempSync(join(tmpdir(), 'ggen-remote-bench-home-'));
  const remoteHome = mkdtempSync(join(tmpdir(), 'ggen-remote-bench-home-'));
  mkdirSync(join(remoteHome, '.config', 'ggen'), { recursive: true });
  writeFileSync(
    join(remoteHome, '.config', 'ggen', 'config.yaml'),
    `marketplace:\n  sparql_endpoint: ${virtuoso.queryUrl}\n  sparql_graph_store: ${virtuoso.graphStoreUrl}\n  sparql_user: ${virtuoso.user}\n  timeout_ms: 120000\n`,
  );
  const env = (h) => ({
    PATH: process.env.PATH,
    HOME: h,
    CI: 'true',
    GGEN_MARKETPLACE_SPARQL_PASSWORD: virtuoso.password,
  });
  started = performance.now();
  const push = spawnSync(process.execPath, [cli, 'marketplace', 'registry', 'push', '--registry', registry], {
    env: env(remoteHome),
    encoding: 'utf8',
  });
  const pushMs = elapsed(started);
  if (push.status !== 0) throw new Error(`push failed: ${push.stderr}`);
  console.log(
    `push: ${push.stdout.trim()} in ${(pushMs / 1000).toFixed(1)} s; Virtuoso RSS ${vmRss(virtuoso.pid).toFixed(0)} MB`,
  );
  started = performance.now();
  execFileSync(process.execPath, ['--max-old-space-size=8192', cli, 'marketplace', 'sync', '--registry', registry], {
    env: env(home),
    stdio: 'ignore',
  });
  console.log(`sync (embedded store): ${(elapsed(started) / 1000).toFixed(1)} s`);

  const all = benchQueries(packRows);
  const queries = all.filter((_, index) => index % Math.max(1, Math.floor(all.length / ROUNDS)) === 0).slice(0, ROUNDS);
  const times = { embedded: [], remote: [] };
  const served = { embedded: 0, remote: 0 };
  const run = (kind, text) => {
    const start = performance.now();
    const result = spawnSync(
      process.execPath,
      [cli, 'marketplace', 'search', text, '--backend', 'v2', '--registry', registry, '--json', '--limit', '20'],
      {
        env: { ...env(kind === 'remote' ? remoteHome : home), GGEN_DAEMON: '0' },
        encoding: 'utf8',
      },
    );
    times[kind].push(elapsed(start));
    if (result.status === 0 && JSON.parse(result.stdout).backend === 'v2') served[kind] += 1;
    else console.log(`  ${kind} '${text}' failed: ${result.stderr.split('\n')[0]}`);
  };
  // The first remote search after a push reads the catalog's vocabulary from the endpoint (paged)
  // and caches it by the catalog's digest; every later process reads the cached file.
  const cold = performance.now();
  run('remote', 'cold start');
  const coldMs = elapsed(cold);
  times.remote.length = 0;
  served.remote = 0;
  console.log(`first remote search after the push (reads and caches the vocabulary): ${coldMs.toFixed(0)} ms`);
  for (const text of queries) {
    run('embedded', text);
    run('remote', text);
  }
  const p95 = (values) => percentile(values, 95);
  const [embedded, remote] = [p95(times.embedded), p95(times.remote)];
  console.log(
    `search, whole process, ${queries.length} queries: embedded p50 ${percentile(times.embedded, 50).toFixed(0)} / p95 ${embedded.toFixed(0)} ms; remote p50 ${percentile(times.remote, 50).toFixed(0)} / p95 ${remote.toFixed(0)} ms; ratio ${(remote / embedded).toFixed(2)}x`,
  );
  console.log(
    `served by v2: embedded ${served.embedded}/${queries.length}, remote ${served.remote}/${queries.length}; Virtuoso RSS ${vmRss(virtuoso.pid).toFixed(0)} MB`,
  );
  const targets = [
    [`every remote search served by v2 (${served.remote}/${queries.length})`, served.remote === queries.length],
    [`remote search p95 within 3x the embedded store (${(remote / embedded).toFixed(2)}x)`, remote <= 3 * embedded],
  ];
  for (const [name, ok] of targets) {
    console.log(`${ok ? 'PASS' : 'MISS'} ${name}`);
    if (!ok) exit = 1;
  }
} finally {
  await virtuoso.stop();
}
process.exit(exit);
