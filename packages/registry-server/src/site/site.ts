/**
 * The registry's web face: home, search, package, scope and key pages, rendered on the server
 * from the catalog the JSON API answers from, with the same search engine and the same views as
 * the CLI. Pages carry a strict Content-Security-Policy (scripts and styles from the site only,
 * nothing inline, no frames, no remote images), so that nothing a publisher wrote can run.
 */
import { closeSync, readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  catalogPackageDetails,
  isPackageName,
  MarketplaceError,
  readArchive,
  RecentlyUsed,
  safeText,
  scopeName,
  scopeOf,
  type CatalogPackage,
  type CatalogVersion,
} from '@ggen/marketplace-core';
import {
  formatKeyId,
  parsePublicKey,
  publicKeyLine,
  V2Registry,
  type CatalogSource,
  type OwnerChain,
  type SparqlSearchEngine,
} from '@ggen/marketplace-v2';
import { httpStatusOf } from '../http-status.js';
import { openRegistryFile } from '../registry-file.js';
import { SEARCH_QUERY, searchQueryOf, type SearchParams } from '../search-params.js';
import { ICON, SCRIPT, STYLE } from './assets.js';
import { trusted } from './html.js';
import {
  errorPage,
  homePage,
  keyPage,
  packagePage,
  scopePage,
  searchPage,
  SITE_ASSETS,
  type SignatureView,
} from './pages.js';
import { renderReadme, type RenderedReadme } from './readme.js';
import { dependentsOf, KEY_ID_PATTERN, keyRecord, recentActivity, scopePackages } from './site-data.js';

export interface SiteOptions {
  /** The registry directory (archives and key statements). */
  dir: string;
  /** Runs `work` over the catalog as the server holds it now, when the requests before it are done with it. */
  use: <T>(work: (loaded: { catalog: CatalogSource; engine: SparqlSearchEngine }) => Promise<T>) => Promise<T>;
}

/** Pages run nothing inline and load nothing from elsewhere. */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** How many rendered READMEs are kept (by archive integrity); each is at most README_RENDER_LIMIT of source. */
const README_CACHE_ENTRIES = 64;
/** How many rendered package pages are kept per catalog version (a publish or a key change brings a new one). */
const PACKAGE_PAGE_CACHE_ENTRIES = 512;

const README_FILES = new Set(['readme.md', 'readme', 'readme.markdown', 'readme.txt']);
const PAGE_SIZE = 20;

/** A browser's navigation outside the API: its errors are pages, a client's are coded JSON. */
export function wantsPage(request: FastifyRequest): boolean {
  return request.headers.accept?.includes('text/html') === true && !request.url.startsWith('/-/');
}

/** An HTML page with the site's CSP. */
export function sendPage(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'public, max-age=0, must-revalidate')
    .send(body);
}

/** Errors on a page are pages: the coded error's message and hint, with its HTTP status. */
function pageErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof MarketplaceError) {
    const status = httpStatusOf(error.code);
    if (status >= 500) request.log.error({ err: error }, 'page failed');
    return sendPage(reply, errorPage(status, error.message, error.hint ?? ''), status);
  }
  const fastifyError = error as { statusCode?: number; validation?: unknown; message?: string };
  if (fastifyError.validation !== undefined)
    return sendPage(reply, errorPage(400, `The address is malformed: ${fastifyError.message ?? ''}`, ''), 400);
  request.log.error({ err: error }, 'page failed');
  return sendPage(reply, errorPage(500, 'The server failed', 'Tell its operator; see its log.'), 500);
}

function notFound(what: string, hint: string): MarketplaceError {
  return new MarketplaceError('GGEN_E_PACKAGE_NOT_FOUND', what, { hint });
}

/** The directory's key statements read beside the catalog the server holds (local files: no timeout or retries apply). */
function registryOver(dir: string, catalog: CatalogSource): V2Registry {
  return new V2Registry({ location: dir, timeoutMs: 10_000, retries: 0 }, catalog);
}

/** Registers the site's routes on the registry server, in a context of their own: their errors are pages. */
export async function registerSite(server: FastifyInstance, options: SiteOptions): Promise<void> {
  await server.register((app, _options, done) => {
    app.setErrorHandler(pageErrorHandler);
    siteRoutes(app, options);
    done();
  });
}

function siteRoutes(app: FastifyInstance, options: SiteOptions): void {
  const { dir, use } = options;
  const readmes = new RecentlyUsed<RenderedReadme | null>(README_CACHE_ENTRIES);
  // A package page is made from its catalog version alone (its key files are written with it).
  const packagePages = new WeakMap<CatalogSource, RecentlyUsed<string>>();

  /** A version's README from its archive (the whole file, rendered once per archive), or undefined. */
  const archiveReadme = async (version: CatalogVersion): Promise<RenderedReadme | undefined> => {
    if (version.archive === undefined) return undefined;
    const key = version.integrity ?? version.archive;
    const kept = readmes.get(key);
    if (kept !== undefined) return kept ?? undefined;
    const fd = openRegistryFile(dir, version.archive);
    if (fd === undefined) return undefined;
    let bytes: Buffer;
    try {
      bytes = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
    const entries = await readArchive(bytes, version.archive);
    const file = entries.find(
      (entry) => entry.type === 'file' && !entry.path.includes('/') && README_FILES.has(entry.path.toLowerCase()),
    );
    const rendered = file?.type === 'file' ? renderReadme(file.content.toString('utf8')) : null;
    readmes.set(key, rendered);
    return rendered ?? undefined;
  };

  const chainOf = async (
    registry: V2Registry,
    name: string,
  ): Promise<{ owners: string[]; problem?: string; chain?: OwnerChain }> => {
    try {
      const chain = await registry.ownerChain(name);
      return chain === undefined ? { owners: [] } : { owners: chain.owners.map(publicKeyLine).sort(), chain };
    } catch (error) {
      return { owners: [], problem: (error as Error).message };
    }
  };

  const signatureOf = async (catalog: CatalogSource, pkg: CatalogPackage, version: CatalogVersion) => {
    const registry = registryOver(dir, catalog);
    const own = await chainOf(registry, pkg.name);
    const scope = scopeOf(pkg.name);
    const scopeChain = scope === undefined ? undefined : await chainOf(registry, scope);
    // The rule installs apply: a pack in an owned scope must descend from the scope's owners.
    const problem =
      own.problem ??
      scopeChain?.problem ??
      (await registry.authority(pkg.name).then(
        () => undefined,
        (error: unknown) => (error as Error).message,
      ));
    const signedBy = version.signedBy;
    const view: SignatureView = {
      owners: own.owners,
      ...(signedBy === undefined ? {} : { keyId: signedBy }),
      ...(problem === undefined ? {} : { chainProblem: problem }),
      ...(scope === undefined || scopeChain === undefined ? {} : { scope: { name: scope, owners: scopeChain.owners } }),
    };
    // The whole key behind the label: the owner key of that id the catalog records (the server checked the signature with it).
    const key = (pkg.ownerKeys ?? []).find(
      (line) => signedBy !== undefined && formatKeyId(parsePublicKey(line).keyId) === signedBy,
    );
    if (key !== undefined) view.publicKey = key;
    return view;
  };

  app.get(`${SITE_ASSETS}/style.css`, (_request, reply) =>
    reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLE),
  );
  app.get(`${SITE_ASSETS}/icon.svg`, (_request, reply) =>
    reply.header('content-type', 'image/svg+xml').header('cache-control', 'public, max-age=86400').send(ICON),
  );
  app.get(`${SITE_ASSETS}/app.js`, (_request, reply) =>
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(SCRIPT),
  );

  // The home page's lists, made once per catalog (a publish brings a new one).
  const homes = new WeakMap<CatalogSource, Promise<string>>();
  app.get('/', async (_request, reply) => {
    const home = await use(({ catalog, engine }) => {
      let made = homes.get(catalog);
      if (made === undefined) {
        made = (async () => {
          // One after the other: each prepares the catalog for its own query.
          const popular = await engine.search({ text: '', limit: 10, offset: 0, sort: 'downloads', order: 'desc' });
          const activity = await recentActivity(catalog, 10);
          return homePage({ total: popular.total, popular: popular.packages, ...activity });
        })();
        homes.set(catalog, made);
        made.catch(() => homes.delete(catalog));
      }
      return made;
    });
    return sendPage(reply, home);
  });

  app.get<{ Querystring: SearchParams }>(
    '/search',
    {
      schema: {
        querystring: {
          ...SEARCH_QUERY,
          properties: {
            ...SEARCH_QUERY.properties,
            limit: { ...SEARCH_QUERY.properties.limit, default: PAGE_SIZE },
            page: { type: 'integer', minimum: 1, maximum: 5000, default: 1 },
          },
        },
      },
    },
    async (request, reply) => {
      const page = Number(request.query.page);
      const base = searchQueryOf(request.query);
      const query = { ...base, offset: (page - 1) * base.limit };
      const results = await use(({ engine }) => engine.search(query));
      return sendPage(reply, searchPage({ query, page }, results));
    },
  );

  app.get<{ Params: { '*': string }; Querystring: { version?: string } }>(
    '/package/*',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { version: { type: 'string', maxLength: 256 } },
        },
      },
    },
    async (request, reply) => {
      const name = decodeURIComponent(request.params['*']);
      if (!isPackageName(name))
        throw notFound(`'${safeText(name)}' is not a package name`, 'Names are like hello or @scope/hello.');
      const key = `${name}\n${request.query.version ?? ''}`;
      const found = await use(async ({ catalog }) => {
        let pages = packagePages.get(catalog);
        if (pages === undefined) {
          pages = new RecentlyUsed(PACKAGE_PAGE_CACHE_ENTRIES);
          packagePages.set(catalog, pages);
        }
        const html = pages.get(key);
        if (html !== undefined) return { pages, html, made: true as const };
        const [pkg] = await catalog.readPackages([name]);
        if (pkg === undefined) throw notFound(`There is no pack named ${name}`, 'Search for it from the box above.');
        const details = catalogPackageDetails(pkg, request.query.version);
        const version = pkg.versions.find((entry) => entry.version === details?.version);
        if (details === null || version === undefined)
          throw notFound(
            `${name} has no version ${safeText(request.query.version ?? '')}`,
            `Its versions: ${pkg.versions.map((entry) => entry.version).join(', ')}.`,
          );
        return {
          pages,
          catalog,
          pkg,
          details,
          version,
          dependents: await dependentsOf(catalog, name),
          made: false as const,
        };
      });
      if (found.made) return sendPage(reply, found.html);
      // Key statements and the archive are files of the registry: read after the catalog's turn.
      const { details, dependents } = found;
      const signature = await signatureOf(found.catalog, found.pkg, found.version);
      const readme = await archiveReadme(found.version);
      const fallback = readme === undefined && details.readme !== undefined ? renderReadme(details.readme) : undefined;
      const shown = readme ?? fallback;
      const html = packagePage({
        details,
        dependents,
        signature,
        ...(shown === undefined
          ? {}
          : { readme: { html: trusted(shown.html), truncated: shown.truncated, excerpt: fallback !== undefined } }),
      });
      found.pages.set(key, html);
      return sendPage(reply, html);
    },
  );

  app.get<{ Params: { scope: string } }>('/scope/:scope', async (request, reply) => {
    const scope = scopeName(request.params.scope);
    if (scope === undefined)
      throw notFound(`'${safeText(request.params.scope)}' is not a scope`, 'Scopes are like @acme.');
    const { catalog, packages } = await use(async ({ catalog }) => ({
      catalog,
      packages: await scopePackages(catalog, scope),
    }));
    const chain = await chainOf(registryOver(dir, catalog), scope);
    if (packages.items.length === 0 && chain.chain === undefined && chain.problem === undefined)
      throw notFound(`There is no scope ${scope} here`, 'No pack is published in it and no one claimed it.');
    return sendPage(reply, scopePage(scope, chain.owners, chain.problem, packages));
  });

  app.get<{ Params: { keyId: string } }>('/key/:keyId', async (request, reply) => {
    const keyId = request.params.keyId.toUpperCase();
    if (!KEY_ID_PATTERN.test(keyId))
      throw notFound(`'${safeText(request.params.keyId)}' is not a key id`, 'A key id is 16 hexadecimal digits.');
    const record = await use(({ catalog }) => keyRecord(catalog, keyId));
    if (record.publicKeys.length === 0 && record.owns.items.length === 0 && record.signed.items.length === 0)
      throw notFound(`No key ${keyId} is known here`, 'It owns and signed nothing in this registry.');
    return sendPage(reply, keyPage(keyId, record));
  });
}
