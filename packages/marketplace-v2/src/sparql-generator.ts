import type { Generator as SparqlGenerator } from 'sparqljs';
// @ts-expect-error sparqljs types its package entry only; this is the same Generator it re-exports.
import { Generator as generator } from 'sparqljs/lib/SparqlGenerator.js';

/**
 * sparqljs's Generator without its parser: the package entry builds the parser's generated
 * tables when it loads, while search, summaries and registry
 * queries only ever write SPARQL. The parser is loaded where a user's query is read
 * (read-only-sparql.ts).
 */
export const Generator = generator as typeof SparqlGenerator;
