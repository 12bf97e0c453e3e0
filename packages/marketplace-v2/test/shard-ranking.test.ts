import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  CATALOG_GRAPH,
  EmbeddedCatalog,
  generateQuery,
  predicatesOf,
  searchAst,
  searchPlan,
  ShardedCatalog,
  SparqlSearchEngine,
  V,
  writeV2Catalog,
  type Row,
  type SearchPlan,
} from '@ggen/marketplace-v2';
import { loadNpmRows, toCatalogPackages } from '../../../tools/testing/npm-sample.mjs';
import { query, sampleRegistry, sharded, temp } from './fixtures.js';

type Filters = Parameters<typeof searchPlan>[1];

/** A registry directory whose catalog is the sample's with lines added (what a hostile or odd registry may hold). */
function sampleWith(lines: string[], drop: (line: string) => boolean = () => false): string {
  const registry = temp('ggen-odd-');
  // Before the closing quad count, which counts them.
  const all = readFileSync(join(sampleRegistry, 'catalog.nq'), 'utf8').trimEnd().split('\n');
  const closing = all.pop() ?? '';
  const text = all.filter((line) => !drop(line));
  const count = /"(\d+)"/.exec(closing)?.[1];
  if (!closing.includes(V.quadCount) || count === undefined) throw new Error('the sample catalog has no closing quad count');
  const recount = closing.replace(`"${count}"`, `"${Number(count) - (all.length - text.length) + lines.length}"`);
  writeFileSync(join(registry, 'catalog.nq'), `${[...text, ...lines, recount].join('\n')}\n`);
  return registry;
}

const quad = (subject: string, predicate: string, object: string): string => `<${subject}> <${predicate}> ${object} <${CATALOG_GRAPH}> .`;
const PKG = 'https://ggen.dev/registry/package/';
const XSD = 'http://www.w3.org/2001/XMLSchema#';

/** Scores as numbers (the engine reads them so; a double's lexical form is the engine's own), the rest as written. */
const comparable = (rows: Row[]): Record<string, string | number>[] => rows.map((row) => ({ ...row, score: Number(row.score) }));

/** Every page shape over one set of tokens and filters: sorts, orders, pages, the count. */
function plans(tokens: SearchPlan['tokens'], filters: Filters): SearchPlan[] {
  const result: SearchPlan[] = [searchPlan(tokens, filters, 'count')];
  for (const sort of ['relevance', 'downloads', 'stars', 'name'] as const) {
    for (const order of [undefined, 'asc', 'desc'] as const) {
      for (const [limit, offset] of [
        [20, 0],
        [3, 2],
        [5, 1000],
      ] as const) {
        result.push(searchPlan(tokens, filters, { sort, limit, offset, ...(order === undefined ? {} : { order }) }));
      }
    }
  }
  return result;
}

/**
 * For each search, every plan's rows from the shards equal oxigraph's for the same lines, and
 * the shards answered (undefined would mean the query ran: the test would prove nothing).
 */
async function expectSameAsOxigraph(catalog: ShardedCatalog, searches: [string, Filters][]): Promise<{ plans: number; rows: number }> {
  const engine = new SparqlSearchEngine(catalog);
  const compared = { plans: 0, rows: 0 };
  for (const [text, filters] of searches) {
    const tokens = text === '' ? [] : await engine.expand(text);
    await catalog.prepare(
      tokens.map((entry) => entry.token),
      filters,
    );
    for (const plan of plans(tokens, filters)) {
      const ast = searchAst(plan);
      const predicates = predicatesOf(ast);
      const expected = await catalog.select(generateQuery(ast), predicates === undefined ? undefined : { predicates });
      const answered = catalog.rank(plan);
      expect({ text, filters, plan, rows: answered === undefined ? 'not answered' : comparable(answered) }).toEqual({ text, filters, plan, rows: comparable(expected) });
      compared.plans += 1;
      compared.rows += expected.length;
    }
  }
  return compared;
}

describe('searches ranked from the shard lines, without oxigraph', () => {
  it('give the rows of the SPARQL query for every sort, order, page, filter and the count, on the sample registry', async () => {
    const catalog = await sharded(sampleRegistry);
    const searches: [string, Filters][] = [
      ['agent memory', {}],
      ['rust web framework', {}],
      ['agent', { category: 'AI-Agents' }],
      ['workflow', { author: 'ggen team' }],
      ['api', { license: 'MIT', minDownloads: 0 }],
      ['rdf', { keyword: 'sparql', minStars: 0 }],
      ['web', { tags: ['rust'] }],
      ['helthcare', {}],
      ['sparq', {}],
      ['', { category: 'finance' }],
      ['', { keyword: 'rust' }],
      ['', { tags: ['rust', 'web'] }],
      ['', { minDownloads: 0, minStars: 0 }],
      ['', { minDownloads: 1e12 }],
    ];
    const compared = await expectSameAsOxigraph(catalog, searches);
    expect(compared.plans).toBe(searches.length * 37);
    // Pages with rows in them were among them: the comparison is not of empty lists.
    expect(compared.rows).toBeGreaterThan(500);
  });

  it('give the rows of the SPARQL query on a 1,000-package npm catalog (ties, large counts, numeric filters)', async () => {
    const registry = temp('ggen-npm-');
    await writeV2Catalog(registry, toCatalogPackages(loadNpmRows(1000)));
    const catalog = await sharded(registry);
    const searches: [string, Filters][] = [
      ['react', {}],
      ['http client', { minDownloads: 1_000_000 }],
      ['test runner', { minStars: 0 }],
      ['typescript types', { tags: ['typescript'] }],
      ['expres', {}],
      ['css', { keyword: 'css' }],
      ['date format parse', {}],
      ['', { tags: ['react'] }],
      ['', { minDownloads: 50_000_000 }],
    ];
    const compared = await expectSameAsOxigraph(catalog, searches);
    expect(compared.plans).toBe(searches.length * 37);
    expect(compared.rows).toBeGreaterThan(500);
  });

  it('leave out, as the query does, a package that has no popularity (neither ranked nor counted) or a posting of a literal that reads as a package IRI', async () => {
    const registry = sampleWith(
      [quad('urn:x:p4', V.token, '"agent"'), quad('urn:x:p4', V.weight, `"1.5"^^<${XSD}double>`), quad('urn:x:p4', V.postingOf, `"${PKG}agent-cli-copilot"`)],
      (line) => line.startsWith(`<${PKG}agent-editor> <${V.popularity}>`),
    );
    expect(readFileSync(join(registry, 'catalog.nq'), 'utf8')).not.toContain(`<${PKG}agent-editor> <${V.popularity}>`);
    const catalog = await sharded(registry);
    const compared = await expectSameAsOxigraph(catalog, [
      ['agent editor', {}],
      ['', { category: 'AI-Agents' }],
    ]);
    expect(compared.rows).toBeGreaterThan(50);
    const engine = new SparqlSearchEngine(catalog);
    const found = await engine.search(query('agent editor', { limit: 100 }));
    expect(found.total).toBeGreaterThan(0);
    expect(found.packages.map((pkg) => pkg.name)).not.toContain('agent-editor');
  });

  it('a one-shot search on the local store does not start oxigraph, and answers as the whole catalog does', async () => {
    const catalog = await sharded(sampleRegistry);
    const whole = new SparqlSearchEngine(new EmbeddedCatalog(readFileSync(join(sampleRegistry, 'catalog.nq'), 'utf8')));
    const local = new SparqlSearchEngine(catalog);
    for (const [text, extra] of [
      ['agent memory', {}],
      ['agent', { sort: 'downloads', limit: 3, offset: 1 }],
      ['', { category: 'finance', sort: 'name' }],
    ] as const) {
      expect(await local.search(query(text, extra))).toEqual({ ...(await whole.search(query(text, extra))), queryTimeMs: expect.any(Number) });
    }
    expect(catalog.engineStarted).toBe(false);
    // The ranking query is still what --verbose shows.
    expect(local.lastQuery).toContain('SELECT');
  });

  describe('where the lines hold what the two could read apart, the query runs', () => {
    const odd: [string, string[], string][] = [
      ['a package with two popularities', [quad(`${PKG}agent-editor`, V.popularity, `"0.123"^^<${XSD}double>`)], 'agent'],
      [
        'a weight that is a decimal, not a double',
        [quad('urn:x:p1', V.token, '"agent"'), quad('urn:x:p1', V.weight, `"2.5"^^<${XSD}decimal>`), quad('urn:x:p1', V.postingOf, `<${PKG}agent-editor>`)],
        'agent',
      ],
      ['a weight written as a string', [quad('urn:x:p2', V.token, '"agent"'), quad('urn:x:p2', V.weight, '"2.5"'), quad('urn:x:p2', V.postingOf, `<${PKG}agent-editor>`)], 'agent'],
      [
        'a second posting of one token for one package',
        [quad('urn:x:p3', V.token, '"agent"'), quad('urn:x:p3', V.weight, `"0.5"^^<${XSD}double>`), quad('urn:x:p3', V.postingOf, `<${PKG}agent-editor>`)],
        'agent',
      ],
      ['two download counts when sorted by downloads', [quad(`${PKG}agent-editor`, V.downloads, `"99"^^<${XSD}integer>`)], 'agent'],
    ];
    for (const [what, lines, text] of odd) {
      it(what, async () => {
        const registry = sampleWith(lines);
        const catalog = await sharded(registry);
        const engine = new SparqlSearchEngine(catalog);
        const tokens = await engine.expand(text);
        await catalog.prepare(
          tokens.map((entry) => entry.token),
          {},
        );
        expect(catalog.rank(searchPlan(tokens, {}, { sort: 'downloads', limit: 20, offset: 0 }))).toBeUndefined();
        // The engine falls back to the query, and answers as oxigraph over the whole catalog.
        const whole = new SparqlSearchEngine(new EmbeddedCatalog(readFileSync(join(registry, 'catalog.nq'), 'utf8')));
        const asked = query(text, { sort: 'downloads', limit: 20 });
        expect(await engine.search(asked)).toEqual({ ...(await whole.search(asked)), queryTimeMs: expect.any(Number) });
        expect(catalog.engineStarted).toBe(true);
      });
    }
  });

  it('after every line went to oxigraph alone (arbitrary SPARQL), searches run their query', async () => {
    const catalog = await sharded(sampleRegistry);
    await catalog.allPackages();
    const engine = new SparqlSearchEngine(catalog);
    const tokens = await engine.expand('agent');
    expect(catalog.rank(searchPlan(tokens, {}, { sort: 'relevance', limit: 5, offset: 0 }))).toBeUndefined();
    const whole = new SparqlSearchEngine(new EmbeddedCatalog(readFileSync(join(sampleRegistry, 'catalog.nq'), 'utf8')));
    expect(await engine.search(query('agent'))).toEqual({ ...(await whole.search(query('agent'))), queryTimeMs: expect.any(Number) });
  });
});
