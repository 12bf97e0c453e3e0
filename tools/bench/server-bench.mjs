#!/usr/bin/env node
// Registry server benchmark (issue 30, `npx nx run registry-server:bench`): a registry of N npm
// packages (the committed sample; SERVER_BENCH_SIZES, default 10000) built as a user would
// (`registry migrate`), served by the real CLI (`registry serve`) on 127.0.0.1, loaded with
// autocannon for a bounded time: requests/s and p50/p95/p99 for package documents, search and
// archive downloads, and the site's package and search pages beside their JSON twins; publish throughput with 8 concurrent publishers; the server's RSS (its own
// /metrics). Then the target, in the same run: a CLI install of a 3-pack closure from the server
// within 1.5x of the same install from a local directory registry of 77 packs (the sample).
// With SERVER_BENCH_REMOTE=1, a second server over the same directory with `--catalog remote` (a
// real Virtuoso, as the tests start it): its start (the catalog pushed), documents and search
// through the endpoint, and 8 concurrent publishes applied to it, against 8 into an empty
// registry whose catalog is on the same endpoint. Exits 1 on a MISS.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { packDirectory } from '@ggen/marketplace-core';
import { writeV2Catalog } from '@ggen/marketplace-v2';
import { benchQueries, loadBenchRows, v1ToCatalogPackages, writeV1Registry } from './npm-catalog.mjs';
import { startVirtuoso } from '../testing/virtuoso.mjs';

const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'packages', 'cli', 'dist', 'parallel', 'ggen.mjs');
const sample = join(root, 'packages', 'cli', 'sample-registry');
const SIZES = (process.env.SERVER_BENCH_SIZES ?? '10000').split(',').map(Number);
const SECONDS = Number(process.env.SERVER_BENCH_SECONDS ?? 5);
// NODE_OPTIONS reaches the CLI and the server (a registry of all ~227k packs is migrated with a raised heap).
const env = (home) => ({
  PATH: process.env.PATH,
  HOME: home,
  CI: 'true',
  GGEN_DAEMON: '0',
  ...(process.env.NODE_OPTIONS === undefined ? {} : { NODE_OPTIONS: process.env.NODE_OPTIONS }),
});
// SERVER_BENCH_PUBLISH=0 leaves out the publish round and says so.
const PUBLISH = process.env.SERVER_BENCH_PUBLISH !== '0';
const REMOTE = process.env.SERVER_BENCH_REMOTE === '1';
// Up to this size the registry is built as a user would, with `registry migrate`.
const MIGRATE_MAX = Number(process.env.SERVER_BENCH_MIGRATE_MAX ?? 100_000);
const ms = (value) => `${value.toFixed(1)} ms`;

function ggen(args, home) {
  return execFileSync(process.execPath, [cli, ...args], { env: env(home), encoding: 'utf8', maxBuffer: 64 << 20 });
}

async function serve(dir, home, extra = [], extraEnv = {}) {
  const child = spawn(
    process.execPath,
    [cli, 'marketplace', 'registry', 'serve', dir, '--port', '0', '--rate-limit', '100000000', ...extra],
    { env: { ...env(home), ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let seen = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      seen = (seen + chunk).slice(-8192);
      const match = / at (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${seen}`)));
  });
  // A server that dies under load says why (its last words), instead of a client's "refused".
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM')
      console.error(`server at ${url} exited (${code ?? signal}): ${seen.slice(-2000)}`);
  });
  return { url, child };
}

/** autocannon for SECONDS over 10 connections; latencies kept per response for p50/p95/p99. */
function load(url, requests) {
  const latencies = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections: 10, duration: SECONDS, requests }, (error, result) =>
      error ? reject(error) : resolve({ result, latencies }),
    );
    instance.on('response', (_client, _status, _bytes, time) => latencies.push(time));
  });
}

/**
 * A JSON request and its page twin, interleaved in one autocannon run (each connection sends
 * them in turn), so that both meet the same server and machine state; latencies split by kind.
 * Failed requests are counted against both.
 */
function loadTwins(url, json, pages) {
  const requests = json.flatMap((request, index) => [request, pages[index]]);
  const latencies = [[], []];
  const sent = new WeakMap();
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections: 10, duration: SECONDS, requests }, (error, result) => {
      if (error) return reject(error);
      const kind = (index) => ({
        result: {
          requests: { average: latencies[index].length / SECONDS },
          errors: result.errors,
          non2xx: result.non2xx,
        },
        latencies: latencies[index],
      });
      resolve([kind(0), kind(1)]);
    });
    // A connection's answers come back in the order it sent its requests: even ones are JSON.
    instance.on('response', (client, _status, _bytes, time) => {
      const count = sent.get(client) ?? 0;
      sent.set(client, count + 1);
      latencies[count % 2].push(time);
    });
  });
}

const line = (label, { result, latencies }) =>
  `  ${label.padEnd(18)} ${String(Math.round(result.requests.average)).padStart(6)} req/s   p50 ${ms(percentile(latencies, 50))}   p95 ${ms(percentile(latencies, 95))}   p99 ${ms(percentile(latencies, 99))}   errors ${result.errors + result.non2xx}`;

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function rss(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/ggen_marketplace_server_resident_memory_bytes (\d+)/.exec(text)?.[1] ?? 0) / 1024 / 1024;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timedInstall(registry, spec, home) {
  // Its own project: the lockfile goes beside the target.
  const target = join(mkdtempSync(join(tmpdir(), 'ggen-bench-target-')), 'gpacks');
  const started = performance.now();
  ggen(['marketplace', 'install', spec, '--registry', registry, '--target', target], home);
  return performance.now() - started;
}

let missed = false;
for (const size of SIZES) {
  const rows = loadBenchRows(size);
  const work = mkdtempSync(join(tmpdir(), 'ggen-server-bench-'));
  const v1 = join(work, 'v1');
  const registry = join(work, 'registry');
  const home = join(work, 'home');
  mkdirSync(home);
  let started = performance.now();
  const direct = size > MIGRATE_MAX;
  const middle = Math.floor(rows.length / 2);
  // Past MIGRATE_MAX the catalog is written directly, with archives only for what is loaded and
  // installed (`registry migrate` copies and checks every archive: over an hour at ~227k).
  const { packages } = writeV1Registry(v1, rows, {
    installTargets: 5,
    writeArchive: (index) => !direct || index % 97 === 0 || (index >= middle && index < middle + 11),
  });
  if (direct) {
    mkdirSync(registry);
    await writeV2Catalog(registry, v1ToCatalogPackages(packages));
    renameSync(join(v1, 'archives'), join(registry, 'archives'));
  } else ggen(['marketplace', 'registry', 'migrate', '--from', v1, '--to', registry], home);
  const buildMs = performance.now() - started;
  // A closure of exactly three packs: d3 -> d8 -> d10 of the first install target's tree.
  const closureRoot = rows[middle + 3].name;

  started = performance.now();
  const { url, child } = await serve(registry, home);
  const startMs = performance.now() - started;
  try {
    // The first request waits for the catalog's local store (synced here: the server's cache is new).
    started = performance.now();
    const health = await fetch(`${url}/healthz`);
    if (health.status !== 200) throw new Error(`healthz answered ${health.status}: ${await health.text()}`);
    const syncMs = performance.now() - started;
    const names = rows.filter((_, index) => index % 97 === 0).map((row) => row.name);
    // The site's pages beside their JSON twins (the same names and queries), interleaved.
    const [documents, packagePages] = await loadTwins(
      url,
      names.map((name) => ({ method: 'GET', path: `/-/v1/packages/${encodeURIComponent(name)}` })),
      names.map((name) => ({ method: 'GET', path: `/package/${name}`, headers: { accept: 'text/html' } })),
    );
    const [search, searchPages] = await loadTwins(
      url,
      benchQueries(rows).map((text) => ({ method: 'GET', path: `/-/v1/search?q=${encodeURIComponent(text)}` })),
      benchQueries(rows).map((text) => ({
        method: 'GET',
        path: `/search?q=${encodeURIComponent(text)}`,
        headers: { accept: 'text/html' },
      })),
    );
    // The home page: the most downloaded and the newest releases, from the store's browse orders.
    const homePages = await load(url, [{ method: 'GET', path: '/', headers: { accept: 'text/html' } }]);
    const archives = await load(
      url,
      names.map((name) => {
        const row = rows.find((entry) => entry.name === name);
        return { method: 'GET', path: `/archives/${row.name}-${row.version}.tgz` };
      }),
    );

    // 8 publishers at once, one new pack each, into this registry and (the baseline, same run)
    // into an empty one: a publish that costs O(changes) takes about as long in both.
    async function publishAll(serverUrl, registryDir, prefix) {
      const token = /ggen_[A-Za-z0-9_-]+/.exec(
        ggen(['marketplace', 'registry', 'token', 'create', registryDir, '--label', 'bench'], home),
      )[0];
      const packs = [];
      for (let index = 0; index < 8; index += 1) {
        const dir = join(work, 'packs', `${prefix}-${index}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'gpack.yaml'), `name: ${prefix}-${index}\nversion: 1.0.0\ndescription: bench\n`);
        packs.push((await packDirectory(dir)).bytes.toString('base64'));
      }
      const begun = performance.now();
      await Promise.all(
        packs.map(async (archive) => {
          const response = await fetch(`${serverUrl}/-/v1/publish`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ archive }),
          });
          if (response.status !== 201) throw new Error(`publish answered ${response.status}: ${await response.text()}`);
        }),
      );
      return (performance.now() - begun) / 1000;
    }
    const readRss = await rss(url);
    let publishLine = '  publish            not measured (SERVER_BENCH_PUBLISH=0)';
    if (PUBLISH) {
      const empty = join(work, 'empty');
      mkdirSync(empty);
      const emptyServer = await serve(empty, home);
      let emptySeconds;
      try {
        emptySeconds = await publishAll(emptyServer.url, empty, 'bench-empty');
      } finally {
        emptyServer.child.kill('SIGTERM');
      }
      const publishSeconds = await publishAll(url, registry, 'bench-pub');
      const publishRatio = publishSeconds / emptySeconds;
      publishLine = `  publish            ${(8 / publishSeconds).toFixed(2)} publishes/s with 8 concurrent publishers (8 in ${publishSeconds.toFixed(1)} s; into an empty registry: 8 in ${emptySeconds.toFixed(1)} s): ${publishRatio.toFixed(1)}x (target <= 2x, O(changes)) ${publishRatio <= 2 ? 'PASS' : 'MISS'}`;
      if (publishRatio > 2) missed = true;
    }

    // The catalog on a SPARQL endpoint: its start, reads through it, and publishes applied to it.
    const remoteLines = [];
    if (REMOTE) {
      const virtuoso = await startVirtuoso();
      try {
        const remoteHome = join(work, 'remote-home');
        mkdirSync(join(remoteHome, '.config', 'ggen'), { recursive: true });
        writeFileSync(
          join(remoteHome, '.config', 'ggen', 'config.yaml'),
          `marketplace:\n  sparql_endpoint: ${virtuoso.queryUrl}\n  sparql_graph_store: ${virtuoso.graphStoreUrl}\n  sparql_user: ${virtuoso.user}\n  timeout_ms: 600000\n`,
        );
        const remoteArgs = ['--catalog', 'remote'];
        const remoteEnv = { GGEN_MARKETPLACE_SPARQL_PASSWORD: virtuoso.password };
        const emptyRemote = join(work, 'empty-remote');
        mkdirSync(emptyRemote);
        const emptyServer = await serve(emptyRemote, remoteHome, remoteArgs, remoteEnv);
        let emptySeconds;
        try {
          emptySeconds = await publishAll(emptyServer.url, emptyRemote, 'bench-rempty');
        } finally {
          emptyServer.child.kill('SIGTERM');
        }
        // The start pushes this registry's catalog over the empty one's: the endpoint holds another.
        started = performance.now();
        const remoteServer = await serve(registry, remoteHome, remoteArgs, remoteEnv);
        const remoteStartMs = performance.now() - started;
        try {
          // The first search takes the catalog's vocabulary as the push kept it (read from the
          // endpoint where no copy is kept), as the first request of the embedded server cut its
          // store: timed on its own.
          started = performance.now();
          const first = await fetch(`${remoteServer.url}/-/v1/search?q=${encodeURIComponent(benchQueries(rows)[0])}`);
          if (first.status !== 200) throw new Error(`the first search answered ${first.status}: ${await first.text()}`);
          const firstSearchMs = performance.now() - started;
          const remoteDocuments = await load(
            remoteServer.url,
            names.map((name) => ({ method: 'GET', path: `/-/v1/packages/${encodeURIComponent(name)}` })),
          );
          const remoteSearch = await load(
            remoteServer.url,
            benchQueries(rows).map((text) => ({ method: 'GET', path: `/-/v1/search?q=${encodeURIComponent(text)}` })),
          );
          const seconds = await publishAll(remoteServer.url, registry, 'bench-rpub');
          const remoteRatio = seconds / emptySeconds;
          remoteLines.push(
            `  with --catalog remote (Virtuoso): ready in ${(remoteStartMs / 1000).toFixed(1)} s (the catalog pushed, the look-alike store cut), first search ${(firstSearchMs / 1000).toFixed(2)} s, server RSS ${(await rss(remoteServer.url)).toFixed(0)} MB`,
            line('  documents', remoteDocuments),
            line('  search', remoteSearch),
            `    publish          8 concurrent in ${seconds.toFixed(1)} s, each applied to the endpoint; into an empty registry on the same endpoint: 8 in ${emptySeconds.toFixed(1)} s: ${remoteRatio.toFixed(1)}x (target <= 2x, O(changes)) ${remoteRatio <= 2 ? 'PASS' : 'MISS'}`,
          );
          if (remoteRatio > 2) missed = true;
          for (const { result, latencies } of [remoteDocuments, remoteSearch])
            if (result.errors + result.non2xx > 0 || latencies.length === 0) {
              remoteLines.push(
                `  MISS: ${result.errors + result.non2xx} failed requests, ${latencies.length} answered, through the endpoint`,
              );
              missed = true;
            }
        } finally {
          remoteServer.child.kill('SIGTERM');
        }
      } finally {
        await virtuoso.stop();
      }
    }

    // The target: install of a 3-pack closure, server at this size vs the 77-pack sample directory.
    const clientHome = join(work, 'client');
    mkdirSync(clientHome);
    const fromServer = [];
    const fromDirectory = [];
    timedInstall(url, closureRoot, clientHome);
    timedInstall(sample, 'agent-reasoning-mcp', clientHome);
    for (let round = 0; round < 7; round += 1) {
      fromServer.push(timedInstall(url, closureRoot, clientHome));
      fromDirectory.push(timedInstall(sample, 'agent-reasoning-mcp', clientHome));
    }
    const ratio = median(fromServer) / median(fromDirectory);

    console.log(
      `\nregistry server at ${size.toLocaleString('en')} packages (built ${direct ? 'directly' : 'with registry migrate'} in ${(buildMs / 1000).toFixed(1)} s, server ready in ${ms(startMs)}, its catalog store synced by the first request in ${(syncMs / 1000).toFixed(1)} s)`,
    );
    console.log(line('package documents', documents));
    console.log(line('search', search));
    console.log(line('archives', archives));
    console.log(line('package pages', packagePages));
    console.log(line('search pages', searchPages));
    console.log(line('home page', homePages));
    // A page costs its JSON twin's work and its rendering: p95 within 2x of the twin's.
    for (const [label, page, twin] of [
      ['package page', packagePages, documents],
      ['search page', searchPages, search],
    ]) {
      const pageRatio = percentile(page.latencies, 95) / percentile(twin.latencies, 95);
      console.log(
        `  ${label} p95 ${ms(percentile(page.latencies, 95))} vs its JSON twin's ${ms(percentile(twin.latencies, 95))}: ${pageRatio.toFixed(2)}x (target <= 2x) ${pageRatio <= 2 ? 'PASS' : 'MISS'}`,
      );
      if (!(pageRatio <= 2)) missed = true;
    }
    console.log(publishLine);
    console.log(
      `  server RSS         ${readRss.toFixed(0)} MB after the reads, ${(await rss(url)).toFixed(0)} MB after the publishes`,
    );
    console.log(
      `  install of a 3-pack closure: ${ms(median(fromServer))} from the server vs ${ms(median(fromDirectory))} from a 77-pack directory: ${ratio.toFixed(2)}x (target <= 1.5x) ${ratio <= 1.5 ? 'PASS' : 'MISS'}`,
    );
    if (ratio > 1.5) missed = true;
    for (const remoteLine of remoteLines) console.log(remoteLine);
    // A kind whose every request failed, or none of whose requests was answered in the window, is a MISS.
    for (const { result, latencies } of [documents, search, archives, packagePages, searchPages, homePages])
      if (result.errors + result.non2xx > 0 || latencies.length === 0) {
        console.log(`  MISS: ${result.errors + result.non2xx} failed requests, ${latencies.length} answered`);
        missed = true;
      }
  } finally {
    child.kill('SIGTERM');
  }
}
process.exitCode = missed ? 1 : 0;
