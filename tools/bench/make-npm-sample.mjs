#!/usr/bin/env node
// Derives the committed benchmark data set from the tool library's npm package list:
// the 100,000 most downloaded packages whose name (scoped names flattened to
// scope--name) is a valid gpack name and whose version is semver. Benchmarks read only
// the compressed output, never the source list.
//   node tools/bench/make-npm-sample.mjs [path/to/npm.tsv]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const source = resolve(process.argv[2] ?? join(here, '..', '..', '..', '.library', 'env', 'packages', 'npm.tsv'));
const NAME = /^[a-z0-9][a-z0-9._-]{0,213}$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

const rows = [];
const seen = new Set();
for (const line of readFileSync(source, 'utf8').split('\n').slice(1)) {
  const [rawName, version, downloads, summary = ''] = line.split('\t');
  if (rawName === undefined || version === undefined) continue;
  const name = rawName.startsWith('@') ? rawName.slice(1).replace('/', '--') : rawName;
  if (!NAME.test(name) || !SEMVER.test(version) || seen.has(name)) continue;
  seen.add(name);
  rows.push({ name, version, downloads: Number.parseInt(downloads ?? '0', 10) || 0, summary: summary.replace(/\s+/g, ' ').trim().slice(0, 240) });
}
rows.sort((a, b) => b.downloads - a.downloads || (a.name < b.name ? -1 : 1));
const top = rows.slice(0, 100_000);
const text = ['name\tversion\tdownloads\tsummary', ...top.map((row) => `${row.name}\t${row.version}\t${row.downloads}\t${row.summary}`)].join('\n');
const out = join(here, 'data', 'npm-top100k.tsv.gz');
writeFileSync(out, gzipSync(text, { level: 9 }));
console.log(`${top.length} packages -> ${out}`);
