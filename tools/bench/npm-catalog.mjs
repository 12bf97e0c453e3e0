// Shared by the benchmarks: the committed npm sample as catalog rows, and a v1 registry
// (index.json + one small real archive per package) generated from them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import MiniSearch from 'minisearch';
import { Header } from 'tar';
import { computeChecksum, computeIntegrity } from '@ggen/marketplace-core';

const here = dirname(fileURLToPath(import.meta.url));

/** The `count` most downloaded packages of a committed sample (the flattened 100k, or `npm-top10k-scoped.tsv.gz` with real @scope/names). */
export function loadNpmRows(count, file = 'npm-top100k.tsv.gz') {
  const text = gunzipSync(readFileSync(join(here, 'data', file))).toString('utf8');
  return text
    .split('\n')
    .slice(1, count + 1)
    .map((line) => {
      const [name, version, downloads, summary] = line.split('\t');
      return { name, version, downloads: Number(downloads), summary: summary ?? '' };
    });
}

/**
 * `size` rows of the committed sample, or (past its 100k) of the full npm package list a developer
 * points BENCH_NPM_TSV at (scoped names flattened as the sample's are); nothing needs that file.
 */
export function loadBenchRows(size) {
  if (size <= 100_000) return loadNpmRows(size);
  const source = process.env.BENCH_NPM_TSV;
  if (source === undefined)
    throw new Error(
      'past 100k packs, set BENCH_NPM_TSV to the npm package list (tab-separated: name, version, downloads, summary)',
    );
  const NAME = /^[a-z0-9][a-z0-9._-]{0,213}$/;
  const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
  const seen = new Set();
  const out = [];
  for (const line of readFileSync(source, 'utf8').split('\n').slice(1)) {
    const [raw, version, downloads, annotated = ''] = line.split('\t');
    if (raw === undefined || version === undefined) continue;
    const name = raw.startsWith('@') ? raw.slice(1).replace('/', '--') : raw;
    if (!NAME.test(name) || !SEMVER.test(version) || seen.has(name)) continue;
    seen.add(name);
    out.push({
      name,
      version,
      downloads: Number(downloads),
      summary: annotated.replace(/^\[tested here:[^\]]*\]\s*/, ''),
    });
    if (out.length >= size) break;
  }
  return out;
}

/** Deterministic PRNG (mulberry32), so every run builds the same registry. */
export function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function tgz(files) {
  const blocks = [];
  for (const [path, content] of Object.entries(files)) {
    const body = Buffer.from(content);
    const block = Buffer.alloc(512);
    new Header({ path, mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: new Date(0), type: 'File' }).encode(
      block,
      0,
    );
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks), { level: 6 });
}

/**
 * Writes a v1 registry for `rows` into `dir`. Dependencies go from each package to more
 * popular ones; `installTargets` packages from the middle of the list get exactly ten
 * transitive dependencies each (a tree three levels deep).
 */
export function writeV1Registry(dir, rows, { installTargets = 20, writeArchive = () => true } = {}) {
  const next = random(42);
  const deps = rows.map(() => ({}));
  const start = Math.floor(rows.length / 2);
  const reserved = new Set();
  const targets = [];
  for (let k = 0; k < installTargets; k += 1) {
    const base = start + k * 11;
    const [t, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10] = Array.from({ length: 11 }, (_, i) => base + i);
    for (let i = base; i < base + 11; i += 1) reserved.add(i);
    const range = (i) => `^${rows[i].version}`;
    deps[t] = { [rows[d1].name]: range(d1), [rows[d2].name]: range(d2), [rows[d3].name]: range(d3) };
    deps[d1] = { [rows[d4].name]: range(d4), [rows[d5].name]: range(d5) };
    deps[d2] = { [rows[d6].name]: range(d6), [rows[d7].name]: range(d7) };
    deps[d3] = { [rows[d8].name]: range(d8) };
    deps[d4] = { [rows[d9].name]: range(d9) };
    deps[d8] = { [rows[d10].name]: range(d10) };
    targets.push(rows[t].name);
  }
  rows.forEach((row, index) => {
    if (reserved.has(index) || index < 10) return;
    const count = Math.floor(next() * 3);
    for (let j = 0; j < count; j += 1) {
      const dep = Math.floor(next() * Math.min(index, start));
      if (!reserved.has(dep)) deps[index][rows[dep].name] = '*';
    }
  });
  mkdirSync(join(dir, 'archives'), { recursive: true });
  const packages = rows.map((row, index) => {
    // The signed manifest states the dependencies the index lists: an install checks the two agree.
    const dependencies = Object.entries(deps[index]).map(
      ([dep, range]) => `  ${JSON.stringify(dep)}: ${JSON.stringify(range)}\n`,
    );
    const bytes = tgz({
      'gpack.yaml': `name: ${row.name}\nversion: ${row.version}\ndescription: ${JSON.stringify(row.summary || row.name)}\n${dependencies.length === 0 ? '' : `dependencies:\n${dependencies.join('')}`}`,
      'README.md': `# ${row.name}\n\n${row.summary}\n`,
      'templates/main.tmpl': `{{ name }} uses ${row.name}@${row.version}\n`,
    });
    const archive = `archives/${row.name}-${row.version}.tgz`;
    if (writeArchive(index)) {
      mkdirSync(dirname(join(dir, archive)), { recursive: true });
      writeFileSync(join(dir, archive), bytes);
    }
    const words = row.summary
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((word) => word.length > 3);
    return {
      name: row.name,
      version: row.version,
      category: 'npm',
      description: row.summary,
      tags: words.slice(0, 3),
      keywords: words.slice(3, 6),
      author: 'npm',
      license: 'MIT',
      downloads: row.downloads,
      stars: 0,
      dependencies: deps[index],
      download_url: archive,
      checksum: computeChecksum(bytes),
      integrity: computeIntegrity(bytes),
    };
  });
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({ version: '1.0.0', package_count: packages.length, packages }),
  );
  return { targets, packages };
}

/** The v1 index entries writeV1Registry wrote, as the v2 catalog's packages (what `registry migrate` makes of them). */
export function v1ToCatalogPackages(packages) {
  return packages.map((pkg) => ({
    name: pkg.name,
    description: pkg.description,
    category: pkg.category,
    author: pkg.author,
    license: pkg.license,
    tags: pkg.tags,
    keywords: pkg.keywords,
    downloads: pkg.downloads,
    stars: pkg.stars,
    latest: pkg.version,
    versions: [
      {
        version: pkg.version,
        dependencies: pkg.dependencies,
        yanked: false,
        archive: pkg.download_url,
        checksum: pkg.checksum,
        integrity: pkg.integrity,
      },
    ],
    extra: {},
  }));
}

/** The npm rows as catalog packages (tags and keywords drawn from the summary's words). */
export function toCatalogPackages(rows) {
  return rows.map((row) => {
    const words = row.summary
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((word) => word.length > 3);
    return {
      name: row.name,
      description: row.summary,
      category: 'npm',
      author: 'npm',
      license: 'MIT',
      tags: words.slice(0, 3),
      keywords: words.slice(3, 6),
      downloads: row.downloads,
      stars: 0,
      latest: row.version,
      versions: [
        { version: row.version, dependencies: {}, yanked: false, archive: `archives/${row.name}-${row.version}.tgz` },
      ],
      extra: {},
    };
  });
}

/** 60 queries: exact names, functional words, misspellings, multi-word descriptions. */
export function benchQueries(rows) {
  const queries = [];
  for (let i = 0; i < 20; i += 1) queries.push(rows[(i * 37) % rows.length].name);
  queries.push(
    'react',
    'parser',
    'cli',
    'http server',
    'date format',
    'color',
    'testing framework',
    'logger',
    'webpack plugin',
    'typescript types',
    'markdown',
    'yaml',
    'promise',
    'stream',
    'websocket',
    'css',
    'graphql',
    'database',
    'validation',
    'uuid',
  );
  for (let i = 0; i < 10; i += 1) {
    const name = rows[(i * 13 + 5) % rows.length].name;
    queries.push(name.length > 4 ? name.slice(0, 2) + name.slice(3) : `${name}x`);
  }
  queries.push(
    'fast json schema validator',
    'command line argument parser',
    'react state management',
    'node file system watcher',
    'terminal string styling',
    'html template engine',
    'http request client',
    'unit test assertion library',
    'glob pattern matching',
    'environment variables loader',
  );
  return queries;
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export const fmt = (ms) => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;

/** The plain BM25 baseline every bench compares v2 with: MiniSearch, prefix + fuzzy 0.2, v2's field boosts; empty until `fill`. */
export function miniSearchBaseline() {
  return new MiniSearch({
    fields: ['name', 'keywords', 'tags', 'description'],
    storeFields: ['name'],
    idField: 'name',
    searchOptions: { boost: { name: 3, keywords: 2, tags: 2 }, prefix: true, fuzzy: 0.2 },
  });
}

/** Catalog packages as MiniSearch documents (keywords and tags as text). */
export const miniSearchDocuments = (packages) =>
  packages.map((pkg) => ({ ...pkg, keywords: pkg.keywords.join(' '), tags: pkg.tags.join(' ') }));

/** One deterministic typo in the last word of a name: two neighbouring letters swapped, or a letter dropped. */
export function typoOf(name, index) {
  const cut = Math.max(name.lastIndexOf('/'), name.lastIndexOf('-')) + 1;
  const word = name.slice(cut);
  if (word.length < 5) return undefined;
  const at = 1 + (index % (word.length - 3));
  const changed =
    index % 2 === 0
      ? word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2)
      : word.slice(0, at) + word.slice(at + 1);
  return changed === word ? undefined : name.slice(0, cut) + changed;
}
