import { describe, expect, it } from '@jest/globals';
import { editDistanceWithin, type CatalogPackage, type SearchQuery } from '@ggen/marketplace-core';
import {
  buildSearchAst,
  CATALOG_GRAPH,
  generateQuery,
  catalogToNQuads,
  EmbeddedCatalog,
  inflections,
  predicatesOf,
  SparqlSearchEngine,
  V,
  Vocabulary,
} from '@ggen/marketplace-v2';
import { Parser, type SelectQuery } from 'sparqljs';
import { sampleCatalogText } from './fixtures.js';

const engine = new SparqlSearchEngine(new EmbeddedCatalog(sampleCatalogText()));
const query = (overrides: Partial<SearchQuery>): SearchQuery => ({
  text: '',
  limit: 20,
  offset: 0,
  sort: 'relevance',
  ...overrides,
});
const names = async (overrides: Partial<SearchQuery>): Promise<string[]> =>
  (await engine.search(query(overrides))).packages.map((pkg) => pkg.name);
/** A one-version catalog package for small hand-made catalogs. */
const pkg = (name: string, downloads: number, description: string): CatalogPackage => ({
  name,
  description,
  tags: [],
  keywords: [],
  downloads,
  stars: 0,
  latest: '1.0.0',
  versions: [{ version: '1.0.0', dependencies: {}, yanked: false, archive: `archives/${name}-1.0.0.tgz` }],
  extra: {},
});

describe('SparqlSearchEngine on the sample catalog', () => {
  it('ranks an exact name first', async () => {
    expect((await names({ text: 'agent-editor' }))[0]).toBe('agent-editor');
    expect((await names({ text: 'banking-core' }))[0]).toBe('banking-core');
  });

  it('matches functional words across name, keywords, tags and description', async () => {
    const found = await names({ text: 'bibtex citations' });
    expect(found[0]).toBe('academic-bibliography-manager');
    expect((await engine.search(query({ text: 'agent memory' }))).backend).toBe('v2');
  });

  it('tolerates typos and completes prefixes', async () => {
    expect((await names({ text: 'bibliografy' }))[0]).toBe('academic-bibliography-manager');
    expect((await names({ text: 'biblio' }))[0]).toBe('academic-bibliography-manager');
  });

  it('weighs completions of a whole word below the word itself: "cli" finds CLI packs before "clinical"', async () => {
    const found = await names({ text: 'cli', limit: 10 });
    expect(found.length).toBeGreaterThan(5);
    const clinical = found.indexOf('clinical-trials-management');
    const cliPacks = found.filter((name) => name.split('-').includes('cli'));
    expect(cliPacks.length).toBeGreaterThan(3);
    // Every CLI pack on the page ranks above the clinical one (which may fall off the page).
    for (const name of cliPacks) expect(clinical === -1 || found.indexOf(name) < clinical).toBe(true);
    // A word still being typed is completed as before.
    expect((await names({ text: 'clinic' }))[0]).toBe('clinical-trials-management');
  });

  it('finds an abbreviation written in the plural: "rust cli" finds the pack that generates "Rust CLIs" first', async () => {
    expect([inflections('cli'), inflections('api'), inflections('sdk')]).toEqual([['clis'], ['apis'], ['sdks']]);
    // Longer words, words with digits or already ending in s: no forms guessed.
    expect([inflections('type'), inflections('d3'), inflections('css'), inflections('js')]).toEqual([[], [], [], []]);
    expect((await names({ text: 'rust cli' }))[0]).toBe('clap-noun-verb');
    // The form typed still weighs more than the other: a pack named "cli" keeps its place.
    const expanded = await engine.expand('rust cli');
    expect(expanded.find((entry) => entry.token === 'cli')?.boost).toBe(1);
    expect(expanded.find((entry) => entry.token === 'clis')?.boost).toBe(0.5);
  });

  it('returns nothing, quickly, for words the catalog does not have', async () => {
    expect(await engine.search(query({ text: 'qqqzzzxxx' }))).toMatchObject({ packages: [], total: 0 });
  });

  it('filters in SPARQL: category, author, license, keyword, tags, minimum downloads', async () => {
    expect((await engine.search(query({ category: 'FINANCE', limit: 100 }))).total).toBe(7);
    expect(
      (await engine.search(query({ text: 'agent', category: 'ai-agents' }))).packages.every(
        (pkg) => pkg.category === 'ai-agents',
      ),
    ).toBe(true);
    expect(await names({ keyword: 'bibtex' })).toEqual(['academic-bibliography-manager']);
    expect((await engine.search(query({ author: 'NOBODY' }))).total).toBe(0);
    expect(
      (await engine.search(query({ tags: ['ai', 'rdf'], limit: 100 }))).packages.every(
        (pkg) => pkg.tags.includes('ai') && pkg.tags.includes('rdf'),
      ),
    ).toBe(true);
    expect((await engine.search(query({ minDownloads: 1 }))).total).toBe(0);
  });

  it('sorts by name either way and pages with a stable total', async () => {
    const all = await engine.search(query({ category: 'healthcare', sort: 'name', limit: 100 }));
    const sorted = all.packages.map((pkg) => pkg.name);
    expect(sorted).toEqual([...sorted].sort());
    expect(await names({ category: 'healthcare', sort: 'name', order: 'desc', limit: 100 })).toEqual(
      [...sorted].reverse(),
    );
    const page = await engine.search(query({ category: 'healthcare', sort: 'name', limit: 2, offset: 2 }));
    expect([page.total, page.packages.map((pkg) => pkg.name)]).toEqual([all.total, sorted.slice(2, 4)]);
  });

  it('breaks ties by name (every sample pack has 0 stars)', async () => {
    const tied = await names({ sort: 'stars', limit: 100 });
    expect(tied.length).toBe(77);
    expect(tied).toEqual([...tied].sort());
  });
});

describe('the total', () => {
  it('is the same whether a COUNT answers it (full page) or the end of a partial page does', async () => {
    const search = (text: string, extra: Partial<SearchQuery>) =>
      engine.search({ text, limit: 20, offset: 0, sort: 'relevance', ...extra });
    for (const [text, extra] of [
      ['agent', {}],
      ['workflow', {}],
      ['', { category: 'finance' }],
      ['', { minDownloads: 0 }],
    ] as const) {
      const counted = await search(text, { ...extra, limit: 1 });
      const ended = await search(text, { ...extra, limit: 1000 });
      expect(counted.total).toBe(ended.packages.length);
      expect(ended.total).toBe(ended.packages.length);
      // Past the end, the page is empty and the total still comes from a COUNT.
      expect((await search(text, { ...extra, offset: 5000 })).total).toBe(ended.total);
    }
  });

  it('counts only what can be ranked: a package without a popularity (a catalog not written by ggen) is in neither', async () => {
    const lines = sampleCatalogText().split('\n');
    const withoutPopularity = lines.filter(
      (line) => !(line.includes('/package/agent-editor>') && line.includes(V.popularity)),
    );
    expect(withoutPopularity.length).toBe(lines.length - 1);
    const partial = new SparqlSearchEngine(new EmbeddedCatalog(withoutPopularity.join('\n')));
    for (const [text, extra] of [
      ['agent', {}],
      ['', { category: 'ai-agents' }],
    ] as const) {
      const counted = await partial.search(query({ text, ...extra, limit: 1 }));
      const ended = await partial.search(query({ text, ...extra, limit: 1000 }));
      expect(ended.packages.map((pkg) => pkg.name)).not.toContain('agent-editor');
      expect({ text, counted: counted.total }).toEqual({ text, counted: ended.packages.length });
    }
  });
});

describe('ranking with a popularity prior', () => {
  const catalog = new EmbeddedCatalog(
    catalogToNQuads([
      pkg('hono', 5_000_000, 'Web framework built on web standards'),
      pkg('tiny-web-thing', 3, 'Web framework'),
      pkg('express', 90_000_000, 'Fast minimalist web framework for node'),
    ]),
  );

  it('brings the packages people use above equally relevant unused ones', async () => {
    const found = await new SparqlSearchEngine(catalog).search(query({ text: 'web framework' }));
    expect(found.packages.map((entry) => entry.name).slice(0, 2)).toEqual(['express', 'hono']);
    expect(found.total).toBe(3);
  });

  it('sorts by downloads when asked', async () => {
    const found = await new SparqlSearchEngine(catalog).search(query({ text: 'web', sort: 'downloads', order: 'asc' }));
    expect(found.packages.map((entry) => entry.name)).toEqual(['tiny-web-thing', 'hono', 'express']);
  });
});

describe('known-item queries (regressions from the relevance tool at 100k npm-derived packs)', () => {
  // More popular packs that share every word with the ones asked for, more than a word keeps
  // postings for (MAX_POSTINGS_PER_TOKEN): the wanted pack must still come first.
  const crowd = Array.from({ length: 320 }, (_, index) => [
    pkg(`@types/d3-fetch-plugin-${index}`, 1_000_000, 'd3 fetch types'),
    pkg(`@parcel/transformer-html-x${index}`, 1_000_000, 'parcel transformer html'),
  ]).flat();
  const catalog = new SparqlSearchEngine(
    new EmbeddedCatalog(
      catalogToNQuads([
        ...crowd,
        pkg('@types/d3-fetch', 50_000, 'TypeScript definitions for d3-fetch'),
        pkg('d3', 9_000_000, 'Data-driven documents'),
        pkg('node-fetch', 60_000_000, 'A light-weight module that brings Fetch API to Node.js'),
        pkg('@parcel/transformer-html', 400_000, 'Parcel transformer'),
        pkg('html-webpack-plugin', 15_000_000, 'Simplifies creation of HTML files'),
        pkg('parcel', 300_000, 'Blazing fast, zero configuration web application bundler'),
        pkg('@aws-sdk/client-workspaces', 20_000, 'AWS SDK for JavaScript Workspaces Client'),
        pkg('@aws-sdk/client-s3', 30_000_000, 'AWS SDK for JavaScript S3 Client'),
        pkg('@babel/helper-builder-binary-assignment-operator-visitor', 8_000_000, 'Helper function'),
        pkg('babel-helper-builder-binary-assignment-operator-visitor', 4_000_000, 'Helper function'),
        pkg('lodash.set', 5_000_000, 'The lodash method _.set exported as a module'),
        pkg('lodash', 50_000_000, 'Lodash modular utilities'),
      ]),
    ),
  );
  const first = async (text: string): Promise<string | undefined> =>
    (await catalog.search(query({ text }))).packages[0]?.name;

  it('finds a name by its words, whatever punctuation the user left out', async () => {
    expect(await first('types d3 fetch')).toBe('@types/d3-fetch');
    expect(await first('types/d3-fetch')).toBe('@types/d3-fetch');
    expect(await first('lodash set')).toBe('lodash.set');
  });

  it('finds a scoped or long name by the words of its name, or its scope and last word', async () => {
    expect(await first('transformer html')).toBe('@parcel/transformer-html');
    expect(await first('parcel html')).toBe('@parcel/transformer-html');
    expect(await first('aws-sdk workspaces')).toBe('@aws-sdk/client-workspaces');
  });

  it('puts the name spelled as typed before a more popular one with the same words', async () => {
    expect(await first('babel-helper-builder-binary-assignment-operator-visitor')).toBe(
      'babel-helper-builder-binary-assignment-operator-visitor',
    );
    expect(await first('@babel/helper-builder-binary-assignment-operator-visitor')).toBe(
      '@babel/helper-builder-binary-assignment-operator-visitor',
    );
    // A plain word is still the pack of that name.
    expect(await first('parcel')).toBe('parcel');
  });
});

describe('a resident engine', () => {
  it("gives back oxigraph's memory after each search: 3,000 searches do not grow its WebAssembly heap", async () => {
    const resident = new SparqlSearchEngine(new EmbeddedCatalog(sampleCatalogText()));
    const texts = ['agent', 'bibtex citations', 'helthcare', 'rust web', 'sparq', 'workflow', 'api', 'memory'];
    const searches = async (count: number): Promise<number> => {
      let found = 0;
      for (let index = 0; index < count; index += 1)
        found += (await resident.search(query({ text: texts[index % texts.length] ?? '', limit: 10 + (index % 7) })))
          .packages.length;
      return found;
    };
    await searches(200);
    const before = process.memoryUsage().external;
    expect(await searches(3000)).toBeGreaterThan(3000);
    // Without releasing its terms, the heap grew by ~20 MB here (and a WebAssembly heap never shrinks).
    expect(process.memoryUsage().external - before).toBeLessThan(1024 * 1024);
  });
});

describe('hostile input', () => {
  const hostile = [
    '"; DROP ALL; "',
    '} ; DROP ALL',
    "' } INSERT DATA { <a> <b> <c> } #",
    '{ ?s ?p ?o } UNION { ?s ?p ?o }',
    '\\u0022 \\" \\n',
    '日本語 ünïcödé émoji 🚀',
    'x'.repeat(10_000),
    'word '.repeat(2_000),
  ];

  it.each(hostile.map((text) => [text.slice(0, 40), text]))(
    'keeps the query well-formed and read-only for %s',
    async (_label, text) => {
      const results = await engine.search(
        query({ text, category: text.slice(0, 100), author: '"}', keyword: '} DROP', minDownloads: 0 }),
      );
      expect(results.backend).toBe('v2');
      const generated = engine.lastQuery ?? '';
      const parsed = new Parser().parse(generated);
      expect(parsed.type).toBe('query');
      expect(generated).not.toMatch(/DROP|INSERT|DELETE/);
    },
  );

  it('never lets more than 16 query terms through', async () => {
    const tokens = await engine.expand(Array.from({ length: 100 }, (_, index) => `agent${String(index)}`).join(' '));
    expect(tokens.length).toBeLessThanOrEqual(16 * 9 + 1);
  });
});

describe('the predicates a query can match (what a store may leave out of it)', () => {
  const parse = (text: string): SelectQuery => new Parser({ baseIRI: 'https://x.test/' }).parse(text) as SelectQuery;
  const sorted = (set: ReadonlySet<string> | undefined): string[] | undefined =>
    set === undefined ? undefined : [...set].sort();

  it("are the search query's own: postings, popularity, and each filter's key, the keyword through its path", () => {
    const ranking = buildSearchAst(
      [{ token: 'rust', boost: 1 }],
      { category: 'web', keyword: 'cli', minStars: 1 },
      { sort: 'relevance', limit: 10, offset: 0 },
    );
    expect(sorted(predicatesOf(ranking))).toEqual(
      [V.categoryKey, V.keywordKey, V.popularity, V.postingOf, V.stars, V.tagKey, V.token, V.weight].sort(),
    );
    const count = buildSearchAst([], { author: 'ggen team' }, 'count');
    expect(sorted(predicatesOf(count))).toEqual([V.authorKey, V.name, V.popularity].sort());
  });

  it('are known for a query whose boosts weigh its tokens (an IN list in the sum), and its VALUES binds the tokens alone', () => {
    const ranking = buildSearchAst(
      [
        { token: 'cli', boost: 1 },
        { token: 'clis', boost: 0.5 },
        { token: 'client', boost: 0.1 },
        { token: 'cliui', boost: 0.1 },
      ],
      {},
      { sort: 'relevance', limit: 10, offset: 0 },
    );
    expect(sorted(predicatesOf(ranking))).toEqual([V.popularity, V.postingOf, V.token, V.weight].sort());
    // A VALUES of token and boost pairs made Virtuoso scan every posting (a second a search at 100k packs).
    const text = generateQuery(ranking);
    expect(text).toMatch(/VALUES \?tok \{/);
    expect(text).toContain('IF(STR(?tok) IN("cli")');
  });

  it('reach into OPTIONAL, UNION, MINUS, EXISTS, sub-queries and paths', () => {
    const query = parse(
      'SELECT ?s (COUNT(?o) AS ?n) WHERE { GRAPH ?g { ?s <a>/^<b> ?o OPTIONAL { ?s <c>* ?x } { ?s <d> ?y } UNION { ?s <e> ?y } MINUS { ?s <f> ?z } FILTER NOT EXISTS { ?s <g> ?w } { SELECT ?s WHERE { ?s <h> ?v } } } } GROUP BY ?s HAVING (EXISTS { ?s <i> ?u })',
    );
    expect(sorted(predicatesOf(query))).toEqual(
      ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map((name) => `https://x.test/${name}`),
    );
  });

  it('are any predicate for a variable predicate, a negated property set or a SERVICE, wherever it sits', () => {
    for (const text of [
      'SELECT * WHERE { ?s ?p ?o }',
      'SELECT * WHERE { ?s !<a> ?o }',
      'SELECT * WHERE { ?s <a> ?o FILTER EXISTS { ?o ?p ?x } }',
      'SELECT * WHERE { ?s <a> ?o { SELECT ?o WHERE { ?o ?p ?x } } }',
      'SELECT * WHERE { SERVICE <https://elsewhere.test/sparql> { ?s <a> ?o } }',
    ])
      expect({ text, predicates: predicatesOf(parse(text)) }).toEqual({ text, predicates: undefined });
  });
});

describe('Vocabulary', () => {
  const vocabulary = new Vocabulary(['react', 'reactive', 'redux', 'router', '=react']);
  it('completes prefixes with the shortest tokens, never exact-name tokens', () => {
    expect(vocabulary.completions('rea', 5)).toEqual(['react', 'reactive']);
  });
  it('finds tokens within the allowed edits, closest first', () => {
    expect(vocabulary.withinEdits('reakt', 1, 3)).toEqual(['react']);
    expect(vocabulary.withinEdits('redx', 1, 3)).toEqual(['redux']);
    // Two neighbouring letters swapped are one edit (the commonest typo), two apart are not.
    expect(vocabulary.withinEdits('raect', 1, 3)).toEqual(['react']);
    expect(vocabulary.withinEdits('rcaet', 1, 3)).toEqual([]);
    expect(vocabulary.withinEdits('rcaet', 2, 3)).toEqual(['react']);
    expect(vocabulary.withinEdits('reactiv', 2, 3)).toEqual(['reactive', 'react']);
  });

  it('answers the same from tokens in any order, with repeats, as from the sorted list the local store keeps', () => {
    const sorted = ['=react', 'react', 'reactive', 'redux', 'router'];
    const shuffled = new Vocabulary(['router', 'react', '=react', 'redux', 'react', 'reactive', 'router']);
    const fromSorted = new Vocabulary(sorted);
    expect([shuffled.size, fromSorted.size]).toEqual([5, 5]);
    for (const vocabulary of [shuffled, fromSorted]) {
      expect(sorted.map((token) => vocabulary.has(token))).toEqual([true, true, true, true, true]);
      expect(['rea', 'reac', '=reac', 'zzz', ''].map((token) => vocabulary.has(token))).toEqual([
        false,
        false,
        false,
        false,
        false,
      ]);
      expect(vocabulary.completions('re', 5)).toEqual(['react', 'redux', 'reactive']);
      expect(vocabulary.withinEdits('reakt', 1, 3)).toEqual(['react']);
    }
  });

  it('finds exactly what comparing the term with every token finds (the letter filter only skips what is too far)', async () => {
    const rows = await new EmbeddedCatalog(sampleCatalogText()).select(
      `SELECT DISTINCT ?tok WHERE { GRAPH <${CATALOG_GRAPH}> { ?posting <${V.token}> ?tok } }`,
    );
    const tokens = rows.map((row) => row.tok ?? '');
    expect(tokens.length).toBeGreaterThan(500);
    const sample = new Vocabulary(tokens);
    const byScan = (term: string, edits: number): string[] =>
      tokens
        .flatMap((token) => {
          const distance = editDistanceWithin(term, token, edits, true);
          return distance === undefined || distance === 0 ? [] : [{ token, distance }];
        })
        .sort((a, b) => a.distance - b.distance || (a.token < b.token ? -1 : 1))
        .map((entry) => entry.token);
    // Typos of every kind (a letter dropped, added, changed, two swapped), of words and of exact
    // names, at one and two edits, with digits and hyphens, and twice (the masks are kept).
    const terms = [
      'agnet',
      'memroy',
      'rsut',
      'workflw',
      'helthcare',
      'citatoin',
      '=agent-edtor',
      '=agnet-editor',
      'api-gatewy',
      'blockchian',
      'x1-2',
      'qqqq',
    ];
    let found = 0;
    for (const round of [1, 2])
      for (const term of terms)
        for (const edits of [1, 2]) {
          const expected = byScan(term, edits);
          expect({ round, term, edits, found: sample.withinEdits(term, edits, 1000) }).toEqual({
            round,
            term,
            edits,
            found: expected,
          });
          found += expected.length;
        }
    expect(found).toBeGreaterThan(20);
  });
});

describe('namespaced names (@scope/name)', () => {
  const scoped = new SparqlSearchEngine(
    new EmbeddedCatalog(
      catalogToNQuads([
        pkg('@acme/web-toolkit', 10, 'Generates web apps'),
        pkg('@acme/async-queue', 5, 'A job queue'),
        pkg('web-toolkit', 1000, 'Another toolkit'),
        pkg('@other/queue', 1, 'Queues'),
      ]),
    ),
  );
  const found = async (text: string): Promise<string[]> =>
    (await scoped.search(query({ text }))).packages.map((entry) => entry.name);

  it('finds a scoped pack by its scope, by its name words, and first by its exact name', async () => {
    expect((await found('acme')).sort()).toEqual(['@acme/async-queue', '@acme/web-toolkit']);
    expect(await found('toolkit')).toEqual(expect.arrayContaining(['@acme/web-toolkit', 'web-toolkit']));
    expect((await found('@acme/web-toolkit'))[0]).toBe('@acme/web-toolkit');
    expect((await found('web-toolkit'))[0]).toBe('web-toolkit');
  });

  it('corrects a typo in a whole name, a swapped pair of letters being one edit', async () => {
    expect((await found('@acme/async-qeueu'))[0]).toBe('@acme/async-queue');
    expect((await found('@acme/web-toolkti'))[0]).toBe('@acme/web-toolkit');
  });
});
