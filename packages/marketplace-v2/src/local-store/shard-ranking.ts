import type { Row } from '../catalog-source.js';
import type { SearchPlan } from '../search-query.js';
import { V } from '../vocabulary.js';
import type { CatalogTerm, ShardTriples } from './shard-triples.js';

/**
 * Lexical forms JavaScript's Number reads to the value the SPARQL engine reads (both round to
 * the nearest double): no INF, NaN, hexadecimal or surrounding space, which the two read apart.
 */
const DECIMAL_FORM = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Integers a double holds exactly. */
const INTEGER_FORM = /^[+-]?\d{1,15}$/;

/** A literal's number when it has the datatype expected and a form read alike everywhere. */
function numberOf(term: CatalogTerm, datatype: string, form: RegExp): number | undefined {
  if (term.node || term.datatype !== datatype || !form.test(term.value)) return undefined;
  const value = Number(term.value);
  return Number.isFinite(value) ? value : undefined;
}

/** Thrown inside the evaluation where the shards hold something it would read otherwise than SPARQL does. */
class Unsure extends Error {}

/**
 * The search's ranking (or count) query of a plan, answered from the shard lines a command has
 * read, with the rows oxigraph gives for the same lines (searchAst's query; tested against
 * it): a one-shot search need not load and warm oxigraph's wasm (~60 ms of a process). Where
 * the lines hold what the two could read apart (a package with two popularities, a weight not
 * a plain double, a posting that reaches one package twice for one token), the answer is
 * undefined and the caller runs the query.
 *
 * What the query means, read off searchAst: per VALUES row (token, boost), the postings of that
 * token, each weight and each package it is a posting of; joined with the package's popularity
 * (and its name without tokens, its downloads and stars when sorted or filtered by them, its
 * exact filter keys, a keyword or tag key); grouped by package, scored by the sum of weight
 * times boost in VALUES order (as oxigraph sums) plus the popularity; ordered by the sort key
 * then the package IRI; paged. The count is of the distinct packages the same join reaches,
 * without the weights.
 */
export function rankShards(triples: ShardTriples, plan: SearchPlan): Row[] | undefined {
  try {
    return evaluate(triples, plan);
  } catch (error) {
    if (error instanceof Unsure) return undefined;
    throw error;
  }
}

interface Candidate {
  pkg: string;
  score: number;
  downloads?: number;
  stars?: number;
}

function evaluate(triples: ShardTriples, plan: SearchPlan): Row[] {
  const only = (subject: string, predicate: string): CatalogTerm | undefined => {
    const terms = triples.terms(subject, predicate);
    if (terms.length > 1) throw new Unsure();
    return terms[0];
  };
  const numeric = (term: CatalogTerm, datatype: 'double' | 'integer'): number => {
    const value = numberOf(term, V[datatype], datatype === 'double' ? DECIMAL_FORM : INTEGER_FORM);
    if (value === undefined) throw new Unsure();
    return value;
  };
  const bound = (text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    if (!INTEGER_FORM.test(text)) throw new Unsure();
    return Number(text);
  };
  const minDownloads = bound(plan.minDownloads);
  const minStars = bound(plan.minStars);

  // The weight sums per package, in VALUES order; or, without tokens, every package with a name.
  const sums = new Map<string, number>();
  if (plan.relevance) {
    for (const { token, boost } of plan.tokens) {
      // The decimal literal the query binds, as the double it is promoted to.
      const factor = Number(boost.toFixed(3));
      const reachedNow = new Set<string>();
      for (const posting of triples.subjectsWithToken(token)) {
        const weights = plan.count ? [undefined] : triples.terms(posting, V.weight).map((term) => numeric(term, 'double'));
        for (const target of triples.terms(posting, V.postingOf)) {
          // A literal joins nothing: no triple has it as a subject.
          if (!target.node) continue;
          for (const weight of weights) {
            // Two solutions of one row for one package: the engine's order among them is its own.
            if (!plan.count && reachedNow.has(target.value)) throw new Unsure();
            reachedNow.add(target.value);
            sums.set(target.value, (sums.get(target.value) ?? 0) + (weight === undefined ? 0 : weight * factor));
          }
        }
      }
    }
  } else {
    for (const subject of triples.subjectsWith(V.name)) sums.set(subject, 0);
  }

  const candidates: Candidate[] = [];
  for (const [pkg, sum] of sums) {
    // Code-unit order (JavaScript's) is code-point order (the engine's) below the surrogates.
    if (/[\ud800-\uffff]/.test(pkg)) throw new Unsure();
    const popularity = triples.terms(pkg, V.popularity);
    if (popularity.length === 0) continue;
    // A filter value is a simple literal in the query: it matches that term only.
    const has = (predicate: string, value: string): boolean =>
      triples.terms(pkg, predicate).some((term) => !term.node && term.datatype === undefined && term.language === undefined && term.value === value);
    if (plan.exact.some(([predicate, value]) => !has(predicate, value))) continue;
    if (plan.keyword !== undefined && !has(V.keywordKey, plan.keyword) && !has(V.tagKey, plan.keyword)) continue;
    if (plan.count) {
      // Any one solution that passes the filters counts the package.
      const passes = (predicate: string, minimum: number | undefined): boolean =>
        minimum === undefined || triples.terms(pkg, predicate).some((term) => numeric(term, 'integer') >= minimum);
      if (passes(V.downloads, minDownloads) && passes(V.stars, minStars)) candidates.push({ pkg, score: 0 });
      continue;
    }
    // One solution per posting: more than one popularity, name, downloads or stars would repeat
    // them (and which one SAMPLE takes is the engine's choice).
    if (popularity.length > 1) throw new Unsure();
    const pop = numeric(popularity[0] ?? { value: '', node: true }, 'double');
    if (!plan.relevance && only(pkg, V.name) === undefined) continue;
    const candidate: Candidate = { pkg, score: plan.relevance ? sum + pop : pop };
    if (plan.needsDownloads) {
      const term = only(pkg, V.downloads);
      if (term === undefined) continue;
      candidate.downloads = numeric(term, 'integer');
      if (minDownloads !== undefined && candidate.downloads < minDownloads) continue;
    }
    if (plan.needsStars) {
      const term = only(pkg, V.stars);
      if (term === undefined) continue;
      candidate.stars = numeric(term, 'integer');
      if (minStars !== undefined && candidate.stars < minStars) continue;
    }
    candidates.push(candidate);
  }

  if (plan.count) return [{ total: String(candidates.length) }];
  const byIri = (a: Candidate, b: Candidate): number => (a.pkg < b.pkg ? -1 : a.pkg > b.pkg ? 1 : 0);
  const key = plan.sortKey ?? 'score';
  const direction = plan.descending ? -1 : 1;
  candidates.sort(
    key === 'name'
      ? (a, b) => direction * byIri(a, b)
      : (a, b) => {
          const x = a[key] ?? 0;
          const y = b[key] ?? 0;
          return x === y ? byIri(a, b) : direction * (x < y ? -1 : 1);
        },
  );
  return candidates.slice(plan.offset, plan.offset + plan.limit).map((candidate) => ({
    pkg: candidate.pkg,
    score: String(candidate.score),
    ...(candidate.downloads === undefined ? {} : { downloads: String(candidate.downloads) }),
    ...(candidate.stars === undefined ? {} : { stars: String(candidate.stars) }),
  }));
}
