#!/usr/bin/env node
// v1 benchmark (issue 3): a 10,000-package registry generated from real npm metadata.
// Reports search p50/p95 and install p50/p95 (a package with 10 transitive dependencies,
// from a file registry), each beside a baseline measured in the same run, and the cold
// wall time of the CLI. Needs the built packages: npx nx run-many -t build
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { x as extract } from 'tar';
import { createV1Backend } from '@ggen/marketplace-v1';
import { benchQueries, fmt, loadNpmRows, percentile, writeV1Registry } from './npm-catalog.mjs';
import { medianOfRounds, verdict, writeFigures } from './verdict.mjs';

const SIZE = Number(process.env.BENCH_PACKAGES ?? 10_000);
const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const cli = join(root, 'packages', 'cli', 'dist', 'parallel', 'ggen.mjs');
const work = mkdtempSync(join(tmpdir(), 'ggen-bench-v1-'));
const registry = join(work, 'registry');

const rows = loadNpmRows(SIZE);
let started = performance.now();
const { targets } = writeV1Registry(registry, rows);
console.log(
  `registry: ${rows.length} packages from npm metadata, written in ${fmt(performance.now() - started)} (${work})`,
);

const queries = benchQueries(rows);

const backend = createV1Backend({ location: registry, timeoutMs: 10_000, retries: 0 });
started = performance.now();
await backend.search({ text: 'warm', limit: 20, offset: 0, sort: 'relevance' });
const loadMs = performance.now() - started;

const v1Times = [];
const scanTimes = [];
const index = (await backend.registry.loadIndex()).packages;
for (let round = 0; round < 5; round += 1) {
  for (const text of queries) {
    let t = performance.now();
    await backend.search({ text, limit: 20, offset: 0, sort: 'relevance' });
    v1Times.push(performance.now() - t);
    // Baseline: a plain substring scan over name and description, ranked by downloads.
    t = performance.now();
    const needle = text.toLowerCase();
    index
      .filter((pkg) => pkg.name.includes(needle) || pkg.description.toLowerCase().includes(needle))
      .sort((a, b) => b.downloads - a.downloads)
      .slice(0, 20);
    scanTimes.push(performance.now() - t);
    await yieldToLoop();
  }
}

const installTimes = [];
const extractTimes = [];
for (let round = 0; round < 3; round += 1) {
  for (const name of targets) {
    const target = mkdtempSync(join(work, 'install-'));
    let t = performance.now();
    const result = await backend.install({
      specs: [name],
      packagesDir: join(target, 'gpacks'),
      lockfilePath: join(target, 'ggen.lock'),
    });
    installTimes.push(performance.now() - t);
    if (result.installed.length !== 11)
      throw new Error(`${name}: expected 11 packages, got ${result.installed.length}`);
    // Baseline: read and extract the same 11 archives with node-tar, nothing else.
    const plain = mkdtempSync(join(work, 'plain-'));
    t = performance.now();
    for (const entry of result.installed) {
      const dir = join(plain, entry.name);
      execFileSync('mkdir', ['-p', dir]);
      await extract({ file: entry.resolved, cwd: dir });
    }
    extractTimes.push(performance.now() - t);
    rmSync(target, { recursive: true, force: true });
    rmSync(plain, { recursive: true, force: true });
    await yieldToLoop();
  }
}

const cold = (args, home) => {
  const t = performance.now();
  execFileSync(process.execPath, [cli, 'marketplace', ...args, '--registry', registry], {
    env: { PATH: process.env.PATH, HOME: home },
    stdio: 'ignore',
  });
  return performance.now() - t;
};
const coldSearch = [];
const coldInstall = [];
for (let i = 0; i < 10; i += 1) {
  coldSearch.push(cold(['search', queries[i + 20]], work));
  const home = mkdtempSync(join(work, 'home-'));
  coldInstall.push(cold(['install', targets[i]], home));
}

const rss = process.memoryUsage().rss / 1024 / 1024;
const row = (label, values, baseline) =>
  `${label.padEnd(34)} p50 ${fmt(percentile(values, 50)).padStart(9)}  p95 ${fmt(percentile(values, 95)).padStart(9)}${baseline === undefined ? '' : `   baseline p50 ${fmt(percentile(baseline, 50)).padStart(9)}  p95 ${fmt(percentile(baseline, 95)).padStart(9)}`}`;
console.log(
  `\nv1 benchmark, ${rows.length} packages, ${queries.length} queries x 5, ${installTimes.length} installs (node ${process.version})`,
);
console.log(`index load + first search: ${fmt(loadMs)}; RSS ${rss.toFixed(0)} MB`);
console.log(row('search (v1 ranking)', v1Times, scanTimes) + '   <- baseline: substring scan');
console.log(
  row('install, 10 transitive deps', installTimes, extractTimes) + '   <- baseline: tar.x of the 11 archives',
);
console.log(row('cold CLI search (node start incl.)', coldSearch));
console.log(row('cold CLI install (node start incl.)', coldInstall));
writeFigures('v1', {
  search: { p50: percentile(v1Times, 50), p95: percentile(v1Times, 95) },
  install: { p50: percentile(installTimes, 50), p95: percentile(installTimes, 95) },
  extractBaseline: { p50: percentile(extractTimes, 50), p95: percentile(extractTimes, 95) },
  coldSearch: { p50: percentile(coldSearch, 50) },
  coldInstall: { p50: percentile(coldInstall, 50) },
});
// The plan's targets, on the median of the rounds' p95s (one slow round is the machine, not v1).
const target = (label, values, rounds, limit) => {
  const value = medianOfRounds(values, rounds, percentile);
  verdict(value < limit, `${label} (median of ${rounds} rounds): ${fmt(value)} (target < ${limit} ms)`);
};
target('search p95', v1Times, 5, 100);
target('install p95', installTimes, 3, 200);
rmSync(work, { recursive: true, force: true });
