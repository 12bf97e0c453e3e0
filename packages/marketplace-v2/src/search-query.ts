import type { SearchQuery } from '@ggen/marketplace-core';
import type { Expression, Pattern, SelectQuery, Triple } from 'sparqljs';
import { Generator } from './sparql-generator.js';
import { CATALOG_GRAPH, V } from './vocabulary.js';
import { namedNode, literal, variable } from './rdf-terms.js';

// Terms are made when a query is built: a search the local store ranks from its shards builds
// none, and so never loads n3 (which brings node's streams with it).
const integerType = (): ReturnType<typeof namedNode> => namedNode('http://www.w3.org/2001/XMLSchema#integer');
const decimalType = (): ReturnType<typeof namedNode> => namedNode('http://www.w3.org/2001/XMLSchema#decimal');

export interface WeightedToken {
  token: string;
  boost: number;
}

type Filters = Pick<SearchQuery, 'category' | 'author' | 'license' | 'keyword' | 'tags' | 'minDownloads' | 'minStars'>;

const triple = (subject: string, predicate: string, object: Triple['object']): Triple => ({
  subject: variable(subject),
  predicate: namedNode(predicate),
  object,
});

/** Where a search orders by: the name, or a variable of the ranking query. */
export type SortKey = 'score' | 'downloads' | 'stars' | 'name';

/**
 * What one search asks of a catalog, decided once from the tokens, filters and page: the
 * SPARQL query is built from it (searchAst), and a store that can answer it without an engine
 * (the local store's shards) evaluates the very same plan.
 */
export interface SearchPlan {
  tokens: WeightedToken[];
  /** The datatype the catalog's tokens have (V.Token; a catalog written before it, xsd:string). */
  tokenType: string;
  /** Ranked by tokens (postings joined); else every package with a name is a candidate. */
  relevance: boolean;
  /** The count of matching packages, not a page of them. */
  count: boolean;
  /** Undefined for a count. */
  sortKey: SortKey | undefined;
  descending: boolean;
  /** Downloads and stars join in only to sort or filter by them. */
  needsDownloads: boolean;
  needsStars: boolean;
  /** Exact filter keys: the predicate and the lowercased value it must have. */
  exact: [predicate: string, value: string][];
  /** Lowercased; matches a keyword key or a tag key. */
  keyword: string | undefined;
  /** Lower bounds, as the integer literals the query compares with. */
  minDownloads: string | undefined;
  minStars: string | undefined;
  limit: number;
  offset: number;
}

export function searchPlan(
  tokens: WeightedToken[],
  filters: Filters,
  page: { sort: SearchQuery['sort']; order?: SearchQuery['order']; limit: number; offset: number } | 'count',
  tokenType: string = V.Token,
): SearchPlan {
  const relevance = tokens.length > 0;
  const sortKey =
    page === 'count'
      ? undefined
      : ({ relevance: 'score', downloads: 'downloads', stars: 'stars', name: 'name' } as const)[
          relevanceOr(page.sort, relevance)
        ];
  const exact: [string, string][] = [];
  const add = (predicate: string, value: string | undefined): void => {
    if (value !== undefined) exact.push([predicate, value.toLowerCase()]);
  };
  add(V.categoryKey, filters.category);
  add(V.authorKey, filters.author);
  add(V.licenseKey, filters.license);
  for (const tag of filters.tags ?? []) add(V.tagKey, tag);
  const bound = (minimum: number | undefined): string | undefined =>
    minimum === undefined ? undefined : String(Math.floor(minimum));
  return {
    tokens,
    tokenType,
    relevance,
    count: page === 'count',
    sortKey,
    descending: page !== 'count' && (page.order ?? (sortKey === 'name' ? 'asc' : 'desc')) === 'desc',
    // Every joined triple costs a lookup per matching posting (a third of the ranking query's time at 10k packages).
    needsDownloads: sortKey === 'downloads' || filters.minDownloads !== undefined,
    needsStars: sortKey === 'stars' || filters.minStars !== undefined,
    exact,
    keyword: filters.keyword?.toLowerCase(),
    minDownloads: bound(filters.minDownloads),
    minStars: bound(filters.minStars),
    limit: page === 'count' ? 0 : page.limit,
    offset: page === 'count' ? 0 : page.offset,
  };
}

/** The search query of a plan's tokens, filters and page, as a sparqljs AST. */
export function buildSearchAst(
  tokens: WeightedToken[],
  filters: Filters,
  page: Parameters<typeof searchPlan>[2],
): SelectQuery {
  return searchAst(searchPlan(tokens, filters, page));
}

type TokenTerm = ReturnType<typeof literal>;

/**
 * A token's boost as an expression of ?tok: `IF(STR(?tok) IN (...), b1, IF(..., b2, b))`, one branch per
 * boost but the commonest, which is the last branch's value.
 */
function boostOf(tokens: WeightedToken[]): Expression {
  const byBoost = new Map<string, string[]>();
  for (const { token, boost } of tokens) {
    const key = boost.toFixed(3);
    const members = byBoost.get(key);
    if (members === undefined) byBoost.set(key, [token]);
    else members.push(token);
  }
  const [common, ...others] = [...byBoost].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
  let expression: Expression = literal(common?.[0] ?? '1.000', decimalType());
  for (const [boost, members] of others.reverse())
    expression = {
      type: 'operation',
      operator: 'if',
      args: [
        {
          type: 'operation',
          operator: 'in',
          // By the token's text: `=` on literals of a datatype SPARQL does not know is an error, not false.
          args: [
            { type: 'operation', operator: 'str', args: [variable('tok')] },
            members.map((token) => literal(token)),
          ],
        },
        literal(boost, decimalType()),
        expression,
      ],
    };
  return expression;
}

/**
 * Builds the search query as a sparqljs AST. User text reaches it only as tokens and filter
 * values bound as RDF literals, so no input can change the query's shape.
 */
export function searchAst(plan: SearchPlan): SelectQuery {
  const patterns: Pattern[] = [];
  const { relevance, sortKey, needsDownloads, needsStars } = plan;
  if (relevance) {
    const term = (token: string): TokenTerm =>
      plan.tokenType === V.string ? literal(token) : literal(token, namedNode(plan.tokenType));
    // The tokens alone in VALUES: a SPARQL server (Virtuoso) looks each one up in its index, where a
    // VALUES of token and boost pairs made it scan every posting (server-bench's remote search).
    patterns.push({ type: 'values', values: plan.tokens.map(({ token }) => ({ '?tok': term(token) })) });
    patterns.push({
      type: 'bgp',
      triples: plan.count
        ? [triple('posting', V.token, variable('tok')), triple('posting', V.postingOf, variable('pkg'))]
        : [
            triple('posting', V.token, variable('tok')),
            triple('posting', V.weight, variable('w')),
            triple('posting', V.postingOf, variable('pkg')),
          ],
    });
  }
  // Ranked by tokens, a package is reached through its postings: its name is not needed to
  // group or order (the IRI ends in the name), which saves a lookup per posting. The count
  // joins what the ranking joins: a package that cannot be ranked (no popularity) is not counted.
  const triples: Triple[] = [
    ...(relevance ? [] : [triple('pkg', V.name, variable('name'))]),
    triple('pkg', V.popularity, variable('pop')),
  ];
  if (needsDownloads) triples.push(triple('pkg', V.downloads, variable('dl')));
  if (needsStars) triples.push(triple('pkg', V.stars, variable('st')));
  for (const [predicate, value] of plan.exact) triples.push(triple('pkg', predicate, literal(value)));
  if (plan.keyword !== undefined) {
    triples.push({
      subject: variable('pkg'),
      predicate: { type: 'path', pathType: '|', items: [namedNode(V.keywordKey), namedNode(V.tagKey)] },
      object: literal(plan.keyword),
    } as unknown as Triple);
  }
  if (triples.length > 0) patterns.push({ type: 'bgp', triples });
  const atLeast = (name: string, minimum: string | undefined): void => {
    if (minimum === undefined) return;
    patterns.push({
      type: 'filter',
      expression: { type: 'operation', operator: '>=', args: [variable(name), literal(minimum, integerType())] },
    });
  };
  atLeast('dl', plan.minDownloads);
  atLeast('st', plan.minStars);

  const where: Pattern[] = [{ type: 'graph', name: namedNode(CATALOG_GRAPH), patterns }];
  const base = { type: 'query', queryType: 'SELECT', prefixes: {}, where } as const;
  if (plan.count) {
    return {
      ...base,
      variables: [
        {
          expression: { type: 'aggregate', aggregation: 'count', distinct: true, expression: variable('pkg') },
          variable: variable('total'),
        },
      ],
    } as unknown as SelectQuery;
  }
  const sample = (name: string, as: string): unknown => ({
    expression: { type: 'aggregate', aggregation: 'sample', distinct: false, expression: variable(name) },
    variable: variable(as),
  });
  const score = relevance
    ? {
        expression: {
          type: 'operation',
          operator: '+',
          args: [
            {
              type: 'aggregate',
              aggregation: 'sum',
              distinct: false,
              // The boost in the sum itself: a BIND between the patterns made oxigraph join them apart.
              expression: { type: 'operation', operator: '*', args: [variable('w'), boostOf(plan.tokens)] },
            },
            { type: 'aggregate', aggregation: 'sample', distinct: false, expression: variable('pop') },
          ],
        },
        variable: variable('score'),
      }
    : sample('pop', 'score');
  // Package IRIs are the package prefix followed by the name, so STR(?pkg) orders as the name.
  // A tie is broken by the IRI itself, which SPARQL orders by the same string: STR(?pkg) would
  // make a string per comparison (half of a ranking query's time at 100k packages in oxigraph).
  const byName = { type: 'operation', operator: 'str', args: [variable('pkg')] };
  return {
    ...base,
    variables: [
      variable('pkg'),
      score,
      ...(needsDownloads ? [sample('dl', 'downloads')] : []),
      ...(needsStars ? [sample('st', 'stars')] : []),
    ],
    group: [{ expression: variable('pkg') }],
    order: [
      { expression: sortKey === 'name' ? byName : variable(sortKey ?? 'score'), descending: plan.descending },
      ...(sortKey === 'name' ? [] : [{ expression: variable('pkg') }]),
    ],
    limit: plan.limit,
    offset: plan.offset,
  } as unknown as SelectQuery;
}

function relevanceOr(sort: SearchQuery['sort'], relevance: boolean): SearchQuery['sort'] {
  return sort === 'relevance' && !relevance ? 'downloads' : sort;
}

let generator: InstanceType<typeof Generator> | undefined;

/**
 * The predicates a query's triple patterns can match, or undefined when it can match any (a
 * variable predicate, a negated property set, a pattern kind not known here). A store may
 * leave triples of other predicates out of such a query's evaluation: its answer is the same.
 */
export function predicatesOf(query: SelectQuery): ReadonlySet<string> | undefined {
  const found = new Set<string>();
  const predicate = (term: unknown): boolean => {
    const node = term as { termType?: string; value?: string; type?: string; pathType?: string; items?: unknown[] };
    if (node.termType === 'NamedNode' && node.value !== undefined) {
      found.add(node.value);
      return true;
    }
    // Sequences, alternatives, inverses and repetitions of IRIs match only those IRIs' triples; `!` matches the rest.
    return node.type === 'path' && node.pathType !== '!' && Array.isArray(node.items) && node.items.every(predicate);
  };
  const expression = (value: unknown): boolean => {
    if (typeof value !== 'object' || value === null) return true;
    // The list of an IN.
    if (Array.isArray(value)) return value.every(expression);
    const node = value as { type?: string; termType?: string; args?: unknown[]; expression?: unknown };
    if (node.termType !== undefined) return true;
    if (node.type === 'operation' || node.type === 'functionCall')
      return (node.args ?? []).every((arg) => (isPattern(arg) ? pattern(arg) : expression(arg)));
    if (node.type === 'aggregate') return expression(node.expression);
    return isPattern(node) && pattern(node);
  };
  const isPattern = (value: unknown): boolean =>
    typeof value === 'object' &&
    value !== null &&
    'type' in value &&
    ['bgp', 'group', 'graph', 'optional', 'minus', 'union', 'filter', 'bind', 'values', 'query'].includes(
      String(value.type),
    );
  const pattern = (value: unknown): boolean => {
    const node = value as Pattern & { type: string };
    switch (node.type) {
      case 'bgp':
        return node.triples.every((one) => predicate(one.predicate));
      case 'group':
      case 'graph':
      case 'optional':
      case 'minus':
      case 'union':
        return node.patterns.every(pattern);
      case 'filter':
      case 'bind':
        return expression(node.expression);
      case 'values':
        return true;
      case 'query':
        return select(node);
      default:
        return false;
    }
  };
  const select = (one: SelectQuery): boolean =>
    (one.where ?? []).every(pattern) &&
    [...(one.variables as unknown[]), ...(one.group ?? []), ...(one.having ?? []), ...(one.order ?? [])].every(
      (entry) =>
        expression(typeof entry === 'object' && entry !== null && 'expression' in entry ? entry.expression : entry),
    );
  return select(query) ? found : undefined;
}

export function generateQuery(ast: SelectQuery): string {
  generator ??= new Generator();
  return generator.stringify(ast);
}
