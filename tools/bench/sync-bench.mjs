#!/usr/bin/env node
// What a registry costs the client as it grows (issue 31): for each size N of an npm-derived v1
// registry, whole `ggen` processes with node's default heap, each under GNU time (peak RSS) with
// a preload that reports the bytes the process read and wrote (/proc/self/io):
//   1. `registry migrate` of the v1 index into a v2 catalog (no archives to copy);
//   2. `sync` of that catalog into a fresh local store (the store's bytes per pack), then a
//      `sync` with nothing changed (the baseline: the process's own code and the store's index);
//   3. one more pack: `publish` of a new pack into the v2 directory, as a user runs it;
//   4. the incremental `sync` after it: what it read and wrote beyond the unchanged sync.
//   node tools/bench/sync-bench.mjs [sizes, default 10000,100000]   (BENCH_NPM_TSV past 100k)
// Exits 1 on a MISS of: migrate succeeds in the default heap; sync peak RSS < 500 MB;
// the incremental sync reads and writes O(change): less than 1% of the catalog's bytes beyond
// the unchanged sync's.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBenchRows, writeV1Registry } from './npm-catalog.mjs';
import { verdict, writeFigures } from './verdict.mjs';

const SIZES = (process.argv[2] ?? '10000,100000').split(',').map(Number);
const here = dirname(fileURLToPath(import.meta.url));
const launcher = resolve(here, '..', '..', 'packages', 'cli', 'bin', 'ggen.cjs');
const work = mkdtempSync(join(tmpdir(), 'ggen-sync-bench-'));
const preload = join(work, 'io-report.cjs');
// At exit, the process's read and written bytes (rchar/wchar: every read and write, cached or not).
writeFileSync(
  preload,
  `process.on('exit', () => { try { require('node:fs').writeFileSync(process.env.BENCH_IO_REPORT, require('node:fs').readFileSync('/proc/self/io', 'utf8')); } catch {} });\n`,
);
const MB = 1024 * 1024;
const mb = (bytes) => `${(bytes / MB).toFixed(0)} MB`;

/** One `ggen` process: seconds, peak RSS (bytes), bytes read and written, its exit status and output. */
function ggen(args, home) {
  const report = join(work, 'io.txt');
  rmSync(report, { force: true });
  const started = process.hrtime.bigint();
  const run = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, launcher, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      GGEN_DAEMON: '0',
      NODE_OPTIONS: `--require ${preload}`,
      BENCH_IO_REPORT: report,
    },
    encoding: 'utf8',
    maxBuffer: 64 * MB,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const io = (() => {
    try {
      return Object.fromEntries(
        readFileSync(report, 'utf8')
          .trim()
          .split('\n')
          .map((line) => line.split(': '))
          .map(([key, value]) => [key, Number(value)]),
      );
    } catch {
      return {};
    }
  })();
  const rssKb = Number(run.stderr.trim().split('\n').at(-1));
  return {
    ok: run.status === 0,
    status: run.status,
    seconds,
    rss: rssKb * 1024,
    read: io.rchar ?? Number.NaN,
    written: io.wchar ?? Number.NaN,
    output: `${run.stdout}${run.stderr}`,
  };
}

/** The bytes of the files under a directory. */
function bytesUnder(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? bytesUnder(path) : statSync(path).size;
  }
  return total;
}

const rows = [];
try {
  for (const size of SIZES) {
    const v1 = join(work, `v1-${size}`);
    const registry = join(work, `registry-${size}`);
    const home = join(work, `home-${size}`);
    mkdirSync(home, { recursive: true });
    const packs = loadBenchRows(size);
    // The index only: archives do not change what migrate and sync cost.
    writeV1Registry(v1, packs, { installTargets: 3, writeArchive: () => false });
    const migrate = ggen(['marketplace', 'registry', 'migrate', '--from', v1, '--to', registry], home);
    rmSync(v1, { recursive: true, force: true });
    if (!migrate.ok) {
      rows.push({ size, migrate });
      console.log(`${size}: registry migrate failed (${migrate.status}): ${migrate.output.slice(-400)}`);
      continue;
    }
    const catalogBytes = statSync(join(registry, 'catalog.nq')).size;
    const sync = ggen(['marketplace', 'sync', '--registry', registry, '--json'], home);
    const synced = sync.ok ? JSON.parse(sync.output.slice(0, sync.output.lastIndexOf('}') + 1)) : undefined;
    const storeBytes = synced === undefined ? Number.NaN : bytesUnder(synced.store);
    const unchanged = ggen(['marketplace', 'sync', '--registry', registry, '--json'], home);
    // One more pack, published into the directory as a user does.
    const pack = join(work, `pack-${size}`);
    mkdirSync(join(pack, 'templates'), { recursive: true });
    writeFileSync(
      join(pack, 'gpack.yaml'),
      'name: sync-bench-one-more\nversion: 1.0.0\ndescription: one more pack\nlicense: MIT\n',
    );
    writeFileSync(join(pack, 'templates', 'a.tmpl'), 'a');
    const publish = ggen(['marketplace', 'publish', pack, '--registry', registry, '--backend', 'v2'], home);
    const incremental = ggen(['marketplace', 'sync', '--registry', registry, '--json'], home);
    const found = ggen(['marketplace', 'search', 'sync-bench-one-more', '--registry', registry, '--json'], home);
    incremental.ok &&= publish.ok && found.ok && found.output.includes('"sync-bench-one-more"');
    rows.push({ size, migrate, catalogBytes, sync, storeBytes, unchanged, publish, incremental });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log(
  `\n${'packs'.padStart(8)} | ${'migrate: s, peak RSS'.padEnd(22)} | ${'catalog'.padStart(8)} | ${'sync: s, peak RSS'.padEnd(20)} | ${'store, per pack'.padEnd(18)} | ${'+1 pack: publish s'.padEnd(18)} | incremental sync: s, read / written (unchanged sync: read / written)`,
);
for (const row of rows) {
  if (row.sync === undefined) {
    console.log(`${String(row.size).padStart(8)} | migrate failed`);
    continue;
  }
  console.log(
    [
      String(row.size).padStart(8),
      `${row.migrate.seconds.toFixed(1)} s, ${mb(row.migrate.rss)}`.padEnd(22),
      mb(row.catalogBytes).padStart(8),
      `${row.sync.seconds.toFixed(1)} s, ${mb(row.sync.rss)}`.padEnd(20),
      `${mb(row.storeBytes)}, ${(row.storeBytes / row.size / 1024).toFixed(1)} KB`.padEnd(18),
      `${row.publish.seconds.toFixed(1)} s`.padEnd(18),
      `${row.incremental.seconds.toFixed(1)} s, ${mb(row.incremental.read)} / ${mb(row.incremental.written)} (${mb(row.unchanged.read)} / ${mb(row.unchanged.written)})`,
    ].join(' | '),
  );
}
console.log(
  '(read / written: every byte the process read or wrote, its own code included; an unchanged sync in the same run is the baseline)',
);
writeFigures('sync-bench', { rows });
for (const row of rows) {
  const label = row.size.toLocaleString('en');
  verdict(row.migrate.ok, `${label}: registry migrate within node's default heap`);
  if (row.sync === undefined) continue;
  verdict(row.sync.ok && row.sync.rss < 500 * MB, `${label}: sync peak RSS ${mb(row.sync.rss)} (target < 500 MB)`);
  const change = Math.max(row.incremental.read - row.unchanged.read, row.incremental.written - row.unchanged.written);
  verdict(
    row.incremental.ok && change < row.catalogBytes / 100,
    `${label}: incremental sync after one published pack read ${mb(row.incremental.read)}, wrote ${mb(row.incremental.written)}: ${(change / 1024).toFixed(0)} KB beyond an unchanged sync (target O(change): < 1% of the ${mb(row.catalogBytes)} catalog)`,
  );
}
