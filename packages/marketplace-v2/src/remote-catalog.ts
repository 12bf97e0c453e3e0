import { MarketplaceError, readLimited, RESOURCE_LIMITS, type CatalogPackage, type PackageSummary } from '@ggen/marketplace-core';
import { oxigraph } from './oxigraph-runtime.js';
import type { Store } from 'oxigraph';
import type { ConstructQuery } from 'sparqljs';
import { Generator } from './sparql-generator.js';
import { readCatalogPackages } from './catalog-rdf.js';
import type { CatalogSource, Row } from './catalog-source.js';
import { digestFetch } from './digest-fetch.js';
import { parseReadOnly, type SparqlResult } from './read-only-sparql.js';
import { literal, namedNode, variable } from './rdf-terms.js';
import { summariesQuery, summaryFromRow } from './summaries-query.js';
import { CATALOG_GRAPH, V } from './vocabulary.js';

export interface RemoteCatalogOptions {
  /** SPARQL 1.1 query endpoint (e.g. http://host:8890/sparql). */
  queryUrl: string;
  /** SPARQL 1.1 Graph Store endpoint for replacing the catalog graph (authenticated). */
  graphStoreUrl?: string;
  user?: string;
  password?: string;
  timeoutMs: number;
}

const generator = new Generator();

/**
 * A catalog held by a remote SPARQL 1.1 endpoint. Guards the quirks that come back with
 * status 200 (Virtuoso): partial results after a server timeout (X-SQL-State: S1TAT) and
 * results silently capped at the server's row limit are errors, never answers.
 */
export class RemoteCatalog implements CatalogSource {
  readonly #options: RemoteCatalogOptions;

  constructor(options: RemoteCatalogOptions) {
    this.#options = options;
  }

  async #post(query: string, accept: string): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(this.#options.queryUrl, {
        method: 'POST',
        // application/sparql-query bodies hang some servers; the form encoding works everywhere.
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
        body: new URLSearchParams({ query, timeout: String(this.#options.timeoutMs) }).toString(),
        signal: AbortSignal.timeout(this.#options.timeoutMs + 2000),
      });
    } catch (cause) {
      const timedOut = (cause as Error).name === 'TimeoutError';
      throw new MarketplaceError(
        timedOut ? 'GGEN_E_SPARQL_TIMEOUT' : 'GGEN_E_REGISTRY_UNREACHABLE',
        `${timedOut ? 'No answer in time from' : 'Cannot reach'} the SPARQL endpoint ${this.#options.queryUrl}`,
        {
          hint: 'Check marketplace.sparql_endpoint and that the server is up.',
          cause,
        },
      );
    }
    if (response.headers.get('x-sql-state') === 'S1TAT') {
      await response.body?.cancel();
      throw new MarketplaceError('GGEN_E_SPARQL_TIMEOUT', `The SPARQL endpoint stopped the query at its time limit (${this.#options.timeoutMs} ms) and sent partial results`, {
        hint: 'Partial results are never used; narrow the query or raise marketplace.timeout_ms.',
      });
    }
    if (!response.ok) {
      const text = await errorText(response);
      const stopped = serverTimeLimit(response, text, this.#options.timeoutMs);
      if (stopped !== undefined) throw stopped;
      throw new MarketplaceError('GGEN_E_REGISTRY_HTTP', `The SPARQL endpoint answered ${response.status}: ${text.split('\n')[0] ?? ''}`, {
        hint: 'Check the endpoint URL; a 500 can be the server-side time limit.',
        details: { status: response.status },
      });
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

  async select(query: string): Promise<Row[]> {
    const response = await this.#post(query, 'application/sparql-results+json');
    const maxRows = response.headers.get('x-sparql-maxrows');
    const body = await this.#json<{ results?: { bindings?: Record<string, { value: string }>[] } }>(response);
    const bindings = body.results?.bindings ?? [];
    if (maxRows !== null && bindings.length >= Number(maxRows)) {
      throw new MarketplaceError('GGEN_E_REGISTRY_HTTP', `The SPARQL endpoint capped the results at ${maxRows} rows`, {
        hint: "The answer would be incomplete; raise the server's ResultSetMaxRows or narrow the query.",
      });
    }
    return bindings.map((binding) => Object.fromEntries(Object.entries(binding).map(([name, term]) => [name, term.value])));
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
      const body = await this.#json<{ boolean?: boolean; results?: { bindings?: Record<string, { value: string }>[] } }>(response);
      // Virtuoso answers ASK as a one-row SELECT of __ASK_RETVAL = "1" or "0".
      const value = body.boolean ?? ['1', 'true'].includes(body.results?.bindings?.[0]?.__ASK_RETVAL?.value ?? '');
      return { kind: 'ask', value };
    }
    if (variables.length === 0) {
      const response = await this.#post(scoped, 'application/n-triples');
      return { kind: 'graph', ntriples: await this.#text(response) };
    }
    const response = await this.#post(scoped, 'application/sparql-results+json');
    const body = await this.#json<{
      head?: { vars?: string[] };
      results?: { bindings?: Record<string, { type: string; value: string; datatype?: string; 'xml:lang'?: string }>[] };
    }>(response);
    const rows = (body.results?.bindings ?? []).map((binding) =>
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
    return { kind: 'select', variables: variables.includes('*') ? (body.head?.vars ?? []) : variables, rows };
  }

  /** The named packages' subtrees (package, versions, dependencies, author), read into a scratch store. */
  async readPackages(names: string[]): Promise<CatalogPackage[]> {
    if (names.length === 0) return [];
    return readCatalogPackages(await this.#construct(names), names);
  }

  async readSummaries(names: string[]): Promise<PackageSummary[]> {
    if (names.length === 0) return [];
    return (await this.select(summariesQuery(names))).map(summaryFromRow);
  }

  async allPackages(): Promise<CatalogPackage[]> {
    const rows = await this.select(`SELECT ?name WHERE { GRAPH <${CATALOG_GRAPH}> { ?p <${V.type}> <${V.Package}> ; <${V.name}> ?name } }`);
    return this.readPackages(rows.map((row) => row.name ?? ''));
  }

  async #construct(names: string[]): Promise<Store> {
    const spo = { subject: variable('s'), predicate: variable('p'), object: variable('o') };
    const branch = (...triples: unknown[]): unknown => ({ type: 'group', patterns: [{ type: 'bgp', triples: [...triples, spo] }] });
    const link = (subject: string, predicate: string, object: string): unknown => ({ subject: variable(subject), predicate: namedNode(predicate), object: variable(object) });
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
                    { type: 'bgp', triples: [{ subject: variable('pkg'), predicate: variable('p'), object: variable('o') }] },
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
    const store = new oxigraph.Store();
    const text = await this.#text(response);
    try {
      store.load(text, { format: 'application/n-triples', to_graph_name: oxigraph.namedNode(CATALOG_GRAPH) });
    } catch (cause) {
      throw malformed(this.#options.queryUrl, 'is not N-Triples', cause);
    }
    return store;
  }

  /**
   * Replaces the catalog graph with `nquads` through the Graph Store protocol, then checks
   * the server holds every triple: a failed load can leave part of the data behind.
   */
  async replaceCatalog(nquads: string | string[]): Promise<number> {
    const { graphStoreUrl, user, password } = this.#options;
    if (graphStoreUrl === undefined || user === undefined || password === undefined) {
      throw new MarketplaceError('GGEN_E_CONFIG_INVALID', 'Pushing a catalog needs marketplace.sparql_graph_store, sparql_user and sparql_password', {
        hint: 'Set them in config.yaml, or GGEN_MARKETPLACE_SPARQL_PASSWORD in the environment.',
      });
    }
    const store = new oxigraph.Store();
    store.load(nquads, { format: 'application/n-quads' });
    const ntriples = store.dump({ format: 'application/n-triples', from_graph_name: oxigraph.namedNode(CATALOG_GRAPH) });
    const expected = store.size;
    const url = `${graphStoreUrl}?graph-uri=${encodeURIComponent(CATALOG_GRAPH)}`;
    let response: Response;
    try {
      // timeout_ms bounds the upload as it bounds every other request (a server that never answers is not waited on forever).
      response = await digestFetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/n-triples' },
        body: ntriples,
        user,
        password,
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
    } catch (cause) {
      const timedOut = (cause as Error).name === 'TimeoutError';
      throw new MarketplaceError(
        timedOut ? 'GGEN_E_REGISTRY_TIMEOUT' : 'GGEN_E_REGISTRY_UNREACHABLE',
        `${timedOut ? `No answer in ${this.#options.timeoutMs} ms from` : 'Cannot reach'} the Graph Store ${graphStoreUrl}`,
        {
          hint: timedOut
            ? 'The server is slow or stuck; raise marketplace.timeout_ms for a large catalog, or check the server.'
            : 'Check marketplace.sparql_graph_store and that the server is up.',
          cause,
        },
      );
    }
    if (!response.ok) {
      const text = await errorText(response);
      throw new MarketplaceError('GGEN_E_REGISTRY_HTTP', `Uploading the catalog failed with ${response.status}: ${text.split('\n')[0] ?? ''}`, {
        hint: response.status === 401 ? 'Check sparql_user and sparql_password.' : 'Check the Graph Store URL and the server log.',
      });
    }
    await response.body?.cancel();
    const [row] = await this.select(`SELECT (COUNT(*) AS ?n) WHERE { GRAPH <${CATALOG_GRAPH}> { ?s ?p ?o } }`);
    const stored = Number(row?.n ?? 0);
    if (stored !== expected) {
      throw new MarketplaceError('GGEN_E_REGISTRY_HTTP', `The endpoint holds ${stored} catalog triples after the upload, not ${expected}`, {
        hint: 'The load was partial; push again.',
      });
    }
    return stored;
  }
}

/**
 * A query the server stopped at its own time limit with an error status (Virtuoso: 500 with SQL
 * state S1T00, "SR171 Transaction timed out"): the same verdict as partial results after it.
 */
function serverTimeLimit(response: Response, text: string, timeoutMs: number): MarketplaceError | undefined {
  if (response.status < 500 || !((response.headers.get('x-sql-state') ?? '').startsWith('S1T') || /\bS1T00\b|\bSR171\b|timed out/i.test(text))) return undefined;
  return new MarketplaceError('GGEN_E_SPARQL_TIMEOUT', `The SPARQL endpoint stopped the query at its time limit (${timeoutMs} ms): ${text.split('\n')[0] ?? ''}`, {
    hint: 'Narrow the query or raise marketplace.timeout_ms.',
    details: { status: response.status },
  });
}

/** An answer that is not what was asked for: the endpoint's failure (a proxy's error page, a broken server), never a bug in ggen. */
function malformed(endpoint: string, what: string, cause: unknown): MarketplaceError {
  return new MarketplaceError('GGEN_E_BACKEND_MALFORMED', `The SPARQL endpoint ${endpoint} answered with a body that ${what}: ${(cause as Error).message.split('\n')[0] ?? ''}`, {
    hint: 'Check marketplace.sparql_endpoint: it must be a SPARQL 1.1 endpoint, not a page in front of one.',
    cause,
  });
}

/** The start of an error answer, for the message: its first chunk, never the whole body. */
async function errorText(response: Response): Promise<string> {
  const reader = response.body?.getReader() as ReadableStreamDefaultReader<Uint8Array> | undefined;
  if (reader === undefined) return '';
  const { value } = await reader.read();
  await reader.cancel();
  return Buffer.from(value ?? new Uint8Array(0))
    .toString('utf8')
    .slice(0, 300);
}
