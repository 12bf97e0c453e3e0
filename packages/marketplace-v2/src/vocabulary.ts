/** IRIs of the catalog vocabulary (ontology.ttl). Nothing else is written to the catalog. */
export const GG = 'https://ggen.dev/ns/marketplace#';
export const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
export const XSD = 'http://www.w3.org/2001/XMLSchema#';
export const DCTERMS = 'http://purl.org/dc/terms/';
export const FOAF = 'http://xmlns.com/foaf/0.1/';

/** The named graph holding a registry's catalog (remote endpoints see other graphs too). */
export const CATALOG_GRAPH = 'https://ggen.dev/registry/catalog';
/**
 * On a remote endpoint: which graph holds the catalog now (a generation named by the catalog's
 * digest, switched by registry push in one small update) and its sha256. Without it (a catalog
 * loaded by other means), the catalog is CATALOG_GRAPH itself.
 */
export const CATALOG_META_GRAPH = 'https://ggen.dev/registry/catalog-meta';
const BASE = 'https://ggen.dev/registry/';

export const V = {
  type: `${RDF}type`,
  json: `${RDF}JSON`,
  Package: `${GG}Package`,
  PackageVersion: `${GG}PackageVersion`,
  Dependency: `${GG}Dependency`,
  Author: `${GG}Author`,
  Posting: `${GG}Posting`,
  /**
   * The datatype of a posting's token: a token is never the same term as a field's value (a
   * category or author `npm`), so a store that finds a triple by its object reads the token's
   * postings alone.
   */
  Token: `${GG}Token`,
  SigningKey: `${GG}SigningKey`,
  ownerKey: `${GG}ownerKey`,
  revokedKey: `${GG}revokedKey`,
  signedBy: `${GG}signedBy`,
  keyId: `${GG}keyId`,
  publicKey: `${GG}publicKey`,
  name: `${GG}name`,
  description: `${DCTERMS}description`,
  category: `${GG}category`,
  categoryKey: `${GG}categoryKey`,
  creator: `${DCTERMS}creator`,
  foafName: `${FOAF}name`,
  authorKey: `${GG}authorKey`,
  license: `${DCTERMS}license`,
  licenseKey: `${GG}licenseKey`,
  tags: `${GG}tags`,
  tagKey: `${GG}tagKey`,
  keywords: `${GG}keywords`,
  keywordKey: `${GG}keywordKey`,
  downloads: `${GG}downloads`,
  stars: `${GG}stars`,
  popularity: `${GG}popularity`,
  repository: `${GG}repository`,
  homepage: `${FOAF}homepage`,
  latestVersion: `${GG}latestVersion`,
  hasVersion: `${GG}hasVersion`,
  extra: `${GG}extra`,
  versionString: `${GG}versionString`,
  integrity: `${GG}integrity`,
  checksum: `${GG}checksum`,
  archive: `${GG}archive`,
  issued: `${DCTERMS}issued`,
  yanked: `${GG}yanked`,
  deprecated: `${GG}deprecated`,
  archiveSize: `${GG}archiveSize`,
  unpackedSize: `${GG}unpackedSize`,
  readme: `${GG}readme`,
  distTags: `${GG}distTags`,
  dependsOn: `${GG}dependsOn`,
  files: `${GG}files`,
  templates: `${GG}templates`,
  variables: `${GG}variables`,
  dependencyName: `${GG}dependencyName`,
  versionRange: `${GG}versionRange`,
  dependsOnPackage: `${GG}dependsOnPackage`,
  postingOf: `${GG}postingOf`,
  token: `${GG}token`,
  weight: `${GG}weight`,
  quadCount: `${GG}quadCount`,
  catalogDigest: `${GG}catalogDigest`,
  currentGraph: `${GG}currentGraph`,
  previousGraph: `${GG}previousGraph`,
  switchedAt: `${GG}switchedAt`,
  /** Which state of a registry directory's catalog a generation holds (catalog.nq and how much of its journal). */
  catalogState: `${GG}catalogState`,
  /** The digest of the catalog as pushed, whose search vocabulary a reader's cache keeps; changes applied since add to it. */
  vocabularyDigest: `${GG}vocabularyDigest`,
  /** A package a change applied to the generation since it was pushed. */
  changedPackage: `${GG}changedPackage`,
  string: `${XSD}string`,
  integer: `${XSD}integer`,
  double: `${XSD}double`,
  boolean: `${XSD}boolean`,
  dateTime: `${XSD}dateTime`,
} as const;

export const packageIri = (name: string): string => `${BASE}package/${name}`;
/** The name a package IRI ends in (the inverse of packageIri). */
export const packageNameOf = (iri: string): string =>
  iri.startsWith(`${BASE}package/`) ? iri.slice(`${BASE}package/`.length) : iri;
export const versionIri = (name: string, version: string): string => `${BASE}package/${name}/${version}`;
export const dependencyIri = (name: string, version: string, dependency: string): string =>
  `${BASE}package/${name}/${version}/dependency/${dependency}`;
/** One node per exact spelling: the corpus writes one author in several cases. */
export const authorIri = (author: string): string => `${BASE}author/${encodeURIComponent(author)}`;
export const keyIri = (keyId: string): string => `${BASE}key/${keyId}`;
export const postingIri = (token: string, weight: number): string =>
  `${BASE}posting/${encodeURIComponent(token)}/${weight.toFixed(1)}`;
