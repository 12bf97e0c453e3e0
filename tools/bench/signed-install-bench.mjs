#!/usr/bin/env node
// Signed install benchmark (issue 5): a v2 registry of 2,000 packages from real npm metadata,
// every archive signed (minisign format, Ed25519); 20 packages each with 10 transitive
// dependencies. In one run, alternating: install with every signature verified against a
// trusted key (fetch .minisig, BLAKE2b-512 prehash, two strict Ed25519 checks per package)
// and the same install unverified (the baseline). Target: verified p95 < 200 ms.
// Needs: npx nx run-many -t build
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { migrateV1RegistryToV2 } from '@ggen/domain-adapters';
import { createV2Backend, generateSecretKey, readV2CatalogFile, signPackageArchive } from '@ggen/marketplace-v2';
import { fmt, loadNpmRows, percentile, writeV1Registry } from './npm-catalog.mjs';
import { medianOfRounds, verdict, writeFigures } from './verdict.mjs';

const SIZE = Number(process.env.BENCH_SIZE ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const work = mkdtempSync(join(tmpdir(), 'ggen-signed-bench-'));
try {
  const registry = join(work, 'registry');
  const { targets } = writeV1Registry(registry, loadNpmRows(SIZE));
  await migrateV1RegistryToV2({ from: registry, to: registry, timeoutMs: 10_000, retries: 0 });
  const key = generateSecretKey();
  const signStarted = performance.now();
  let signed = 0;
  for (const pkg of await readV2CatalogFile(registry)) {
    for (const version of pkg.versions) {
      if (version.archive === undefined || version.integrity === undefined) continue;
      const path = join(registry, version.archive);
      writeFileSync(
        `${path}.minisig`,
        signPackageArchive(key, readFileSync(path), {
          name: pkg.name,
          version: version.version,
          integrity: version.integrity,
        }),
      );
      signed += 1;
    }
  }
  const signMs = performance.now() - signStarted;
  const backend = createV2Backend({
    location: registry,
    timeoutMs: 10_000,
    retries: 0,
    trustedKeys: () => Promise.resolve([key]),
  });
  // Warm-up: the catalog loads on first use.
  await backend.getPackage(targets[0]);

  const times = { verified: [], plain: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [index, name] of targets.entries()) {
      const order = (round + index) % 2 === 0 ? ['verified', 'plain'] : ['plain', 'verified'];
      for (const mode of order) {
        const target = mkdtempSync(join(work, 'install-'));
        const started = performance.now();
        const result = await backend.install({
          specs: [name],
          packagesDir: join(target, 'gpacks'),
          lockfilePath: join(target, 'ggen.lock'),
          verifySignatures: mode === 'verified',
        });
        times[mode].push(performance.now() - started);
        if (result.installed.length !== 11)
          throw new Error(`${name}: expected 11 packages, got ${result.installed.length}`);
        if (mode === 'verified' && !result.installed.every((entry) => entry.signature !== undefined))
          throw new Error(`${name}: not every package was verified`);
        rmSync(target, { recursive: true, force: true });
        await yieldToLoop();
      }
    }
  }
  const p = (values, q) => percentile(values, q);
  console.log(
    `signed install, v2 registry of ${SIZE} packages (${signed} archives signed in ${fmt(signMs)}), ${targets.length} installs x ${ROUNDS} rounds, 11 packages each`,
  );
  console.log(`  install, signatures verified:  p50 ${fmt(p(times.verified, 50))}, p95 ${fmt(p(times.verified, 95))}`);
  console.log(`  install, unverified (baseline): p50 ${fmt(p(times.plain, 50))}, p95 ${fmt(p(times.plain, 95))}`);
  const cost = p(times.verified, 50) - p(times.plain, 50);
  console.log(`  verification cost per install (p50 difference): ${fmt(cost)} (${fmt(cost / 11)} per package)`);
  const p95 = p(times.verified, 95);
  writeFigures('signed-install', {
    verified: { p50: p(times.verified, 50), p95 },
    unverified: { p50: p(times.plain, 50), p95: p(times.plain, 95) },
    packagesPerInstall: 11,
  });
  const roundP95 = medianOfRounds(times.verified, ROUNDS, percentile);
  verdict(roundP95 < 200, `verified install p95 (median of ${ROUNDS} rounds): ${fmt(roundP95)} (target < 200 ms)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
