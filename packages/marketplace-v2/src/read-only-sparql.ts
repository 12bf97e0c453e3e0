import { createRequire } from 'node:module';
import { MarketplaceError } from '@ggen/marketplace-core';
import type { SparqlQuery } from 'sparqljs';
import { catalogSyntaxError } from './catalog-source.js';

export interface SparqlTerm {
  type: string;
  value: string;
  datatype?: string;
  language?: string;
}

export type SparqlResult =
  | { kind: 'select'; variables: string[]; rows: Record<string, SparqlTerm>[] }
  | { kind: 'ask'; value: boolean }
  | { kind: 'graph'; ntriples: string };

// Runs in a worker so that a runaway query can be stopped: oxigraph's query call is
// synchronous WebAssembly and cannot be interrupted in the thread that runs it.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const oxigraph = require(workerData.oxigraphPath);
const store = new oxigraph.Store();
let loaded = false;
try {
  store.load(workerData.nquads, { format: 'application/n-quads' });
  loaded = true;
} catch (error) {
  parentPort.postMessage({ catalogError: String(error && error.message ? error.message : error) });
}
const term = (t) => ({ type: t.termType, value: t.value, ...(t.datatype ? { datatype: t.datatype.value } : {}), ...(t.language ? { language: t.language } : {}) });
if (loaded) try {
  const result = store.query(workerData.query, { use_default_graph_as_union: true });
  if (typeof result === 'boolean') parentPort.postMessage({ ok: { kind: 'ask', value: result } });
  else if (Array.isArray(result) && (result.length === 0 || result[0] instanceof Map)) {
    parentPort.postMessage({ ok: { kind: 'select', rows: result.map((row) => Object.fromEntries([...row].map(([k, v]) => [k, term(v)]))) } });
  } else {
    const graph = new oxigraph.Store(result);
    parentPort.postMessage({ ok: { kind: 'graph', ntriples: graph.dump({ format: 'application/n-triples', from_graph_name: oxigraph.defaultGraph() }) } });
  }
} catch (error) {
  parentPort.postMessage({ error: String(error && error.message ? error.message : error) });
}
`;

/**
 * Runs a read-only SPARQL query over a catalog dump, in a worker stopped after `timeoutMs`.
 * Updates are refused before anything runs; the catalog's named graph is queried as the
 * default graph, so plain patterns work.
 */
export async function runReadOnlySparql(nquads: string, query: string, timeoutMs: number): Promise<SparqlResult> {
  const { variables } = await parseReadOnly(query);
  const oxigraphPath = createRequire(import.meta.url).resolve('oxigraph');
  // Loaded here: node:worker_threads costs every process that imports it its load.
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { oxigraphPath, nquads, query } });
  try {
    const message = await new Promise<{ ok?: SparqlResult; error?: string; catalogError?: string }>(
      (resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new MarketplaceError(
              'GGEN_E_SPARQL_TIMEOUT',
              `The query did not finish within ${timeoutMs} ms and was stopped`,
              {
                hint: 'Add a LIMIT, narrow the patterns, or raise --timeout.',
              },
            ),
          );
        }, timeoutMs);
        worker.once('message', (value: { ok?: SparqlResult; error?: string; catalogError?: string }) => {
          clearTimeout(timer);
          resolve(value);
        });
        worker.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      },
    );
    if (message.catalogError !== undefined) throw catalogSyntaxError(message.catalogError);
    if (message.error !== undefined || message.ok === undefined) {
      throw new MarketplaceError('GGEN_E_SPARQL_INVALID', `The query failed: ${message.error ?? 'no result'}`, {
        hint: 'Check the query against the catalog vocabulary (ontology.ttl).',
      });
    }
    const result = message.ok;
    if (result.kind === 'select') {
      const names = variables.includes('*') ? [...new Set(result.rows.flatMap((row) => Object.keys(row)))] : variables;
      return { kind: 'select', variables: names, rows: result.rows };
    }
    return result;
  } finally {
    await worker.terminate();
  }
}

/**
 * Parses a query and refuses anything but a read; returns it with the SELECT variables it
 * projects ('*' for all), or [] for ASK, CONSTRUCT and DESCRIBE.
 */
export async function parseReadOnly(query: string): Promise<{ parsed: SparqlQuery; variables: string[] }> {
  // Loaded here, not at start-up: its generated tables would cost every other command their set-up.
  const { Parser } = await import('sparqljs');
  let parsed;
  try {
    parsed = new Parser().parse(query);
  } catch (cause) {
    throw new MarketplaceError(
      'GGEN_E_SPARQL_INVALID',
      `Not a valid SPARQL query: ${(cause as Error).message.split('\n')[0] ?? ''}`,
      {
        hint: 'Check the syntax; prefixes like gg: must be declared (PREFIX gg: <https://ggen.dev/ns/marketplace#>).',
        cause,
      },
    );
  }
  if (parsed.type === 'update') {
    throw new MarketplaceError(
      'GGEN_E_SPARQL_UPDATE_REFUSED',
      'SPARQL updates are refused: this command is read-only',
      {
        hint: 'Change the catalog with ggen marketplace publish, never by hand.',
      },
    );
  }
  const variables =
    parsed.queryType === 'SELECT'
      ? parsed.variables.map((entry) =>
          'termType' in entry ? entry.value : 'variable' in entry ? entry.variable.value : '*',
        )
      : [];
  return { parsed, variables };
}
