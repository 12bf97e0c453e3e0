import { isPackageName, type CatalogPackage, type CatalogVersion } from '@ggen/marketplace-core';
import { Writer } from 'n3';
import type { Store, Term as OxTerm } from 'oxigraph';
import { oxigraph, release } from './oxigraph-runtime.js';
import semverRcompare from 'semver/functions/rcompare.js';
import { exactNameToken, literalNameToken, namePartTokens, tokenize } from './tokenize.js';
import {
  authorIri,
  CATALOG_GRAPH,
  dependencyIri,
  keyIri,
  packageIri,
  postingIri,
  V,
  versionIri,
} from './vocabulary.js';
import { formatKeyId, parsePublicKey } from './signing/minisign-format.js';
import { namedNode, literal, quad } from './rdf-terms.js';

type Quad = ReturnType<typeof quad>;

/** BM25F field boosts and parameters; the exact-name posting outranks any field match. */
const FIELDS = { name: 3, keywords: 2, tags: 2, description: 1 } as const;
const K1 = 1.2;
const B = 0.75;
export const EXACT_NAME_WEIGHT = 12;
/** The name spelled as typed: as strong again, so that it beats a name that only shares its words. */
export const LITERAL_NAME_WEIGHT = EXACT_NAME_WEIGHT;
/** A part of a name (its last words, or its first words and last): a strong match, below the whole name. */
export const NAME_PART_WEIGHT = 6;

/** Popularity prior added to every relevant package's score. */
export function popularityOf(pkg: Pick<CatalogPackage, 'downloads' | 'stars'>): number {
  return 0.6 * Math.log10(pkg.downloads + 1) + 0.4 * Math.log10(pkg.stars + 1);
}

type FieldName = keyof typeof FIELDS;

function fieldTokens(pkg: CatalogPackage): Record<FieldName, string[]> {
  return {
    // Scope and name words both (`@acme/web-kit` is acme, web, kit); the whole name is the exact-name token.
    name: pkg.name.split(/[-_./@]/).filter((token) => token.length > 1),
    keywords: pkg.keywords.flatMap(tokenize),
    tags: pkg.tags.flatMap(tokenize),
    description: tokenize(pkg.description),
  };
}

/**
 * The statistics BM25F weighs a package's tokens against: how many packages, the average length
 * of each field, and in how many packages each token appears. A whole write of the catalog
 * computes them over every package and keeps them beside it (catalog.stats.json); a change
 * appended to the journal is weighed against those, so that it rewrites nothing else.
 */
export interface PostingStats {
  packages: number;
  average: Record<FieldName, number>;
  documentFrequency: Map<string, number>;
}

export function postingStatsOf(packages: CatalogPackage[]): PostingStats {
  const tokens = packages.map(fieldTokens);
  const average = Object.fromEntries(
    (Object.keys(FIELDS) as FieldName[]).map((field) => [
      field,
      Math.max(1, tokens.reduce((sum, entry) => sum + entry[field].length, 0) / Math.max(1, packages.length)),
    ]),
  ) as Record<FieldName, number>;
  const documentFrequency = new Map<string, number>();
  for (const entry of tokens) {
    for (const token of new Set(Object.values(entry).flat()))
      documentFrequency.set(token, (documentFrequency.get(token) ?? 0) + 1);
  }
  return { packages: packages.length, average, documentFrequency };
}

/**
 * A package's token weights against `stats`. `counted`: whether the statistics already count
 * this package (a whole write); a package weighed against an earlier catalog's statistics is
 * added to them for its own tokens.
 */
export function packageWeights(pkg: CatalogPackage, stats: PostingStats, counted: boolean): Map<string, number> {
  const entry = fieldTokens(pkg);
  const total = stats.packages + (counted ? 0 : 1);
  const weights = new Map<string, number>();
  const pseudoFrequency = new Map<string, number>();
  for (const field of Object.keys(FIELDS) as FieldName[]) {
    const norm = 1 - B + (B * entry[field].length) / stats.average[field];
    for (const token of entry[field])
      pseudoFrequency.set(token, (pseudoFrequency.get(token) ?? 0) + FIELDS[field] / norm);
  }
  for (const [token, frequency] of pseudoFrequency) {
    const df = (stats.documentFrequency.get(token) ?? 0) + (counted ? 0 : 1) || 1;
    const idf = Math.log(1 + (total - df + 0.5) / (df + 0.5));
    weights.set(token, Math.round(idf * ((frequency * (K1 + 1)) / (frequency + K1)) * 1000) / 1000);
  }
  const { tails, ends } = namePartTokens(pkg.name);
  for (const part of [...ends, ...tails]) weights.set(part, NAME_PART_WEIGHT);
  weights.set(exactNameToken(pkg.name), EXACT_NAME_WEIGHT);
  weights.set(literalNameToken(pkg.name), LITERAL_NAME_WEIGHT);
  return weights;
}

/** token -> BM25F weight, per package, over the whole catalog's statistics. */
export function computePostings(
  packages: CatalogPackage[],
  stats: PostingStats = postingStatsOf(packages),
): Map<string, Map<string, number>> {
  const postings = new Map<string, Map<string, number>>();
  for (const pkg of packages) postings.set(pkg.name, packageWeights(pkg, stats, true));
  pruneCommonTokens(packages, postings);
  return postings;
}

/**
 * Static index pruning: a token keeps only its MAX_POSTINGS_PER_TOKEN highest-impact postings
 * (weight plus popularity prior). A search then aggregates a bounded number of rows per term
 * whatever the catalog's size; what is dropped is a very common word's weakest matches,
 * which never reach the first page of an OR query anyway.
 */
export const MAX_POSTINGS_PER_TOKEN = 300;

function pruneCommonTokens(packages: CatalogPackage[], postings: Map<string, Map<string, number>>): void {
  const prior = new Map(packages.map((pkg) => [pkg.name, popularityOf(pkg)]));
  const byToken = new Map<string, { name: string; impact: number }[]>();
  for (const [name, weights] of postings) {
    for (const [token, weight] of weights) {
      const list = byToken.get(token) ?? [];
      list.push({ name, impact: weight + (prior.get(name) ?? 0) });
      byToken.set(token, list);
    }
  }
  for (const [token, list] of byToken) {
    if (list.length <= MAX_POSTINGS_PER_TOKEN) continue;
    list.sort((a, b) => b.impact - a.impact || (a.name < b.name ? -1 : 1));
    for (const dropped of list.slice(MAX_POSTINGS_PER_TOKEN)) postings.get(dropped.name)?.delete(token);
  }
}

/** Posting weights to one decimal: ranking keeps its order, the store far fewer nodes. */
export function quantise(weight: number): number {
  return Math.max(0.1, Math.round(weight * 10) / 10);
}

/** The catalog as N-Quads text; for a large catalog use catalogToNQuadChunks. */
export function catalogToNQuads(packages: CatalogPackage[]): string {
  return catalogToNQuadChunks(packages).join('');
}

/**
 * The catalog as N-Quads in the catalog graph (packages, versions, dependencies, postings),
 * one chunk per package: at 100k packages the whole dump passes V8's string limit, so it is
 * written and loaded chunk by chunk.
 */
export function catalogToNQuadChunks(packages: CatalogPackage[]): string[] {
  return [...catalogNQuadPieces(packages)];
}

/**
 * catalogToNQuadChunks's chunks one at a time, made as they are asked for: a writer that does
 * not keep them (writeV2Catalog) holds one package's text at a time, not the whole catalog.
 */
export function* catalogNQuadPieces(
  packages: CatalogPackage[],
  stats: PostingStats = postingStatsOf(packages),
): Generator<string> {
  const postings = computePostings(packages, stats);
  const postingNodes = new Set<string>();
  let written = 0;
  for (const pkg of [...packages].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const piece = packageNQuads(pkg, postings.get(pkg.name) ?? new Map<string, number>(), postingNodes);
    written += piece.quads;
    yield piece.text;
  }
  yield quadCountLine(written);
}

/** The last line of a catalog: how many quads came before it (n3 writes one quad a line), so that one cut short anywhere lacks it or disagrees. */
export function quadCountLine(written: number): string {
  return new Writer({ format: 'N-Quads' }).quadsToString([
    quad(
      namedNode(CATALOG_GRAPH),
      namedNode(V.quadCount),
      literal(String(written), namedNode(V.integer)),
      namedNode(CATALOG_GRAPH),
    ),
  ] as Parameters<Writer['quadsToString']>[0]);
}

/**
 * One package's block of the catalog: the package node and everything that hangs off it, then
 * its postings. A posting node (token, weight) is defined by the first block that uses it among
 * those sharing `postingNodes`; a block written alone (the journal's) defines all of its own.
 */
export function packageNQuads(
  pkg: CatalogPackage,
  weights: Map<string, number>,
  postingNodes = new Set<string>(),
): { text: string; quads: number } {
  const graph = namedNode(CATALOG_GRAPH);
  const quads: Quad[] = [];
  const add = (
    subject: string,
    predicate: string,
    object: ReturnType<typeof literal> | ReturnType<typeof namedNode>,
  ): void => {
    quads.push(quad(namedNode(subject), namedNode(predicate), object, graph));
  };
  const text = (value: string): ReturnType<typeof literal> => literal(value);
  const json = (value: unknown): ReturnType<typeof literal> => literal(JSON.stringify(value), namedNode(V.json));
  const integer = (value: number): ReturnType<typeof literal> => literal(String(value), namedNode(V.integer));
  const p = packageIri(pkg.name);
  add(p, V.type, namedNode(V.Package));
  add(p, V.name, text(pkg.name));
  add(p, V.description, text(pkg.description));
  if (pkg.category !== undefined) {
    add(p, V.category, text(pkg.category));
    add(p, V.categoryKey, text(pkg.category.toLowerCase()));
  }
  if (pkg.author !== undefined) {
    const a = authorIri(pkg.author);
    add(p, V.creator, namedNode(a));
    add(a, V.type, namedNode(V.Author));
    add(a, V.foafName, text(pkg.author));
    add(p, V.authorKey, text(pkg.author.toLowerCase()));
  }
  if (pkg.license !== undefined) {
    add(p, V.license, text(pkg.license));
    add(p, V.licenseKey, text(pkg.license.toLowerCase()));
  }
  add(p, V.tags, json(pkg.tags));
  for (const tag of new Set(pkg.tags.map((value) => value.toLowerCase()))) add(p, V.tagKey, text(tag));
  add(p, V.keywords, json(pkg.keywords));
  for (const keyword of new Set(pkg.keywords.map((value) => value.toLowerCase()))) add(p, V.keywordKey, text(keyword));
  add(p, V.downloads, integer(pkg.downloads));
  add(p, V.stars, integer(pkg.stars));
  add(p, V.popularity, literal(popularityOf(pkg).toFixed(4), namedNode(V.double)));
  if (pkg.repository !== undefined) add(p, V.repository, text(pkg.repository));
  if (pkg.distTags !== undefined && Object.keys(pkg.distTags).length > 0) add(p, V.distTags, json(pkg.distTags));
  if (pkg.homepage !== undefined) add(p, V.homepage, text(pkg.homepage));
  if (Object.keys(pkg.extra).length > 0) add(p, V.extra, json(pkg.extra));
  add(p, V.latestVersion, namedNode(versionIri(pkg.name, pkg.latest)));
  const addKey = (publicKey: string): string => {
    const k = keyIri(formatKeyId(parsePublicKey(publicKey).keyId));
    add(k, V.type, namedNode(V.SigningKey));
    add(k, V.keyId, text(formatKeyId(parsePublicKey(publicKey).keyId)));
    add(k, V.publicKey, text(publicKey));
    return k;
  };
  for (const key of pkg.ownerKeys ?? []) add(p, V.ownerKey, namedNode(addKey(key)));
  for (const key of pkg.revokedKeys ?? []) add(p, V.revokedKey, namedNode(addKey(key)));
  for (const version of pkg.versions) writeVersion(add, pkg.name, version, { text, json });
  for (const [token, weight] of weights) {
    // Weights are quantised so that packages share one (token, weight) node: one triple a
    // posting instead of three, and none on the package itself.
    const bucket = quantise(weight);
    const node = postingIri(token, bucket);
    if (!postingNodes.has(node)) {
      postingNodes.add(node);
      add(node, V.token, literal(token, namedNode(V.Token)));
      add(node, V.weight, literal(bucket.toFixed(1), namedNode(V.double)));
    }
    add(node, V.postingOf, namedNode(p));
  }
  const writer = new Writer({ format: 'N-Quads' });
  return { text: writer.quadsToString(quads as Parameters<Writer['quadsToString']>[0]), quads: quads.length };
}

function writeVersion(
  add: (subject: string, predicate: string, object: ReturnType<typeof literal> | ReturnType<typeof namedNode>) => void,
  name: string,
  version: CatalogVersion,
  make: { text: (value: string) => ReturnType<typeof literal>; json: (value: unknown) => ReturnType<typeof literal> },
): void {
  const v = versionIri(name, version.version);
  add(packageIri(name), V.hasVersion, namedNode(v));
  add(v, V.type, namedNode(V.PackageVersion));
  add(v, V.versionString, make.text(version.version));
  if (version.integrity !== undefined) add(v, V.integrity, make.text(version.integrity));
  if (version.checksum !== undefined) add(v, V.checksum, make.text(version.checksum));
  if (version.archive !== undefined) add(v, V.archive, make.text(version.archive));
  if (version.publishedAt !== undefined) add(v, V.issued, make.text(version.publishedAt));
  add(v, V.yanked, literal(String(version.yanked), namedNode(V.boolean)));
  if (version.deprecated !== undefined) add(v, V.deprecated, make.text(version.deprecated));
  if (version.size !== undefined) add(v, V.archiveSize, make.json(version.size));
  if (version.unpackedSize !== undefined) add(v, V.unpackedSize, make.json(version.unpackedSize));
  if (version.readme !== undefined) add(v, V.readme, make.text(version.readme));
  if (version.files !== undefined) add(v, V.files, make.json(version.files));
  if (version.templates !== undefined) add(v, V.templates, make.json(version.templates));
  if (version.variables !== undefined) add(v, V.variables, make.json(version.variables));
  if (version.signedBy !== undefined) {
    add(v, V.signedBy, namedNode(keyIri(version.signedBy)));
    add(keyIri(version.signedBy), V.type, namedNode(V.SigningKey));
    add(keyIri(version.signedBy), V.keyId, make.text(version.signedBy));
  }
  for (const [dependency, range] of Object.entries(version.dependencies)) {
    const d = dependencyIri(name, version.version, dependency);
    add(v, V.dependsOn, namedNode(d));
    add(d, V.type, namedNode(V.Dependency));
    add(d, V.dependencyName, make.text(dependency));
    add(d, V.versionRange, make.text(range));
    add(d, V.dependsOnPackage, namedNode(packageIri(dependency)));
  }
}

/** An object of a triple as package reading sees it: its text, and whether it is a node (an IRI) that has triples of its own. */
export interface CatalogObject {
  value: string;
  node: boolean;
}

/**
 * What reading packages back needs of a store: the objects of a subject's triples in the
 * catalog graph, by predicate, each list in one order (by value) whatever the store, and the
 * package subjects. oxigraph's store is one (oxigraphTriples); the local store's shards, read
 * without an RDF engine, are another.
 */
export interface CatalogTriples {
  objects(subject: string): Map<string, CatalogObject[]>;
  packageSubjects(): string[];
}

/** Objects in the one order every store gives them: by value, IRIs before literals of the same text. */
export function compareObjects(a: CatalogObject, b: CatalogObject): number {
  return a.value < b.value ? -1 : a.value > b.value ? 1 : Number(b.node) - Number(a.node);
}

/** An oxigraph store as CatalogTriples; nodes are looked up as the very terms the store gave (a blank node stays one). */
export function oxigraphTriples(store: Store): CatalogTriples {
  const graph = oxigraph.namedNode(CATALOG_GRAPH);
  const terms = new Map<string, OxTerm>();
  return {
    objects: (subject) => {
      const byPredicate = new Map<string, CatalogObject[]>();
      const known = terms.get(subject);
      const term = known ?? oxigraph.namedNode(subject);
      for (const entry of store.match(term, null, null, graph)) {
        const { object, predicate } = entry;
        const node = object.termType === 'NamedNode' || object.termType === 'BlankNode';
        // A blank node is found again only through the very term the store gave.
        if (object.termType === 'BlankNode') terms.set(object.value, object);
        const list = byPredicate.get(predicate.value) ?? [];
        list.push({ value: object.value, node });
        byPredicate.set(predicate.value, list);
        release(entry, predicate, object.termType === 'BlankNode' ? undefined : object);
      }
      if (known === undefined) release(term);
      for (const list of byPredicate.values()) list.sort(compareObjects);
      return byPredicate;
    },
    packageSubjects: () => {
      const type = oxigraph.namedNode(V.type);
      const pkg = oxigraph.namedNode(V.Package);
      const subjects = store.match(null, type, pkg, graph).map((entry) => {
        const { subject } = entry;
        const value = subject.value;
        release(entry, subject);
        return value;
      });
      release(type, pkg);
      return subjects;
    },
  };
}

/** Reads packages back from a store holding a catalog; unknown names are left out. */
export function readCatalogPackages(store: Store | CatalogTriples, names?: string[]): CatalogPackage[] {
  const triples = 'packageSubjects' in store ? store : oxigraphTriples(store);
  const subjects = names === undefined ? triples.packageSubjects() : names.map((name) => packageIri(name));
  const packages: CatalogPackage[] = [];
  for (const subject of subjects) {
    const pkg = readPackage(triples, subject);
    if (pkg !== undefined) packages.push(pkg);
  }
  return packages.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** A node's objects; a literal where a node belongs has none. */
function objectsOf(triples: CatalogTriples, object: CatalogObject): Map<string, CatalogObject[]> {
  return object.node ? triples.objects(object.value) : new Map<string, CatalogObject[]>();
}

function readPackage(triples: CatalogTriples, subject: string): CatalogPackage | undefined {
  const fields = triples.objects(subject);
  const one = (predicate: string): string | undefined => fields.get(predicate)?.[0]?.value;
  const name = one(V.name);
  const latestIri = one(V.latestVersion);
  // The one name rule: an entry whose name is a path is no package (it could not be installed safely).
  if (name === undefined || latestIri === undefined || !isPackageName(name)) return undefined;
  const versions = (fields.get(V.hasVersion) ?? [])
    .map((term) => readVersion(triples, term))
    .filter((version): version is CatalogVersion => version !== undefined);
  versions.sort((a, b) => semverRcompare(a.version, b.version));
  const latest =
    versions.find((version) => versionIri(name, version.version) === latestIri)?.version ?? versions[0]?.version ?? '';
  const pkg: CatalogPackage = {
    name,
    description: one(V.description) ?? '',
    tags: parseJson(one(V.tags), []),
    keywords: parseJson(one(V.keywords), []),
    downloads: Number(one(V.downloads) ?? 0),
    stars: Number(one(V.stars) ?? 0),
    latest,
    versions,
    extra: parseJson(one(V.extra), {}),
  };
  const category = one(V.category);
  if (category !== undefined) pkg.category = category;
  const creator = fields.get(V.creator)?.[0];
  if (creator !== undefined) {
    const author = objectsOf(triples, creator).get(V.foafName)?.[0]?.value;
    if (author !== undefined) pkg.author = author;
  }
  const license = one(V.license);
  if (license !== undefined) pkg.license = license;
  const repository = one(V.repository);
  if (repository !== undefined) pkg.repository = repository;
  const homepage = one(V.homepage);
  if (homepage !== undefined) pkg.homepage = homepage;
  const distTags = parseJson<Record<string, unknown>>(one(V.distTags), {});
  const tagged = Object.entries(distTags).filter(
    (entry): entry is [string, string] =>
      typeof entry[1] === 'string' && versions.some((version) => version.version === entry[1]),
  );
  if (tagged.length > 0) pkg.distTags = Object.fromEntries(tagged);
  const keys = (predicate: string): string[] =>
    (fields.get(predicate) ?? [])
      .map((node) => objectsOf(triples, node).get(V.publicKey)?.[0]?.value)
      .filter((key): key is string => key !== undefined)
      .sort();
  const ownerKeys = keys(V.ownerKey);
  if (ownerKeys.length > 0) pkg.ownerKeys = ownerKeys;
  const revokedKeys = keys(V.revokedKey);
  if (revokedKeys.length > 0) pkg.revokedKeys = revokedKeys;
  return pkg;
}

function readVersion(triples: CatalogTriples, subject: CatalogObject): CatalogVersion | undefined {
  const fields = objectsOf(triples, subject);
  const one = (predicate: string): string | undefined => fields.get(predicate)?.[0]?.value;
  const version = one(V.versionString);
  if (version === undefined) return undefined;
  const dependencies: Record<string, string> = {};
  for (const dependency of fields.get(V.dependsOn) ?? []) {
    const depFields = objectsOf(triples, dependency);
    const depName = depFields.get(V.dependencyName)?.[0]?.value;
    const range = depFields.get(V.versionRange)?.[0]?.value;
    if (depName !== undefined && range !== undefined) dependencies[depName] = range;
  }
  // Some SPARQL servers hand stored booleans back as "1".
  const yanked = one(V.yanked);
  const result: CatalogVersion = { version, dependencies, yanked: yanked === 'true' || yanked === '1' };
  const optional = {
    integrity: one(V.integrity),
    checksum: one(V.checksum),
    archive: one(V.archive),
    publishedAt: one(V.issued),
    deprecated: one(V.deprecated),
  };
  for (const [key, value] of Object.entries(optional))
    if (value !== undefined) result[key as keyof typeof optional] = value;
  const files = one(V.files);
  if (files !== undefined) result.files = parseJson(files, []);
  const templates = one(V.templates);
  if (templates !== undefined) result.templates = parseJson(templates, []);
  const variables = one(V.variables);
  if (variables !== undefined) result.variables = parseJson(variables, {});
  for (const [key, predicate] of [
    ['size', V.archiveSize],
    ['unpackedSize', V.unpackedSize],
  ] as const) {
    const size = parseJson<unknown>(one(predicate), undefined);
    if (typeof size === 'number' && Number.isSafeInteger(size) && size >= 0) result[key] = size;
  }
  const readme = one(V.readme);
  if (readme !== undefined) result.readme = readme;
  const signer = fields.get(V.signedBy)?.[0];
  const signedBy = signer === undefined ? undefined : objectsOf(triples, signer).get(V.keyId)?.[0]?.value;
  if (signedBy !== undefined) result.signedBy = signedBy;
  return result;
}

function parseJson<T>(text: string | undefined, fallback: T): T {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
