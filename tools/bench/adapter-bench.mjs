#!/usr/bin/env node
// Adapter overhead benchmark (issue 6): the same searches on a 10k-package v2 catalog (real npm
// metadata), answered by the v2 backend called directly and by the DualBackendAdapter with
// V2Only (metrics recorded to disk, as in the CLI). Calls alternate so that both see the same
// machine load. Target: adapter / direct <= 1.05, judged within each adapter call (its whole time
// against the time of the backend attempt inside it), so that the load of a shared machine, which
// moved the ratio of two separate calls between 0.98 and 1.06, falls on both sides of the ratio.
// Needs: npx nx run-many -t build
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { defaultConfig } from '@ggen/marketplace-core';
import { createV2Adapter, DualBackendAdapter, MetricsStore } from '@ggen/domain-adapters';
import { writeV2Catalog } from '@ggen/marketplace-v2';
import { benchQueries, fmt, loadNpmRows, percentile, toCatalogPackages } from './npm-catalog.mjs';
import { verdict, writeFigures } from './verdict.mjs';

const SIZE = Number(process.env.BENCH_SIZE ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const work = mkdtempSync(join(tmpdir(), 'ggen-adapter-bench-'));
try {
  const rows = loadNpmRows(SIZE);
  await writeV2Catalog(work, toCatalogPackages(rows));
  const queries = benchQueries(rows);
  const direct = createV2Adapter({ location: work, timeoutMs: 10_000, retries: 0 });
  const config = { ...defaultConfig({ HOME: work }), backend: 'v2', state_dir: join(work, 'state') };
  const adapter = new DualBackendAdapter({
    config,
    v1: () => {
      throw new Error('V2Only must not create v1');
    },
    v2: () => direct,
    store: new MetricsStore(join(work, 'state', 'metrics')),
    onRecord: (record) => {
      lastRecord = record;
    },
  });
  let lastRecord;
  // Each adapter call's own time, and the time of the backend attempt inside it.
  const within = { call: 0, attempt: 0 };
  const query = (text) => ({ text, limit: 20, offset: 0, sort: 'relevance' });
  // Warm-up: the catalog loads on the first search.
  for (const text of queries.slice(0, 10)) await direct.search(query(text));

  const times = { direct: [], adapter: [] };
  const perQuery = { direct: queries.map(() => []), adapter: queries.map(() => []) };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [index, text] of queries.entries()) {
      // Alternate which goes first, so neither always gets the warmer cache.
      const order = (round + index) % 2 === 0 ? ['direct', 'adapter'] : ['adapter', 'direct'];
      for (const which of order) {
        const target = which === 'direct' ? direct : adapter;
        const started = performance.now();
        await target.search(query(text));
        const ms = performance.now() - started;
        if (which === 'adapter') {
          within.call += ms;
          within.attempt += lastRecord.attempts.reduce((sum, attempt) => sum + attempt.ms, 0);
        }
        times[which].push(ms);
        perQuery[which][index].push(ms);
      }
      await yieldToLoop();
    }
  }
  const summary = (values) => ({
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
  });
  const d = summary(times.direct);
  const a = summary(times.adapter);
  // Per query, the median over the rounds; the ratio of their sums shrugs off a GC pause.
  const sumOfMedians = (lists) => lists.reduce((sum, list) => sum + percentile(list, 50), 0);
  const ratio = sumOfMedians(perQuery.adapter) / sumOfMedians(perQuery.direct);
  console.log(`adapter overhead, ${SIZE} packages, ${queries.length} queries x ${ROUNDS} rounds`);
  console.log(`  v2 backend direct (baseline): p50 ${fmt(d.p50)}, p95 ${fmt(d.p95)}, mean ${fmt(d.mean)}`);
  console.log(`  DualBackendAdapter V2Only:    p50 ${fmt(a.p50)}, p95 ${fmt(a.p95)}, mean ${fmt(a.mean)}`);
  const overhead = within.call / within.attempt;
  console.log(
    `  adapter/direct, separate calls (sum of per-query medians): ${ratio.toFixed(3)} (load noise of a few percent either way; not judged)`,
  );
  writeFigures('adapter', {
    direct: { p50: d.p50, p95: d.p95 },
    adapter: { p50: a.p50, p95: a.p95 },
    ratio,
    overhead,
  });
  verdict(
    overhead <= 1.05,
    `adapter call / its backend attempt (every adapter call, same calls): ${overhead.toFixed(3)} (target <= 1.05)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
