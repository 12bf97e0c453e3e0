import { MarketplaceError } from '@ggen/marketplace-core';
import { compareObjects, type CatalogObject, type CatalogTriples } from '../catalog-rdf.js';
import { CATALOG_GRAPH, V } from '../vocabulary.js';
import { QUAD_LINE, unescapeNQuads } from './nquads-line.js';

/**
 * The catalog triples of the shards a command has read, indexed in plain JavaScript: enough to
 * read packages back (install, info, the resolver) without starting oxigraph, whose wasm costs
 * a one-command process ~60 ms to load and warm. Same objects, in the same order, as oxigraph
 * gives for the same lines (tested against it).
 */
export class ShardTriples implements CatalogTriples {
  readonly #bySubject = new Map<string, Map<string, Map<string, CatalogObject>>>();
  readonly #packages = new Set<string>();

  constructor(readonly storeDir: string) {}

  /** Adds N-Quads lines cut by sync; a line of another shape means the store's files are damaged. */
  add(text: string): void {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const match = QUAD_LINE.exec(line);
      const [, rawSubject = '', rawPredicate = '', iri, literal, datatype, language, graph = ''] = match ?? [];
      const subject = unescapeNQuads(rawSubject);
      const predicate = unescapeNQuads(rawPredicate);
      const value = unescapeNQuads(iri ?? literal ?? '');
      if (match === null || subject === undefined || predicate === undefined || value === undefined) throw this.#damaged(line);
      if (unescapeNQuads(graph) !== CATALOG_GRAPH) continue;
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
      if (!objects.has(key)) objects.set(key, { value, node: iri !== undefined });
      if (predicate === V.type && iri !== undefined && value === V.Package) this.#packages.add(subject);
    }
  }

  objects(subject: string): Map<string, CatalogObject[]> {
    const result = new Map<string, CatalogObject[]>();
    for (const [predicate, objects] of this.#bySubject.get(subject) ?? []) result.set(predicate, [...objects.values()].sort(compareObjects));
    return result;
  }

  packageSubjects(): string[] {
    return [...this.#packages];
  }

  #damaged(line: string): MarketplaceError {
    return new MarketplaceError('GGEN_E_INDEX_INVALID', `The local v2 store ${this.storeDir} is damaged: a shard holds a line that is not a catalog quad: ${line.slice(0, 120)}`, {
      hint: 'Run ggen marketplace sync --force to rebuild it from the registry.',
    });
  }
}
