import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  MarketplaceError,
  nodeCrypto,
  readLimited,
  readRegularFileSync,
  RESOURCE_LIMITS,
  writeFileAtomic,
  type CatalogPackage,
  type PackageSummary,
  networkFailure,
  requestSignal,
  throwIfAttemptCancelled,
} from '@ggen/marketplace-core';
import { oxigraph } from './oxigraph-runtime.js';
import type { Store } from 'oxigraph';
import type { ConstructQuery, Expression, Pattern, SelectQuery, VariableTerm as Variable } from 'sparqljs';
import { Generator } from './sparql-generator.js';
import { readCatalogPackages } from './catalog-rdf.js';
import type { CatalogSource, Row } from './catalog-source.js';
import { parseReadOnly, type SparqlResult } from './read-only-sparql.js';
import { literal, namedNode, variable } from './rdf-terms.js';
import { summariesQuery, summaryFromRow } from './summaries-query.js';
import { CATALOG_GRAPH, CATALOG_META_GRAPH, V } from './vocabulary.js';

export interface RemoteCatalogOptions {
  /** SPARQL 1.1 query endpoint (e.g. http://host:8890/sparql). */
  queryUrl: string;
  /** SPARQL 1.1 Graph Store endpoint for replacing the catalog graph (authenticated). */
  graphStoreUrl?: string;
  user?: string;
  password?: string;
  timeoutMs: number;
  /**
   * Where this user keeps what it read of an endpoint's catalog (the search vocabulary), keyed
   * by the endpoint and the catalog's digest (set by registry push): a search process then reads
   * a file instead of every token of the catalog. Without it, or for a catalog pushed without a
   * digest, the vocabulary is read from the endpoint each time.
   */
  cacheDir?: string;
}

const generator = new Generator();

/** The most rows a sorted page asks for: Virtuoso's default MaxSortedTopRows (it refuses a sorted LIMIT + OFFSET past it). */
const MAX_SORTED_PAGE = 10_000;

/** Packages per CONSTRUCT: each is a few dozen triples (versions, dependencies, postings stay out). */
const CONSTRUCT_BATCH = 50;

/** The catalog's generation in place on an endpoint, as its newest switch record names it. */
export interface Generations {
  /** The switch record's IRI (undefined when the endpoint names none). */
  record: string | undefined;
  current: string;
  previous: string | undefined;
  digest: string | undefined;
  /** The registry directory's state it holds (endpoint-follow.ts), when a server keeps it in step. */
  state: string | undefined;
  /** When the record was written (ms since the epoch; 0 when there is none). */
  at: number;
  /** The digest of the catalog as pushed, when changes were applied to it since (its vocabulary's key). */
  vocabularyDigest: string | undefined;
}

/** One row of a SPARQL JSON answer. */
type Binding = Record<string, { type: string; value: string; datatype?: string; 'xml:lang'?: string }>;

/**
 * A catalog held by a remote SPARQL 1.1 endpoint. Guards the quirks that come back with
 * status 200 (Virtuoso): partial results after a server timeout (X-SQL-State: S1TAT) and
 * results silently capped at the server's row limit are errors, never answers.
 */
export class RemoteCatalog implements CatalogSource {
  readonly answersInParallel = true;
  readonly #options: RemoteCatalogOptions;

  constructor(options: RemoteCatalogOptions) {
    this.#options = options;
  }

  #generations: Promise<Generations> | undefined;

  /**
   * Which graph holds the catalog now, as registry push last switched it (CATALOG_META_GRAPH),
   * read once per catalog object; CATALOG_GRAPH itself when the endpoint names none.
   */
  generations(): Promise<Generations> {
    this.#generations ??= (async () => {
      const response = await this.#post(
        `SELECT ?record ?current ?previous ?digest ?state ?at ?vocabulary WHERE { GRAPH <${CATALOG_META_GRAPH}> { ?record <${V.currentGraph}> ?current ; <${V.switchedAt}> ?at . OPTIONAL { ?record <${V.previousGraph}> ?previous } OPTIONAL { ?record <${V.catalogDigest}> ?digest } OPTIONAL { ?record <${V.catalogState}> ?state } OPTIONAL { ?record <${V.vocabularyDigest}> ?vocabulary } } } ORDER BY DESC(?at) LIMIT 1`,
        'application/sparql-results+json',
        false,
      );
      const [row] = (await this.#json<{ results?: { bindings?: Binding[] } }>(response)).results?.bindings ?? [];
      return {
        record: row?.record?.value,
        current: row?.current?.value ?? CATALOG_GRAPH,
        previous: row?.previous?.value,
        digest: row?.digest?.value,
        state: row?.state?.value,
        at: Number(row?.at?.value ?? 0),
        vocabularyDigest: row?.vocabulary?.value,
      };
    })();
    return this.#generations;
  }

  /** After a switch: the next query resolves the catalog's graph again. */
  forgetGenerations(): void {
    this.#generations = undefined;
  }

  async #post(query: string, accept: string, resolve = true): Promise<Response> {
    // Every catalog query names CATALOG_GRAPH; it is sent naming the generation in place now.
    const current = resolve ? (await this.generations()).current : CATALOG_GRAPH;
    const sent = current === CATALOG_GRAPH ? query : query.replaceAll(`<${CATALOG_GRAPH}>`, `<${current}>`);
    let response: Response;
    try {
      const send = (): Promise<Response> =>
        fetch(this.#options.queryUrl, {
          method: 'POST',
          // application/sparql-query bodies hang some servers; the form encoding works everywhere.
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
          body: new URLSearchParams({ query: sent, timeout: String(this.#options.timeoutMs) }).toString(),
          signal: requestSignal(this.#options.timeoutMs + 2000),
        });
      // A query is read-only: one closed under it as a kept-alive connection is reused (the
      // server dropped it at the same moment) is sent again once, on a new connection.
      response = await onceMoreIfDropped(send);
    } catch (cause) {
      throwIfAttemptCancelled();
      throw networkFailure(cause, {
        what: `the SPARQL endpoint ${this.#options.queryUrl}`,
        location: this.#options.queryUrl,
        timeoutMs: this.#options.timeoutMs,
        timeoutCode: 'GGEN_E_SPARQL_TIMEOUT',
        timeoutHint:
          'The endpoint is slow or stuck; raise marketplace.timeout_ms, or check marketplace.sparql_endpoint and the server.',
      });
    }
    if (response.headers.get('x-sql-state') === 'S1TAT') {
      await response.body?.cancel();
      throw new MarketplaceError(
        'GGEN_E_SPARQL_TIMEOUT',
        `The SPARQL endpoint stopped the query at its time limit (${this.#options.timeoutMs} ms) and sent partial results`,
        {
          hint: 'Partial results are never used; narrow the query or raise marketplace.timeout_ms.',
        },
      );
    }
    if (!response.ok) {
      const text = await errorText(response);
      const stopped = serverTimeLimit(response, text, this.#options.timeoutMs);
      if (stopped !== undefined) throw stopped;
      throw new MarketplaceError(
        'GGEN_E_REGISTRY_HTTP',
        `The SPARQL endpoint answered ${response.status}: ${text.split('\n')[0] ?? ''}`,
        {
          hint: 'Check the endpoint URL; a 500 can be the server-side time limit.',
          details: { status: response.status },
        },
      );
    }
    return response;
  }

  /** The answer's text, read with the SPARQL answer limit: an endless answer is cut off, not read until the deadline. */
  async #text(response: Response): Promise<string> {
    return Buffer.from(await readLimited(response, this.#options.queryUrl, RESOURCE_LIMITS.sparql)).toString('utf8');
  }

  /** The answer as JSON; anything else is the endpoint's malformed answer, coded. */
  async #json<T>(response: Response): Promise<T> {
    const text = await this.#text(response);
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw malformed(this.#options.queryUrl, 'is not JSON', cause);
    }
  }

  /** One answer of a SELECT (its raw bindings), and the endpoint's row limit when the answer reached it (X-SPARQL-MaxRows). */
  async #selectOnce(
    query: string,
  ): Promise<{ bindings: Binding[]; vars: string[] | undefined; cap: number | undefined }> {
    const response = await this.#post(query, 'application/sparql-results+json');
    const maxRows = Number(response.headers.get('x-sparql-maxrows') ?? Number.NaN);
    const body = await this.#json<{ head?: { vars?: string[] }; results?: { bindings?: Binding[] } }>(response);
    const bindings = body.results?.bindings ?? [];
    return {
      bindings,
      vars: body.head?.vars,
      cap: Number.isFinite(maxRows) && maxRows > 0 && bindings.length >= maxRows ? maxRows : undefined,
    };
  }

  /**
   * A SELECT's bindings, never cut short by the endpoint's row limit (a real Virtuoso's
   * `ResultSetMaxRows`; public endpoints have lower ones): an answer that reached the limit is
   * asked again in ordered pages of that size (ORDER BY the projected variables unless the
   * query orders itself, then LIMIT and OFFSET), each within the limit. A query that cannot be
   * paged (SELECT * unordered, or only expressions) is a coded error, never a short answer.
   */
  async #selectAll(query: string): Promise<{ bindings: Binding[]; vars: string[] | undefined }> {
    const first = await this.#selectOnce(query);
    if (first.cap === undefined) return first;
    const { Parser } = await import('sparqljs');
    const parsed = new Parser().parse(query) as SelectQuery;
    const wanted = parsed.limit;
    if (wanted !== undefined && wanted <= first.cap) return first;
    // A sorted page is also bounded by the server's sort limit (Virtuoso's MaxSortedTopRows,
    // 10,000 by default, which it does not announce): pages stay within both.
    const pageSize = Math.min(first.cap, MAX_SORTED_PAGE);
    const projected = (parsed.variables as unknown[]).filter(
      (entry): entry is Variable => (entry as { termType?: string }).termType === 'Variable',
    );
    const only = projected.length === 1 && (parsed.variables as unknown[]).length === 1 ? projected[0] : undefined;
    if (only !== undefined && parsed.order === undefined && parsed.offset === undefined)
      return { bindings: await this.#keysetPages(parsed, only, pageSize, wanted), vars: first.vars };
    if (parsed.order === undefined && projected.length !== (parsed.variables as unknown[]).length) {
      throw new MarketplaceError(
        'GGEN_E_REGISTRY_HTTP',
        `The SPARQL endpoint capped the results at ${first.cap} rows, and the query cannot be paged`,
        {
          hint: "Name the variables to select (not SELECT * or expressions only), or add ORDER BY, so that ggen can page the answer; or raise the server's ResultSetMaxRows.",
        },
      );
    }
    parsed.order ??= projected.map((variable) => ({ expression: variable }));
    const start = parsed.offset ?? 0;
    const bindings: Binding[] = [];
    for (;;) {
      const size = wanted === undefined ? pageSize : Math.min(pageSize, wanted - bindings.length);
      if (size <= 0) break;
      parsed.offset = start + bindings.length;
      parsed.limit = size;
      const page = await this.#selectOnce(generator.stringify(parsed));
      bindings.push(...page.bindings);
      if (page.bindings.length < size) break;
    }
    return { bindings, vars: first.vars };
  }

  /**
   * A one-variable SELECT (the vocabulary's tokens) in pages that each start after the last
   * value of the one before (ORDER BY the variable, FILTER greater than it): no OFFSET, so no
   * page asks the server to sort more than one page, however deep it goes.
   */
  async #keysetPages(
    parsed: SelectQuery,
    variable: Variable,
    pageSize: number,
    wanted: number | undefined,
  ): Promise<Binding[]> {
    const where = parsed.where ?? [];
    parsed.order = [{ expression: { type: 'operation', operator: 'str', args: [variable] } as unknown as Expression }];
    const bindings: Binding[] = [];
    let last: string | undefined;
    for (;;) {
      const size = wanted === undefined ? pageSize : Math.min(pageSize, wanted - bindings.length);
      if (size <= 0) break;
      parsed.where =
        last === undefined
          ? where
          : [
              ...where,
              {
                type: 'filter',
                expression: {
                  type: 'operation',
                  operator: '>',
                  args: [{ type: 'operation', operator: 'str', args: [variable] }, literal(last)],
                },
              } as unknown as Pattern,
            ];
      parsed.limit = size;
      const page = await this.#selectOnce(generator.stringify(parsed));
      bindings.push(...page.bindings);
      const next = page.bindings.at(-1)?.[variable.value]?.value;
      if (page.bindings.length < size || next === undefined) break;
      last = next;
    }
    return bindings;
  }

  /**
   * The catalog's search vocabulary (every posting token, sorted): from this user's cache when
   * the endpoint names its catalog's digest and the cache holds that digest's tokens, else read
   * from the endpoint (paged past its row limit) and cached; with the tokens of the packages
   * changed in place since the push (a registry server's endpoint), read each time.
   */
  async vocabulary(): Promise<string[]> {
    const live = await this.generations();
    const base = await this.#baseVocabulary(live.vocabularyDigest ?? live.digest);
    if (live.vocabularyDigest === undefined || live.record === undefined) return base;
    // Changes applied in place since the push (endpoint-follow.ts): their packages' tokens join it.
    const rows = await this.select(
      `SELECT DISTINCT ?tok WHERE { GRAPH <${CATALOG_META_GRAPH}> { <${live.record}> <${V.changedPackage}> ?pkg } GRAPH <${CATALOG_GRAPH}> { ?posting <${V.postingOf}> ?pkg ; <${V.token}> ?tok } }`,
    );
    return [...new Set([...base, ...rows.map((row) => row.tok ?? '')])].sort();
  }

  /** Where this user keeps the vocabulary of the catalog with this digest on this endpoint (none without a cache directory). */
  #vocabularyFile(digest: string | undefined): string | undefined {
    return this.#options.cacheDir === undefined || digest === undefined || !/^[0-9a-f]{64}$/.test(digest)
      ? undefined
      : join(
          this.#options.cacheDir,
          `${nodeCrypto().createHash('sha256').update(this.#options.queryUrl).digest('hex').slice(0, 16)}-${digest}.tokens`,
        );
  }

  /** Whether this catalog keeps a pushed catalog's vocabulary for its readers (it has a cache directory). */
  get keepsVocabulary(): boolean {
    return this.#options.cacheDir !== undefined;
  }

  /**
   * Keeps the vocabulary of a catalog this process pushed (its digest, its posting tokens sorted
   * and unique), so that the first search after the push need not read it back from the endpoint.
   */
  async keepVocabulary(digest: string, tokens: readonly string[]): Promise<void> {
    const cacheFile = this.#vocabularyFile(digest);
    // The cache is an optimisation: a read-only or full cache directory costs only the next read.
    if (cacheFile !== undefined) await writeFileAtomic(cacheFile, `${tokens.join('\n')}\n`).catch(() => undefined);
  }

  /** The vocabulary of the catalog with this digest: this user's cached copy, else read and cached. */
  async #baseVocabulary(digest: string | undefined): Promise<string[]> {
    const cacheFile = this.#vocabularyFile(digest);
    if (cacheFile !== undefined && existsSync(cacheFile)) {
      try {
        const text = readRegularFileSync(cacheFile, RESOURCE_LIMITS.sparql).toString('utf8');
        if (text.endsWith('\n')) return text.slice(0, -1).split('\n');
      } catch {
        // Read again from the endpoint below.
      }
    }
    const rows = await this.select(
      `SELECT DISTINCT ?tok WHERE { GRAPH <${CATALOG_GRAPH}> { ?posting <${V.token}> ?tok } }`,
    );
    const tokens = [...new Set(rows.map((row) => row.tok ?? ''))].sort();
    if (digest !== undefined) await this.keepVocabulary(digest, tokens);
    return tokens;
  }

  async select(query: string): Promise<Row[]> {
    const { bindings } = await this.#selectAll(query);
    return bindings.map((binding) =>
      Object.fromEntries(Object.entries(binding).map(([name, term]) => [name, term.value])),
    );
  }

  /**
   * A user's read-only query, run on the endpoint over the catalog graph only (Virtuoso
   * answers an unscoped query from every graph, system triples included).
   */
  async runReadOnly(query: string): Promise<SparqlResult> {
    const { parsed, variables } = await parseReadOnly(query);
    (parsed as { from?: unknown }).from = { default: [namedNode(CATALOG_GRAPH)], named: [] };
    const scoped = generator.stringify(parsed);
    if (parsed.type === 'query' && parsed.queryType === 'ASK') {
      const response = await this.#post(scoped, 'application/sparql-results+json');
      const body = await this.#json<{
        boolean?: boolean;
        results?: { bindings?: Record<string, { value: string }>[] };
      }>(response);
      // Virtuoso answers ASK as a one-row SELECT of __ASK_RETVAL = "1" or "0".
      const value = body.boolean ?? ['1', 'true'].includes(body.results?.bindings?.[0]?.__ASK_RETVAL?.value ?? '');
      return { kind: 'ask', value };
    }
    if (variables.length === 0) {
      const response = await this.#post(scoped, 'application/n-triples');
      return { kind: 'graph', ntriples: await this.#text(response) };
    }
    const body = await this.#selectAll(scoped);
    const rows = body.bindings.map((binding) =>
      Object.fromEntries(
        Object.entries(binding).map(([name, term]) => [
          name,
          {
            type: term.type === 'uri' ? 'NamedNode' : term.type === 'bnode' ? 'BlankNode' : 'Literal',
            value: term.value,
            ...(term.datatype === undefined ? {} : { datatype: term.datatype }),
            ...(term['xml:lang'] === undefined ? {} : { language: term['xml:lang'] }),
          },
        ]),
      ),
    );
    return { kind: 'select', variables: variables.includes('*') ? (body.vars ?? []) : variables, rows };
  }

  /** The named packages' subtrees (package, versions, dependencies, author), read into a scratch store. */
  /**
   * The named packages, CONSTRUCTed a few at a time: a CONSTRUCT answer is cut at the server's
   * row limit like a SELECT's, and a batch's triples stay far below any limit seen in practice
   * (one whose answer reaches the limit anyway is refused, never used short).
   */
  async readPackages(names: string[]): Promise<CatalogPackage[]> {
    const packages: CatalogPackage[] = [];
    for (let start = 0; start < names.length; start += CONSTRUCT_BATCH) {
      const batch = names.slice(start, start + CONSTRUCT_BATCH);
      packages.push(...readCatalogPackages(await this.#construct(batch), batch));
    }
    return packages;
  }

  async readSummaries(names: string[]): Promise<PackageSummary[]> {
    if (names.length === 0) return [];
    return (await this.select(summariesQuery(names))).map(summaryFromRow);
  }

  async allPackages(): Promise<CatalogPackage[]> {
    const rows = await this.select(
      `SELECT ?name WHERE { GRAPH <${CATALOG_GRAPH}> { ?p <${V.type}> <${V.Package}> ; <${V.name}> ?name } }`,
    );
    return this.readPackages(rows.map((row) => row.name ?? ''));
  }

  async #construct(names: string[]): Promise<Store> {
    const spo = { subject: variable('s'), predicate: variable('p'), object: variable('o') };
    const branch = (...triples: unknown[]): unknown => ({
      type: 'group',
      patterns: [{ type: 'bgp', triples: [...triples, spo] }],
    });
    const link = (subject: string, predicate: string, object: string): unknown => ({
      subject: variable(subject),
      predicate: namedNode(predicate),
      object: variable(object),
    });
    const ast = {
      type: 'query',
      queryType: 'CONSTRUCT',
      prefixes: {},
      template: [spo],
      where: [
        {
          type: 'graph',
          name: namedNode(CATALOG_GRAPH),
          patterns: [
            { type: 'values', values: names.map((name) => ({ '?name': literal(name) })) },
            { type: 'bgp', triples: [link('pkg', V.name, 'name')] },
            {
              type: 'union',
              patterns: [
                // The package's own triples: bind ?s after ?pkg is bound within the group.
                {
                  type: 'group',
                  patterns: [
                    {
                      type: 'bgp',
                      triples: [{ subject: variable('pkg'), predicate: variable('p'), object: variable('o') }],
                    },
                    { type: 'bind', variable: variable('s'), expression: variable('pkg') },
                  ],
                },
                branch(link('pkg', V.hasVersion, 's')),
                branch(link('pkg', V.hasVersion, 'v'), link('v', V.dependsOn, 's')),
                branch(link('pkg', V.creator, 's')),
                branch(link('pkg', V.ownerKey, 's')),
                branch(link('pkg', V.revokedKey, 's')),
                branch(link('pkg', V.hasVersion, 'v'), link('v', V.signedBy, 's')),
              ],
            },
          ],
        },
      ],
    } as unknown as ConstructQuery;
    const response = await this.#post(generator.stringify(ast), 'application/n-triples');
    const maxRows = Number(response.headers.get('x-sparql-maxrows') ?? Number.NaN);
    const store = new oxigraph.Store();
    const text = await this.#text(response);
    try {
      store.load(text, { format: 'application/n-triples', to_graph_name: oxigraph.namedNode(CATALOG_GRAPH) });
    } catch (cause) {
      throw malformed(this.#options.queryUrl, 'is not N-Triples', cause);
    }
    if (Number.isFinite(maxRows) && store.size >= maxRows) {
      throw new MarketplaceError(
        'GGEN_E_REGISTRY_HTTP',
        `The SPARQL endpoint cut the packages' triples at its limit of ${maxRows}`,
        {
          hint: "The answer would be incomplete; raise the server's ResultSetMaxRows.",
        },
      );
    }
    return store;
  }
}

/**
 * A query the server stopped at its own time limit with an error status (Virtuoso: 500 with SQL
 * state S1T00, "SR171 Transaction timed out", or, when the limit cancels it mid-evaluation, HY008
 * "SR203 Async statement killed by SQLCancel"): the same verdict as partial results after it.
 */
function serverTimeLimit(response: Response, text: string, timeoutMs: number): MarketplaceError | undefined {
  if (
    response.status < 500 ||
    !(
      (response.headers.get('x-sql-state') ?? '').startsWith('S1T') ||
      /\bS1T00\b|\bSR171\b|\bSR203\b|timed out/i.test(text)
    )
  )
    return undefined;
  return new MarketplaceError(
    'GGEN_E_SPARQL_TIMEOUT',
    `The SPARQL endpoint stopped the query at its time limit (${timeoutMs} ms): ${text.split('\n')[0] ?? ''}`,
    {
      hint: 'Narrow the query or raise marketplace.timeout_ms.',
      details: { status: response.status },
    },
  );
}

/** An answer that is not what was asked for: the endpoint's failure (a proxy's error page, a broken server), never a bug in ggen. */
function malformed(endpoint: string, what: string, cause: unknown): MarketplaceError {
  return new MarketplaceError(
    'GGEN_E_BACKEND_MALFORMED',
    `The SPARQL endpoint ${endpoint} answered with a body that ${what}: ${(cause as Error).message.split('\n')[0] ?? ''}`,
    {
      hint: 'Check marketplace.sparql_endpoint: it must be a SPARQL 1.1 endpoint, not a page in front of one.',
      cause,
    },
  );
}

/** The start of an error answer, for the message: its first chunk, never the whole body. */
export async function errorText(response: Response): Promise<string> {
  const reader = response.body?.getReader() as ReadableStreamDefaultReader<Uint8Array> | undefined;
  if (reader === undefined) return '';
  const { value } = await reader.read();
  await reader.cancel();
  return Buffer.from(value ?? new Uint8Array(0))
    .toString('utf8')
    .slice(0, 300);
}

/** A connection the server closed before any answer (a kept-alive socket it dropped as it was reused). */
export function isConnectionDropped(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return (
    (error as Error).name !== 'TimeoutError' &&
    (cause?.code === 'UND_ERR_SOCKET' ||
      cause?.code === 'ECONNRESET' ||
      (cause?.message ?? '').includes('other side closed'))
  );
}

/** `request`, sent again once when the connection was dropped before any answer. */
export async function onceMoreIfDropped(request: () => Promise<Response>): Promise<Response> {
  try {
    return await request();
  } catch (error) {
    if (!isConnectionDropped(error)) throw error;
    return request();
  }
}
