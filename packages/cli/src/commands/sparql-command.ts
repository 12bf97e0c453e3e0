import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MarketplaceError } from '@ggen/marketplace-core';
import {
  fetchCatalogText,
  RemoteCatalog,
  runReadOnlySparql,
  type SparqlResult,
  type SparqlTerm,
} from '@ggen/marketplace-v2';
import { defineCommand, table } from '../command-spec.js';
import { remoteCatalogOptions } from '../remote-options.js';
import { fetchOptionsOf } from '../fetch-options.js';

export const sparqlCommand = defineCommand({
  command: 'sparql [query]',
  describe: 'Run a read-only SPARQL query over the v2 catalog (embedded, or on the configured endpoint)',
  available: (features) => features.backends.includes('v2'),
  options: {
    file: { type: 'string', describe: 'read the query from a file' },
    timeout: { type: 'number', default: 10_000, describe: 'milliseconds before the query is stopped' },
  },
  builder: (yargs) =>
    yargs
      .positional('query', { type: 'string', describe: 'the query text' })
      .example(
        '$0 marketplace sparql "PREFIX gg: <https://ggen.dev/ns/marketplace#> SELECT ?n WHERE { ?p gg:name ?n } LIMIT 5"',
        '',
      ),
  run: async (context, args): Promise<SparqlResult> => {
    const query = args.file === undefined ? args.query : readFileSync(resolve(context.io.cwd, args.file), 'utf8');
    if (query === undefined || query.trim() === '') {
      throw new MarketplaceError('GGEN_E_USAGE', 'Give a query, or --file with one', {
        hint: 'ggen marketplace sparql "SELECT * WHERE { ?s ?p ?o } LIMIT 10"',
      });
    }
    if (!Number.isInteger(args.timeout) || args.timeout < 1)
      throw new MarketplaceError('GGEN_E_USAGE', '--timeout must be a whole number of milliseconds', {
        hint: 'e.g. --timeout 5000',
      });
    const { config } = context.config();
    const remote = remoteCatalogOptions(config);
    if (remote !== undefined) return new RemoteCatalog({ ...remote, timeoutMs: args.timeout }).runReadOnly(query);
    const { text } = await fetchCatalogText(context.v2Registry(), fetchOptionsOf(config));
    return runReadOnlySparql(text, query, args.timeout);
  },
  render: (result) => {
    if (result.kind === 'ask') return String(result.value);
    if (result.kind === 'graph') return result.ntriples.trimEnd();
    const show = (term: SparqlTerm | undefined): string =>
      term === undefined ? '' : term.type === 'NamedNode' ? `<${term.value}>` : term.value;
    return `${table([result.variables, ...result.rows.map((row) => result.variables.map((name) => show(row[name])))])}\n\n${result.rows.length} row(s)`;
  },
});
