#!/usr/bin/env node
// Relevance tool (issue 4): nDCG@10, MRR@10 and zero-result rate of v1, v2 and a plain BM25
// baseline (MiniSearch, prefix + fuzzy 0.2, same field boosts) over the judged queries in
// data/relevance-judgments.json, on the built-in sample registry, the npm top 10k and the npm 10k
// with real @scope/names; then known-item and typo-name MRR@10 on both npm catalogs.
// Needs: npx nx run-many -t build
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseV1Index, searchV1, v1SearchFields } from '@ggen/marketplace-v1';
import { catalogToNQuads, EmbeddedCatalog, SparqlSearchEngine } from '@ggen/marketplace-v2';
import { loadNpmRows, miniSearchBaseline, miniSearchDocuments, toCatalogPackages, typoOf } from './npm-catalog.mjs';
import { verdict } from './verdict.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const sample = resolve(here, '..', '..', 'packages', 'cli', 'sample-registry');
const { queries } = JSON.parse(readFileSync(join(here, 'data', 'relevance-judgments.json'), 'utf8'));

function systemsFor(packages, nquads) {
  const engine = new SparqlSearchEngine(new EmbeddedCatalog(nquads));
  const mini = miniSearchBaseline();
  mini.addAll(miniSearchDocuments(packages));
  const query = (text) => ({ text, limit: 10, offset: 0, sort: 'relevance' });
  let fields;
  return {
    v1: async (text) =>
      searchV1(packages, query(text), (fields ??= v1SearchFields(packages))).packages.map((pkg) => pkg.name),
    v2: async (text) => (await engine.search(query(text))).packages.map((pkg) => pkg.name),
    bm25: async (text) =>
      mini
        .search(text)
        .slice(0, 10)
        .map((hit) => hit.name),
  };
}

const corpusPackages = parseV1Index(readFileSync(join(sample, 'index.json'), 'utf8'), 'index.json').packages;
const npmPackages = toCatalogPackages(loadNpmRows(10_000));
const scopedRows = loadNpmRows(10_000, 'npm-top10k-scoped.tsv.gz');
const scopedPackages = toCatalogPackages(scopedRows);
const catalogs = {
  corpus: systemsFor(corpusPackages, readFileSync(join(sample, 'catalog.nq'), 'utf8')),
  npm10k: systemsFor(npmPackages, catalogToNQuads(npmPackages)),
  scoped10k: systemsFor(scopedPackages, catalogToNQuads(scopedPackages)),
};

const gain = (grade) => 2 ** grade - 1;
function ndcgAt10(ranked, judgments) {
  const dcg = ranked
    .slice(0, 10)
    .reduce((sum, name, index) => sum + gain(judgments[name] ?? 0) / Math.log2(index + 2), 0);
  const ideal = Object.values(judgments)
    .sort((a, b) => b - a)
    .slice(0, 10)
    .reduce((sum, grade, index) => sum + gain(grade) / Math.log2(index + 2), 0);
  return ideal === 0 ? 0 : dcg / ideal;
}
function mrrAt10(ranked, judgments) {
  const index = ranked.slice(0, 10).findIndex((name) => (judgments[name] ?? 0) >= 2);
  return index === -1 ? 0 : 1 / (index + 1);
}

const systems = ['v1', 'v2', 'bm25'];
const results = { all: {}, corpus: {}, npm10k: {}, scoped10k: {} };
const perQuery = [];
for (const entry of queries) {
  const row = { query: entry.query, catalog: entry.catalog };
  for (const system of systems) {
    const ranked = await catalogs[entry.catalog][system](entry.query);
    row[system] = {
      ndcg: ndcgAt10(ranked, entry.judgments),
      mrr: mrrAt10(ranked, entry.judgments),
      zero: ranked.length === 0,
      top: ranked.slice(0, 3),
    };
    for (const scope of ['all', entry.catalog]) {
      const bucket = (results[scope][system] ??= { ndcg: 0, mrr: 0, zero: 0, count: 0 });
      bucket.ndcg += row[system].ndcg;
      bucket.mrr += row[system].mrr;
      bucket.zero += row[system].zero ? 1 : 0;
      bucket.count += 1;
    }
  }
  perQuery.push(row);
}

console.log(
  `relevance over ${queries.length} judged queries (${queries.filter((q) => q.catalog === 'corpus').length} corpus, ${queries.filter((q) => q.catalog === 'npm10k').length} npm top 10k, ${queries.filter((q) => q.catalog === 'scoped10k').length} npm 10k with scopes)`,
);
console.log(
  `${'scope'.padEnd(8)} ${'system'.padEnd(6)} ${'nDCG@10'.padStart(8)} ${'MRR@10'.padStart(8)} ${'zero-result'.padStart(12)}`,
);
for (const scope of ['all', 'corpus', 'npm10k', 'scoped10k']) {
  for (const system of systems) {
    const bucket = results[scope][system];
    console.log(
      `${scope.padEnd(8)} ${system.padEnd(6)} ${(bucket.ndcg / bucket.count).toFixed(3).padStart(8)} ${(bucket.mrr / bucket.count).toFixed(3).padStart(8)} ${`${((bucket.zero / bucket.count) * 100).toFixed(1)}%`.padStart(12)}`,
    );
  }
}
const mean = (system) => results.all[system].ndcg / results.all[system].count;
console.log('\nweakest v2 queries (nDCG@10 < 0.5):');
for (const row of perQuery.filter((entry) => entry.v2.ndcg < 0.5).sort((a, b) => a.v2.ndcg - b.v2.ndcg)) {
  console.log(
    `  ${row.catalog}/${JSON.stringify(row.query)}: v2 ${row.v2.ndcg.toFixed(2)} [${row.v2.top.join(', ')}]  v1 ${row.v1.ndcg.toFixed(2)}  bm25 ${row.bm25.ndcg.toFixed(2)}`,
  );
}
console.log('');

// Known-item and typo-name search (issue 13): each query is a package's name, as typed or with
// one typo in its last word; the one right answer is that package. On the flattened npm 10k
// and on the 10k with real names, 42% of them scoped (@types/node).
const namedCatalogs = {
  npm10k: { rows: loadNpmRows(10_000), systems: catalogs.npm10k },
  scoped10k: { rows: scopedRows, systems: catalogs.scoped10k },
};
const namedResults = {};
const scopedMisses = [];
for (const [catalog, { rows, systems: engines }] of Object.entries(namedCatalogs)) {
  const targets = rows.filter((_, index) => index % 25 === 7).map((row) => row.name);
  for (const kind of ['known-item', 'typo-name']) {
    const queries = targets.flatMap((name, index) => {
      const text = kind === 'known-item' ? name : typoOf(name, index);
      return text === undefined ? [] : [{ text, name }];
    });
    for (const system of ['v2', 'bm25']) {
      let sum = 0;
      for (const { text, name } of queries) {
        const rank = (await engines[system](text)).indexOf(name);
        sum += rank === -1 ? 0 : 1 / (rank + 1);
        if (system === 'v2' && rank === -1 && name.startsWith('@'))
          scopedMisses.push({ catalog, kind, query: text, name });
      }
      namedResults[`${catalog} ${kind} ${system}`] = { mrr: sum / queries.length, count: queries.length };
    }
  }
}
console.log(
  `${'catalog'.padEnd(10)} ${'queries'.padEnd(11)} ${'count'.padStart(6)} ${'v2 MRR@10'.padStart(10)} ${'BM25 MRR@10'.padStart(12)}`,
);
for (const catalog of Object.keys(namedCatalogs)) {
  for (const kind of ['known-item', 'typo-name']) {
    const v2 = namedResults[`${catalog} ${kind} v2`];
    const bm25 = namedResults[`${catalog} ${kind} bm25`];
    console.log(
      `${catalog.padEnd(10)} ${kind.padEnd(11)} ${String(v2.count).padStart(6)} ${v2.mrr.toFixed(3).padStart(10)} ${bm25.mrr.toFixed(3).padStart(12)}`,
    );
  }
}
console.log(`scoped names v2 misses (not in the top 10): ${scopedMisses.length}`);
for (const miss of scopedMisses.slice(0, 20))
  console.log(`  ${miss.catalog}/${miss.kind}: ${JSON.stringify(miss.query)} -> ${miss.name}`);
console.log('');
for (const catalog of Object.keys(namedCatalogs)) {
  for (const kind of ['known-item', 'typo-name']) {
    const v2 = namedResults[`${catalog} ${kind} v2`].mrr;
    const bm25 = namedResults[`${catalog} ${kind} bm25`].mrr;
    verdict(v2 >= bm25, `${catalog} ${kind} MRR@10: v2 ${v2.toFixed(3)} >= BM25 baseline ${bm25.toFixed(3)}`);
  }
}
verdict(mean('v2') >= mean('bm25'), `v2 nDCG@10 ${mean('v2').toFixed(3)} >= BM25 baseline ${mean('bm25').toFixed(3)}`);
const corpus = results.corpus.v2.ndcg / results.corpus.v2.count;
verdict(corpus >= 0.96, `v2 nDCG@10 on the judged ggen corpus ${corpus.toFixed(3)} >= 0.96 (issue 31)`);
verdict(
  mean('v2') >= mean('v1') * 1.1,
  `v2 nDCG@10 ${mean('v2').toFixed(3)} >= v1 ${mean('v1').toFixed(3)} + 10% (${(mean('v1') * 1.1).toFixed(3)})`,
);
