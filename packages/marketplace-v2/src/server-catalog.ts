import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  catalogPackageSummary,
  fetchResource,
  fetchRevalidated,
  isHttpNotFound,
  MarketplaceError,
  nodeCrypto,
  readRegularFileSync,
  RESOURCE_LIMITS,
  writeFileAtomicSync,
  parsePackageDocument,
  serverApiUrl,
  type CatalogPackage,
  type FetchOptions,
  type PackageSummary,
  type ResourceKind,
  type SearchQuery,
  type SearchResults,
  isNoAnswer,
} from '@ggen/marketplace-core';
import { EmbeddedCatalog, type CatalogSource, type Row } from './catalog-source.js';
import { fetchCatalogText } from './catalog-file.js';
import type { SparqlResult } from './read-only-sparql.js';

/** How many package documents are asked for at once while a dependency closure is walked. */
const PARALLEL_DOCUMENTS = 8;

const isNetworkFailure = (error: unknown): boolean => isNoAnswer(error) || offline(error);
const offline = (error: unknown): boolean => error instanceof MarketplaceError && error.code === 'GGEN_E_OFFLINE';

/** Where the documents of one registry server are kept between commands: `<cacheRoot>/<sha256 of its URL>`. */
export function serverCacheDir(cacheRoot: string, registry: string): string {
  return join(cacheRoot, nodeCrypto().createHash('sha256').update(registry).digest('hex').slice(0, 32));
}

/**
 * Whether an http registry is a ggen registry server (it answers `/-/v1/ping`): then it is read
 * one package document at a time and searched on the server, never downloaded whole. A static
 * http registry (404, or another answer) is read from its catalog.nq as before. When the server
 * cannot be reached, what was learnt last time holds (the cache's mark), so documents read
 * before still answer offline.
 */
export async function isRegistryServer(registry: string, options: FetchOptions, cacheDir?: string): Promise<boolean> {
  const mark = cacheDir === undefined ? undefined : join(cacheDir, 'server');
  if (options.preferOffline === true && mark !== undefined && existsSync(mark)) return true;
  try {
    const answer = JSON.parse(
      Buffer.from(await fetchResource(serverApiUrl(registry, 'ping'), { ...options, retries: 0 }, 'document')).toString(
        'utf8',
      ),
    ) as { ggen?: unknown };
    const server = answer.ggen === 'registry-server';
    if (server && mark !== undefined && !existsSync(mark)) keep(mark, 'ggen registry server\n');
    return server;
  } catch (error) {
    if (isNetworkFailure(error)) return mark !== undefined && existsSync(mark);
    // Any other answer (a static registry's 404 among them) or one that is not JSON: not a server.
    if (error instanceof SyntaxError || (error instanceof MarketplaceError && error.code === 'GGEN_E_REGISTRY_HTTP'))
      return false;
    throw error;
  }
}

/**
 * A registry server as the v2 registry reads it: a package at a time (`/-/v1/packages/<name>`,
 * each document checked by PACKAGE_DOCUMENT), a dependency closure walked document by document,
 * search answered by the server's own engine (the CLI's ranking, run there), SPARQL by its
 * read-only endpoint. Only what needs every package (allPackages) reads the whole catalog.nq.
 */
export class ServerCatalog implements CatalogSource {
  readonly #registry: string;
  readonly #options: FetchOptions;
  readonly #documents = new Map<string, Promise<CatalogPackage | undefined>>();

  readonly #cacheDir: string | undefined;

  /** `cacheDir`: where documents are kept with their ETags, revalidated each command and used offline. */
  constructor(registry: string, options: FetchOptions, cacheDir?: string) {
    this.#registry = registry;
    this.#options = options;
    this.#cacheDir = cacheDir;
  }

  async #json(path: string): Promise<unknown> {
    return parseJson(
      await fetchResource(serverApiUrl(this.#registry, path), this.#options, 'document'),
      this.#registry,
      path,
    );
  }

  /** One package's document, read once per process; undefined when the server has no such package. */
  document(name: string): Promise<CatalogPackage | undefined> {
    const key = name.toLowerCase();
    let found = this.#documents.get(key);
    if (found === undefined) {
      found = this.#revalidated(key);
      this.#documents.set(key, found);
    }
    return found;
  }

  /** A document, kept between commands; undefined when the server has no such package. */
  async #revalidated(name: string): Promise<CatalogPackage | undefined> {
    const path = `packages/${encodeURIComponent(name)}`;
    const url = serverApiUrl(this.#registry, path);
    const text = await this.kept(url, 'document');
    return text === undefined ? undefined : parsePackageDocument(parseJson(text, this.#registry, path), name, url);
  }

  /**
   * A file of the server (a package document, a package's key statements or signed lifecycle),
   * revalidated against the copy kept from an earlier command (If-None-Match: a 304 costs no
   * body), or that copy when the server cannot be reached; undefined when the server has none.
   */
  kept(url: string, kind: ResourceKind): Promise<string | undefined> {
    return keptFetch(url, kind, this.#options, this.#cacheDir);
  }

  async readPackages(names: string[]): Promise<CatalogPackage[]> {
    const found: CatalogPackage[] = [];
    for (let start = 0; start < names.length; start += PARALLEL_DOCUMENTS) {
      const batch = await Promise.all(
        names.slice(start, start + PARALLEL_DOCUMENTS).map((name) => this.document(name)),
      );
      for (const pkg of batch) if (pkg !== undefined) found.push(pkg);
    }
    return found;
  }

  async readSummaries(names: string[]): Promise<PackageSummary[]> {
    return (await this.readPackages(names)).map((pkg) => catalogPackageSummary(pkg));
  }

  /** The closure through every version's dependencies, level by level: the names the server knows. */
  async prepareDependencies(name: string): Promise<string[]> {
    const seen = new Set<string>([name.toLowerCase()]);
    const known: string[] = [];
    let level = [name.toLowerCase()];
    while (level.length > 0) {
      const packages = await this.readPackages(level);
      const next: string[] = [];
      for (const pkg of packages) {
        known.push(pkg.name);
        for (const version of pkg.versions)
          for (const dependency of Object.keys(version.dependencies)) {
            const key = dependency.toLowerCase();
            if (!seen.has(key)) {
              seen.add(key);
              next.push(key);
            }
          }
      }
      level = next;
    }
    return known;
  }

  search(query: SearchQuery): Promise<SearchResults> {
    const params = new URLSearchParams({
      q: query.text,
      limit: String(query.limit),
      offset: String(query.offset),
      sort: query.sort,
    });
    if (query.order !== undefined) params.set('order', query.order);
    for (const key of ['category', 'keyword', 'author', 'license'] as const) {
      const value = query[key];
      if (value !== undefined) params.set(key, value);
    }
    if (query.tags !== undefined && query.tags.length > 0) params.set('tags', query.tags.join(','));
    // The answer is checked where every backend's is (the adapters' SEARCH_RESULTS).
    return this.#json(`search?${params.toString()}`) as Promise<SearchResults>;
  }

  async select(query: string): Promise<Row[]> {
    const result = (await this.#json(`sparql?${new URLSearchParams({ query }).toString()}`)) as SparqlResult;
    if (result.kind !== 'select')
      throw new MarketplaceError(
        'GGEN_E_BACKEND_MALFORMED',
        `${this.#registry} answered a SELECT with ${result.kind}`,
        {
          hint: 'Report it to the registry server’s operator.',
        },
      );
    return result.rows.map((row) => Object.fromEntries(Object.entries(row).map(([name, term]) => [name, term.value])));
  }

  /** Every package: the one read that takes the whole catalog. */
  async allPackages(): Promise<CatalogPackage[]> {
    const { text } = await fetchCatalogText(this.#registry, this.#options);
    return new EmbeddedCatalog(text).allPackages();
  }
}

function parseJson(bytes: Uint8Array | string, registry: string, path: string): unknown {
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8')) as unknown;
  } catch (cause) {
    throw new MarketplaceError('GGEN_E_BACKEND_MALFORMED', `${registry} answered ${path} with invalid JSON`, {
      hint: 'Nothing was used; report it to the registry server’s operator.',
      cause,
    });
  }
}

/** Writes a file of the cache, in a directory only this user may read. */
/**
 * A registry file (a server's package document, a package's key statements or signed
 * lifecycle, an archive's .minisig) revalidated against the copy kept from an earlier command
 * (If-None-Match when the server gave an ETag: a 304 costs no body), or that copy when the
 * registry cannot be reached or --offline; undefined when the registry has none ("not there" is
 * kept too). --prefer-offline uses a kept copy without asking. No `cacheDir`: fetched each time.
 */
export async function keptFetch(
  url: string,
  kind: ResourceKind,
  options: FetchOptions,
  cacheDir: string | undefined,
): Promise<string | undefined> {
  const file =
    cacheDir === undefined
      ? undefined
      : join(cacheDir, `${nodeCrypto().createHash('sha256').update(url).digest('hex').slice(0, 32)}.json`);
  const cached = file === undefined ? undefined : readCached(file);
  if (cached !== undefined && options.preferOffline === true) return cached.absent ? undefined : cached.body;
  try {
    const fetched = await fetchRevalidated(url, { ...options, retries: 0 }, kind, cached?.etag);
    if (fetched.notModified === true) return cached?.body;
    const text = Buffer.from(fetched.bytes).toString('utf8');
    if (file !== undefined)
      keep(file, JSON.stringify({ ...(fetched.etag === undefined ? {} : { etag: fetched.etag }), body: text }));
    return text;
  } catch (error) {
    if (isHttpNotFound(error)) {
      if (file !== undefined) keep(file, JSON.stringify({ absent: true }));
      return undefined;
    }
    if (cached === undefined || !isNetworkFailure(error)) throw error;
    return cached.absent ? undefined : cached.body;
  }
}

function keep(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomicSync(file, text);
}

/** A kept file (or the word that the server had none), or undefined when there is none or it cannot be read. */
function readCached(file: string): { etag?: string; body: string; absent: boolean } | undefined {
  try {
    const kept = JSON.parse(readRegularFileSync(file, RESOURCE_LIMITS.document).toString('utf8')) as {
      etag?: unknown;
      body?: unknown;
      absent?: unknown;
    };
    if (kept.absent === true) return { body: '', absent: true };
    if (typeof kept.body !== 'string') return undefined;
    // Without an ETag (a static server that sends none) the copy is fetched again online, and used offline.
    return typeof kept.etag === 'string'
      ? { etag: kept.etag, body: kept.body, absent: false }
      : { body: kept.body, absent: false };
  } catch {
    return undefined;
  }
}
