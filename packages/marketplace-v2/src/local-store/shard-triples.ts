import { MarketplaceError } from '@ggen/marketplace-core';
import { compareObjects, type CatalogObject, type CatalogTriples } from '../catalog-rdf.js';
import { CATALOG_GRAPH, V } from '../vocabulary.js';
import { QUAD_LINE, unescapeNQuads } from './nquads-line.js';

/** A token as catalogs write it (typed gg:Token), or as they wrote it before (a plain string). */
const isTokenType = (datatype: string | undefined): boolean => datatype === undefined || datatype === V.Token;

/** One object of a triple: an IRI, or a literal with its datatype IRI or language when written with one. */
export interface CatalogTerm extends CatalogObject {
  datatype?: string;
  language?: string;
}

/**
 * The catalog triples of the shards a command has read, indexed in plain JavaScript: enough to
 * read packages back (install, info, the resolver) without starting oxigraph, whose wasm costs
 * a one-command process its load and warm-up. Same objects, in the same order, as oxigraph
 * gives for the same lines (tested against it).
 */
export class ShardTriples implements CatalogTriples {
  readonly #bySubject = new Map<string, Map<string, Map<string, CatalogTerm>>>();
  readonly #packages = new Set<string>();
  /** Subjects by the simple literal of their search token (the postings a token reaches). */
  readonly #byToken = new Map<string, Set<string>>();

  constructor(readonly storeDir: string) {}

  /** Adds N-Quads lines cut by sync; a line of another shape means the store's files are damaged. */
  add(text: string): void {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const match = QUAD_LINE.exec(line);
      if (match === null) throw this.#damaged(line);
      // By index, not destructured: a search indexes thousands of lines, and array destructuring
      // (the iterator protocol) took half of that time in the interpreter a one-shot command runs in.
      const iri = match[3];
      const language = match[6];
      // A literal typed xsd:string is the simple literal of the same text (RDF 1.1), as a store keeps it.
      const datatype = match[5] === V.string ? undefined : match[5];
      const subject = unescapeNQuads(match[1] ?? '');
      const predicate = unescapeNQuads(match[2] ?? '');
      const value = unescapeNQuads(iri ?? match[4] ?? '');
      if (subject === undefined || predicate === undefined || value === undefined) throw this.#damaged(line);
      if (unescapeNQuads(match[7] ?? '') !== CATALOG_GRAPH) continue;
      let byPredicate = this.#bySubject.get(subject);
      if (byPredicate === undefined) {
        byPredicate = new Map();
        this.#bySubject.set(subject, byPredicate);
      }
      let objects = byPredicate.get(predicate);
      if (objects === undefined) {
        objects = new Map();
        byPredicate.set(predicate, objects);
      }
      // One object per term, as a store keeps a triple once: the key is the whole term.
      const key = iri !== undefined ? `<${value}` : `"${value}"${datatype ?? ''}@${language ?? ''}`;
      if (objects.has(key)) continue;
      objects.set(
        key,
        iri !== undefined
          ? { value, node: true }
          : datatype !== undefined
            ? { value, node: false, datatype }
            : language !== undefined
              ? { value, node: false, language }
              : { value, node: false },
      );
      if (predicate === V.type && iri !== undefined && value === V.Package) this.#packages.add(subject);
      if (predicate === V.token && iri === undefined && isTokenType(datatype) && language === undefined) {
        const postings = this.#byToken.get(value);
        if (postings === undefined) this.#byToken.set(value, new Set([subject]));
        else postings.add(subject);
      }
    }
  }

  objects(subject: string): Map<string, CatalogObject[]> {
    const result = new Map<string, CatalogObject[]>();
    for (const [predicate, objects] of this.#bySubject.get(subject) ?? [])
      result.set(predicate, [...objects.values()].map(({ value, node }) => ({ value, node })).sort(compareObjects));
    return result;
  }

  /** The objects of one subject's triples of one predicate, as terms (a literal's datatype and language as written; none is a simple literal). */
  terms(subject: string, predicate: string): readonly CatalogTerm[] {
    const objects = this.#bySubject.get(subject)?.get(predicate);
    return objects === undefined ? [] : [...objects.values()];
  }

  /** The subjects whose search token is this simple literal. */
  subjectsWithToken(token: string): ReadonlySet<string> {
    return this.#byToken.get(token) ?? new Set();
  }

  /** Every subject with a triple of this predicate. */
  *subjectsWith(predicate: string): Iterable<string> {
    for (const [subject, byPredicate] of this.#bySubject) if (byPredicate.has(predicate)) yield subject;
  }

  packageSubjects(): string[] {
    return [...this.#packages];
  }

  #damaged(line: string): MarketplaceError {
    return new MarketplaceError(
      'GGEN_E_INDEX_INVALID',
      `The local v2 store ${this.storeDir} is damaged: a shard holds a line that is not a catalog quad: ${line.slice(0, 120)}`,
      {
        hint: 'Run ggen marketplace sync --force to rebuild it from the registry.',
      },
    );
  }
}
