#!/usr/bin/env node
// Derives the committed benchmark data sets from the tool library's npm package list:
// - npm-top100k: the 100,000 most downloaded packages whose name (scoped names flattened to
//   scope--name) is a valid gpack name and whose version is semver;
// - npm-top10k-scoped: the 10,000 most downloaded with their real names, `@scope/name` kept
//   (namespaces, issue 13).
// Benchmarks and tests read only the compressed outputs, never the source list.
//   node tools/bench/make-npm-sample.mjs [path/to/npm.tsv]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const source = resolve(process.argv[2] ?? join(here, '..', '..', '..', '.library', 'env', 'packages', 'npm.tsv'));
const NAME = /^[a-z0-9][a-z0-9._-]{0,213}$/;
const SCOPED_NAME = /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

const rows = [];
const scopedRows = [];
const seen = new Set();
const seenScoped = new Set();
for (const line of readFileSync(source, 'utf8').split('\n').slice(1)) {
  const [rawName, version, downloads, annotated = ''] = line.split('\t');
  // The tool library prefixes some summaries with notes of its own ("[tested here: ...]"); they are not the authors' words.
  const summary = annotated.replace(/^\[tested here:[^\]]*\]\s*/, '');
  if (rawName === undefined || version === undefined) continue;
  const name = rawName.startsWith('@') ? rawName.slice(1).replace('/', '--') : rawName;
  if (SCOPED_NAME.test(rawName) && rawName.length <= 214 && SEMVER.test(version) && !seenScoped.has(rawName)) {
    seenScoped.add(rawName);
    scopedRows.push({
      name: rawName,
      version,
      downloads: Number.parseInt(downloads ?? '0', 10) || 0,
      summary: summary.replace(/\s+/g, ' ').trim().slice(0, 240),
    });
  }
  if (!NAME.test(name) || !SEMVER.test(version) || seen.has(name)) continue;
  seen.add(name);
  rows.push({
    name,
    version,
    downloads: Number.parseInt(downloads ?? '0', 10) || 0,
    summary: summary.replace(/\s+/g, ' ').trim().slice(0, 240),
  });
}
function write(list, count, file) {
  list.sort((a, b) => b.downloads - a.downloads || (a.name < b.name ? -1 : 1));
  const top = list.slice(0, count);
  const text = [
    'name\tversion\tdownloads\tsummary',
    ...top.map((row) => `${row.name}\t${row.version}\t${row.downloads}\t${row.summary}`),
  ].join('\n');
  const out = join(here, 'data', file);
  writeFileSync(out, gzipSync(text, { level: 9 }));
  console.log(`${top.length} packages (${top.filter((row) => row.name.startsWith('@')).length} scoped) -> ${out}`);
}
write(rows, 100_000, 'npm-top100k.tsv.gz');
write(scopedRows, 10_000, 'npm-top10k-scoped.tsv.gz');
