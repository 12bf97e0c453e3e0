#!/usr/bin/env node
// A scripted run of a few hundred real CLI operations against the built-in sample registry,
// then the three reports an operator reads: metrics, compare report, rollout status. The
// operations go through the user's entry point, so lookups are served by the resident query
// service (a private one, stopped at the end) unless GGEN_DAEMON=0.
// Usage: node tools/scripted-rollout.mjs [operations=300]  (needs: npx nx run cli:build:parallel)
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const cli = join(root, 'packages', 'cli', 'bin', 'ggen.cjs');
const total = Number(process.argv[2] ?? 300);
const home = mkdtempSync(join(tmpdir(), 'ggen-rollout-'));
const broken = mkdtempSync(join(tmpdir(), 'ggen-broken-v2-'));
cpSync(join(root, 'packages', 'cli', 'sample-registry'), broken, { recursive: true });
writeFileSync(join(broken, 'catalog.nq'), '<urn:a> <urn:b> "never closed .\n');
const queries = [
  'agent memory',
  'rust web',
  'bibtex',
  'healthcare',
  'graphql',
  'sparql query',
  'finance',
  'api',
  'react',
  'ontology',
];
const packages = ['agent-editor', 'agent-reasoning-mcp', 'academic-bibliography-manager', 'agent-memory-forge'];
const env = {
  PATH: process.env.PATH ?? '',
  HOME: home,
  GGEN_DAEMON_DIR: join(home, 'svc'),
  ...(process.env.GGEN_DAEMON === undefined ? {} : { GGEN_DAEMON: process.env.GGEN_DAEMON }),
};
let failures = 0;
for (let index = 0; index < total; index += 1) {
  const text = queries[index % queries.length];
  const name = packages[index % packages.length];
  // 40% compare searches, 40% default (v2-with-fallback) searches, 10% info, 10% installs;
  // every 25th operation meets a broken v2 store, so fallbacks are exercised too.
  const args =
    index % 10 < 4
      ? ['marketplace', 'search', text, '--backend', 'compare']
      : index % 10 < 8
        ? ['marketplace', 'search', text]
        : index % 10 === 8
          ? ['marketplace', 'info', name, '--backend', 'compare']
          : ['marketplace', 'install', name, '--force'];
  const extra = index % 25 === 0 ? { GGEN_MARKETPLACE_V2_REGISTRY: broken } : {};
  const run = spawnSync(process.execPath, [cli, ...args], { env: { ...env, ...extra }, encoding: 'utf8' });
  if (run.status !== 0) failures += 1;
}
console.log(`ran ${total} operations (${failures} failed) in ${home}\n`);
for (const args of [['metrics'], ['compare', 'report', '--worst', '5'], ['rollout', 'status']]) {
  console.log(`$ ggen marketplace ${args.join(' ')}`);
  console.log(execFileSync(process.execPath, [cli, 'marketplace', ...args], { env, encoding: 'utf8' }));
}
execFileSync(process.execPath, [cli, 'marketplace', 'daemon', 'stop'], { env, stdio: 'ignore' });
