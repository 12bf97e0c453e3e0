import { v1IndexCompanion } from '@ggen/marketplace-v1';
import { createReadStream, existsSync, fstatSync, closeSync, realpathSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import compress from '@fastify/compress';
import etag from '@fastify/etag';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  DEFAULT_ARCHIVE_LIMITS,
  isPackageName,
  MarketplaceError,
  packageDocument,
  prepareArchivePublish,
  safeText,
  scopeName,
  SERVER_API,
  type LifecycleChange,
} from '@ggen/marketplace-core';
import { changeRegistryPackage } from '@ggen/domain-adapters';
import {
  bringEndpointInStep,
  pushEndpoint,
  CATALOG_FILE,
  COMPACT_ASIDE_AT,
  CATALOG_GRAPH,
  catalogStat,
  changeRegistryKeys,
  EmbeddedCatalog,
  fetchCatalogChunks,
  JOURNAL_FILE,
  journalEntryCount,
  lookupInStore,
  openLocalStore,
  publishPrepared,
  registerCatalogLookup,
  RemoteCatalog,
  runReadOnlySparql,
  SERVICE_LOADED_PACKAGES,
  ShardedCatalog,
  SparqlSearchEngine,
  streamCatalog,
  submittedSigner,
  type CatalogSource,
  type EndpointFollowOptions,
  type EndpointTarget,
} from '@ggen/marketplace-v2';
import { ChangesFeed } from './changes-feed.js';
import { openRegistryFile } from './registry-file.js';
import { errorPage } from './site/pages.js';
import { registerSite, sendPage, wantsPage } from './site/site.js';
import { SEARCH_QUERY, searchQueryOf, type SearchParams } from './search-params.js';
import { httpStatusOf } from './http-status.js';
import { ServerMetrics } from './server-metrics.js';
import { mayChange, TokenStore, type Identity } from './tokens.js';

export interface RegistryServerOptions {
  /** The registry directory served (the embedded default store: catalog.nq, archives, keys). */
  dir: string;
  /** Where clients reach the server, when a proxy stands before it (absolute archive URLs use it). */
  publicUrl?: string;
  /** The server's logger (pino): JSON lines with request ids, never a token. */
  logger: FastifyBaseLogger;
  /** Requests per minute per client address (writes: a tenth of it). */
  rateLimit?: number;
  /** How long a read-only SPARQL query may run. */
  sparqlTimeoutMs?: number;
  /** Where the catalog's local store is kept (the CLI's `<cache_dir>/v2-store`). */
  storeRoot: string;
  /**
   * The v2 catalog on a SPARQL 1.1 endpoint instead of the local store: reads (documents, search,
   * the site, SPARQL) are its queries, and the endpoint follows the directory (endpoint-follow.ts).
   * `stateDir` keeps a whole push's progress.
   */
  remote?: { endpoint: EndpointTarget; stateDir: string };
  /**
   * Compacts the registry in another process (`registry compact`, which holds the registry's lock
   * only to put its files in place), started once the journal holds `compactAt` entries
   * (COMPACT_ASIDE_AT), so that no change waits for the compaction the full journal forces.
   * Stopped (`signal`) when the server closes. Without it, that change compacts.
   */
  compactAside?: (signal: AbortSignal) => Promise<void>;
  compactAt?: number;
}

/** The registry files clients and mirrors read as they are: the v1 index, the v2 catalog, archives, keys, signed lifecycles. */
const STATIC_FILES: { pattern: RegExp; type: string; immutable: boolean }[] = [
  { pattern: /^index\.json$/, type: 'application/json', immutable: false },
  { pattern: /^catalog\.nq$/, type: 'application/n-quads', immutable: false },
  { pattern: /^archives\/(@[a-z0-9._-]+\/)?[A-Za-z0-9._-]+\.tgz$/, type: 'application/gzip', immutable: true },
  {
    pattern: /^archives\/(@[a-z0-9._-]+\/)?[A-Za-z0-9._-]+\.tgz\.minisig$/,
    type: 'text/plain; charset=utf-8',
    immutable: true,
  },
  {
    pattern: /^(keys|lifecycle)\/(@[a-z0-9._-]+\/)?@?[A-Za-z0-9._-]+\.json$/,
    type: 'application/json',
    immutable: false,
  },
];

/** The longest archive a publish carries, as base64. */
const ARCHIVE_BASE64_LENGTH = Math.ceil(DEFAULT_ARCHIVE_LIMITS.maxCompressedBytes / 3) * 4;

/** What a signed change sends besides itself: the signer's whole public key and the statements it signed. */
const PUBLIC_KEY = { type: 'string', maxLength: 1024 } as const;
const STATEMENT = { type: 'string', maxLength: 4096 } as const;
const SIGNED_FIELDS = { publicKey: PUBLIC_KEY, statements: { type: 'array', maxItems: 4, items: STATEMENT } } as const;

/** A publish's body: the archive (base64) and, signed, its `.minisig`, the public key and owner claims. */
const PUBLISH_BODY = {
  type: 'object',
  required: ['archive'],
  additionalProperties: false,
  properties: {
    archive: { type: 'string', maxLength: ARCHIVE_BASE64_LENGTH },
    signature: STATEMENT,
    ...SIGNED_FIELDS,
  },
} as const;

const LIFECYCLE_BODY = {
  type: 'object',
  required: ['change'],
  additionalProperties: false,
  properties: {
    change: {
      type: 'object',
      required: ['action'],
      additionalProperties: false,
      properties: {
        action: { enum: ['yank', 'deprecate', 'dist-tag-add', 'dist-tag-rm'] },
        version: { type: 'string', maxLength: 256 },
        undo: { type: 'boolean' },
        range: { type: 'string', maxLength: 256 },
        message: { type: 'string', maxLength: 1024 },
        tag: { type: 'string', maxLength: 64 },
      },
    },
    ...SIGNED_FIELDS,
  },
} as const;

const KEYS_BODY = {
  type: 'object',
  required: ['action', 'key', 'publicKey', 'statements'],
  additionalProperties: false,
  properties: {
    action: { enum: ['add', 'revoke'] },
    key: PUBLIC_KEY,
    publicKey: PUBLIC_KEY,
    statements: { type: 'array', minItems: 1, maxItems: 1, items: STATEMENT },
  },
} as const;

interface LoadedCatalog {
  catalog: CatalogSource;
  engine: SparqlSearchEngine;
}

/**
 * The registry's v2 catalog as the server reads it: through the local store the CLI uses (the
 * catalog cut into shards on disk, synced again whenever catalog.nq changed: a publish here, or
 * through another instance over the same directory), so that a request loads only what answers
 * it and the server's memory does not grow with the registry. What stays loaded between
 * requests is bounded (SERVICE_LOADED_PACKAGES); requests that read the catalog take turns
 * (`use`), as one request's preparation must still be loaded when its query runs.
 */
class CatalogReader {
  readonly #dir: string;
  readonly #storeRoot: string;
  readonly #endpoint: EndpointCatalog | undefined;
  #current: Promise<LoadedCatalog> | undefined;
  #stamp = '';
  #turn: Promise<unknown> = Promise.resolve();

  constructor(dir: string, storeRoot: string, endpoint?: EndpointCatalog) {
    this.#dir = dir;
    this.#storeRoot = storeRoot;
    this.#endpoint = endpoint;
  }

  /** After a change: the endpoint (when the catalog is on one) takes it. */
  async follow(): Promise<void> {
    await this.#endpoint?.follow(true);
  }

  /** catalog.nq's and its journal's stat: another instance's change moves it too. */
  stamp(): string {
    return catalogStat(this.#dir)?.key ?? 'none';
  }

  current(): Promise<LoadedCatalog> {
    const stamp = this.stamp();
    if (this.#current === undefined || stamp !== this.#stamp) {
      this.#stamp = stamp;
      const loading = (async (): Promise<LoadedCatalog> => {
        if (stamp === 'none') {
          const empty = new EmbeddedCatalog('');
          return { catalog: empty, engine: new SparqlSearchEngine(empty) };
        }
        if (this.#endpoint !== undefined) {
          // The directory changed: the endpoint is brought in step before it is read. While it is
          // behind (another writer holds the registry, a push runs), it is read as it is, and the
          // next request looks again.
          const { loaded, behind } = await this.#endpoint.load();
          if (behind) this.#stamp = '';
          return loaded;
        }
        const files = await openLocalStore({
          registry: this.#dir,
          storeRoot: this.#storeRoot,
          timeoutMs: 600_000,
          retries: 0,
        });
        // Synced, yet not readable: never served as an empty registry.
        if (files === undefined)
          throw coded(
            'GGEN_E_INDEX_INVALID',
            `The catalog store of ${this.#dir} under ${this.#storeRoot} cannot be read`,
            'Run ggen marketplace sync --force --registry <dir> as the user the server runs as, then try again.',
          );
        const catalog = new ShardedCatalog(files, { maxLoadedPackages: SERVICE_LOADED_PACKAGES });
        return { catalog, engine: new SparqlSearchEngine(catalog) };
      })();
      this.#current = loading;
      // A failed load is tried again by the next request, not kept (unless a newer one replaced it).
      loading.catch(() => {
        if (this.#current === loading) this.#current = undefined;
      });
    }
    return this.#current;
  }

  /**
   * Runs `work` over the current catalog when the requests before it are done with it (an
   * endpoint answers requests side by side: they do not wait).
   */
  use<T>(work: (loaded: LoadedCatalog) => Promise<T>): Promise<T> {
    if (this.#endpoint !== undefined) return this.current().then(work);
    const run = this.#turn.then(async () => work(await this.current()));
    this.#turn = run.catch(() => undefined);
    return run;
  }
}

/**
 * The catalog on a SPARQL endpoint that follows the directory (endpoint-follow.ts), as the server
 * changes and reads it: after a change, the endpoint takes it (waiting for the registry's lock);
 * a read that found the directory changed brings it in step without waiting. A whole push, when
 * due (a compaction since), runs aside, one at a time, and is stopped when the server closes.
 */
class EndpointCatalog {
  readonly #options: EndpointFollowOptions;
  readonly #logger: FastifyBaseLogger;
  readonly #closing = new AbortController();
  #pushing: Promise<void> | undefined;
  #loaded: LoadedCatalog | undefined;

  constructor(dir: string, remote: NonNullable<RegistryServerOptions['remote']>, logger: FastifyBaseLogger) {
    this.#options = {
      dir,
      remote: remote.endpoint,
      stateDir: remote.stateDir,
      fetch: { timeoutMs: remote.endpoint.timeoutMs, retries: 0 },
    };
    this.#logger = logger;
  }

  /** At start: pushed whole when due (after another instance's push), then in step. */
  async start(): Promise<void> {
    await pushEndpoint({ ...this.#options, waitForPush: true, signal: this.#closing.signal });
  }

  /** Brings the endpoint in step (a push started aside when due); says whether it is still behind. */
  async follow(wait: boolean): Promise<boolean> {
    const step = await bringEndpointInStep({ ...this.#options, wait });
    if (step.pushDue === true) this.#pushAside();
    return step.behind === true || step.pushDue === true;
  }

  /** The catalog to read: a new one (its generation and vocabulary read again), or, behind, the last one as it is. */
  async load(): Promise<{ loaded: LoadedCatalog; behind: boolean }> {
    const behind = await this.follow(false);
    if (behind && this.#loaded !== undefined) return { loaded: this.#loaded, behind };
    const catalog = new RemoteCatalog(this.#options.remote);
    this.#loaded = { catalog, engine: new SparqlSearchEngine(catalog) };
    return { loaded: this.#loaded, behind };
  }

  close(): void {
    this.#closing.abort();
  }

  #pushAside(): void {
    if (this.#pushing !== undefined) return;
    this.#logger.info('pushing the catalog to the SPARQL endpoint aside');
    this.#pushing = pushEndpoint({ ...this.#options, signal: this.#closing.signal })
      .then(
        (step) => {
          this.#logger.info({ step }, 'pushed the catalog to the SPARQL endpoint');
        },
        (error: unknown) => {
          if (!this.#closing.signal.aborted)
            this.#logger.error({ err: error }, 'pushing the catalog to the SPARQL endpoint failed');
        },
      )
      .finally(() => {
        this.#pushing = undefined;
      });
  }
}

/**
 * The read-only SPARQL endpoint loads the whole catalog into a worker per query: past this size
 * (about 25,000 packs) it refuses, instead of holding gigabytes per request.
 */
const SPARQL_CATALOG_BYTES = 256 * 2 ** 20;

function coded(
  code: ConstructorParameters<typeof MarketplaceError>[0],
  message: string,
  hint: string,
): MarketplaceError {
  return new MarketplaceError(code, message, { hint });
}

/**
 * The registry server: a registry directory over HTTP. Reads (per-package documents, search,
 * archives, the change feed, the v1 index and v2 catalog as files) are open and cacheable;
 * writes (publish, lifecycle changes) need a token and go through the same code as a publish to
 * the directory, so every rule (names, owners by the whole key, signatures, immutable versions,
 * limits) is decided once.
 */
export async function createRegistryServer(options: RegistryServerOptions): Promise<FastifyInstance> {
  const dir = realpathSync(options.dir);
  const tokens = new TokenStore(dir);
  const feed = new ChangesFeed(dir);
  const endpoint = options.remote === undefined ? undefined : new EndpointCatalog(dir, options.remote, options.logger);
  const catalogs = new CatalogReader(dir, options.storeRoot, endpoint);
  // Publishes, lifecycle and key changes check their package against the local store, not a
  // scan of the catalog: the rules' one implementation (names by their look-alike index), kept
  // in step with the journal alone. With the catalog on an endpoint, the store is kept for them.
  const stores = options.remote === undefined ? catalogs : new CatalogReader(dir, options.storeRoot);
  // A catalog on an endpoint is brought in step before the server listens (pushed whole when the
  // endpoint holds another): an endpoint that cannot be reached stops the start, said at once. The
  // store the changes are checked against is cut then too, not by the first publish.
  if (endpoint !== undefined) {
    await endpoint.start();
    await Promise.all([catalogs.current(), stores.current()]);
  }
  const unregister = registerCatalogLookup(dir, (name) =>
    stores.use(async ({ catalog }) => {
      if (catalog instanceof ShardedCatalog) return lookupInStore(catalog, name);
      // No catalog.nq yet: the empty catalog.
      const [pkg] = await catalog.readPackages([name]);
      const names = (await catalog.allPackages()).map((entry) => entry.name);
      return pkg === undefined ? { names } : { pkg, names };
    }),
  );
  const metrics = new ServerMetrics();
  const perMinute = options.rateLimit ?? 1200;
  // Writes (publish, lifecycle, keys) get a tenth of a client's requests.
  const writeLimit = { max: Math.max(1, Math.floor(perMinute / 10)), timeWindow: '1 minute' };
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => `req-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    return503OnClosing: true,
  });
  await app.register(helmet, { contentSecurityPolicy: { directives: { defaultSrc: ["'none'"] } } });
  await app.register(etag);
  await app.register(compress, { threshold: 1024 });
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: '1 minute',
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: {
        code: 'GGEN_E_RATE_LIMITED',
        message: `Too many requests: at most ${context.max} a minute`,
        hint: `Try again in ${Math.ceil(context.ttl / 1000)} s.`,
      },
    }),
  });

  app.addHook('onResponse', (request, reply, done) => {
    metrics.observe(request.routeOptions.url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler((error: unknown, request, reply) => {
    const fastifyError = error as { statusCode?: number; code?: string; validation?: unknown; message?: string };
    if (error instanceof MarketplaceError) {
      const status = httpStatusOf(error.code);
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      // Said of the registry as clients know it, never of the server's own directory.
      const shown = (text: string): string => text.replaceAll(dir, publicBase(request));
      if (wantsPage(request))
        return sendPage(reply, errorPage(status, shown(error.message), shown(error.hint ?? '')), status);
      return reply
        .status(status)
        .send({ error: { code: error.code, message: shown(error.message), hint: shown(error.hint ?? '') } });
    }
    if (fastifyError.statusCode === 429) return reply.status(429).send(error);
    if (fastifyError.validation !== undefined)
      return reply.status(400).send({
        error: {
          code: 'GGEN_E_USAGE',
          message: `The request is malformed: ${fastifyError.message ?? ''}`,
          hint: 'See docs/registry-server.md for the API.',
        },
      });
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.status(413).send({
        error: {
          code: 'GGEN_E_ARCHIVE_TOO_LARGE',
          message: 'The request body is larger than this server takes',
          hint: `An archive is at most ${DEFAULT_ARCHIVE_LIMITS.maxCompressedBytes} bytes.`,
        },
      });
    if (fastifyError.statusCode !== undefined && fastifyError.statusCode < 500)
      return reply.status(fastifyError.statusCode).send({
        error: { code: 'GGEN_E_USAGE', message: fastifyError.message ?? 'Bad request', hint: '' },
      });
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({
      error: { code: 'GGEN_E_INTERNAL', message: 'The server failed', hint: 'Tell its operator; see its log.' },
    });
  });
  app.setNotFoundHandler((request, reply) => {
    const message = `Nothing at ${safeText(request.url)}`;
    // A browser gets a page; a client, the coded error.
    if (wantsPage(request))
      return sendPage(reply, errorPage(404, message, 'Search for the pack from the box above.'), 404);
    return reply.status(404).send({ error: { code: 'GGEN_E_PACKAGE_NOT_FOUND', message, hint: '' } });
  });

  /** Who a request comes from (its bearer token), or the 401 that refuses it. */
  const authenticate = (request: FastifyRequest, missing = 'This change needs a token'): Identity => {
    const header = request.headers.authorization;
    if (header === undefined || !/^Bearer \S+$/.test(header))
      throw coded(
        'GGEN_E_AUTH_REQUIRED',
        missing,
        'Log in first: ggen marketplace login <registry URL> (or set GGEN_TOKEN).',
      );
    const identity = tokens.identify(header.slice('Bearer '.length));
    if (identity === undefined)
      throw coded(
        'GGEN_E_AUTH_REQUIRED',
        'The token is unknown, expired or revoked',
        'Ask the registry operator for a new token, then ggen marketplace login again.',
      );
    return identity;
  };

  /** That identity may change `name`, or the 403 that refuses it. */
  const permit = (identity: Identity, name: string): Identity => {
    if (!mayChange(identity, name))
      throw coded(
        'GGEN_E_FORBIDDEN',
        `Token ${identity.id} (${identity.scope}${identity.packages === undefined ? '' : `: ${identity.packages.join(', ')}`}) may not change ${name}`,
        'Use a token whose scope covers this package (publish or admin, for it or its scope).',
      );
    return identity;
  };

  const authorize = (request: FastifyRequest, name: string): Identity => permit(authenticate(request), name);

  const packageName = (raw: string): string => {
    const name = decodeURIComponent(raw);
    if (!isPackageName(name))
      throw coded('GGEN_E_USAGE', `'${safeText(name)}' is not a package name`, 'Names are like hello or @scope/hello.');
    return name;
  };

  /**
   * After a change is in the directory: the endpoint takes it before the answer (a publish through
   * one instance is then seen through every other), unless a whole push is due (a compaction
   * since), which is started aside. The change stands if the endpoint fails: the next read brings
   * it in step, and answers the endpoint's error until it can.
   */
  const endpointFollows = async (request: FastifyRequest): Promise<void> => {
    try {
      await catalogs.follow();
    } catch (error) {
      request.log.warn({ err: error }, 'the change is in the registry; the SPARQL endpoint has not taken it yet');
    }
  };

  // One compaction aside at a time, started by the change that brings the journal to compactAt.
  let compaction: Promise<void> | undefined;
  const closing = new AbortController();
  const compactIfDue = (request: FastifyRequest): void => {
    const { compactAside } = options;
    if (compactAside === undefined || compaction !== undefined) return;
    const entries = journalEntryCount(dir);
    if (entries < (options.compactAt ?? COMPACT_ASIDE_AT)) return;
    request.log.info({ entries }, 'compacting the catalog aside');
    compaction = compactAside(closing.signal)
      .then(
        () => {
          request.log.info({ entries }, 'compacted the catalog aside');
        },
        (error: unknown) => {
          if (!closing.signal.aborted) request.log.error({ err: error }, 'the compaction aside failed');
        },
      )
      .finally(() => {
        compaction = undefined;
      });
  };

  const publicBase = (request: FastifyRequest): string =>
    (options.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');

  // What tells a client that this http registry is a ggen registry server (and which API it speaks).
  app.get(`/${SERVER_API}/ping`, () => ({ ggen: 'registry-server', api: 1 }));

  app.get('/healthz', async () => {
    const { catalog } = await catalogs.current();
    // A catalog on an endpoint: healthy while the endpoint answers (a proxy takes an instance out otherwise).
    if (catalog instanceof RemoteCatalog)
      await catalog.select(`SELECT ?s WHERE { GRAPH <${CATALOG_GRAPH}> { ?s ?p ?o } } LIMIT 1`);
    return { status: 'ok' };
  });

  app.get('/metrics', (_request, reply) =>
    reply.header('content-type', 'text/plain; version=0.0.4').send(metrics.text()),
  );

  app.get(`/${SERVER_API}/whoami`, (request) => authenticate(request, 'No token was sent'));

  app.get<{ Params: { '*': string } }>(`/${SERVER_API}/packages/*`, async (request, reply) => {
    const name = packageName(request.params['*']);
    const [pkg] = await catalogs.use(({ catalog }) => catalog.readPackages([name]));
    if (pkg === undefined)
      throw coded('GGEN_E_PACKAGE_NOT_FOUND', `Package '${safeText(name)}' is not in this registry`, 'Check the name.');
    return reply
      .header('cache-control', 'public, max-age=0, must-revalidate')
      .send(packageDocument(pkg, publicBase(request)));
  });

  app.get<{ Querystring: SearchParams }>(
    `/${SERVER_API}/search`,
    { schema: { querystring: SEARCH_QUERY } },
    async (request, reply) => {
      const query = searchQueryOf(request.query);
      const results = await catalogs.use(({ engine }) => engine.search(query));
      return reply.header('cache-control', 'public, max-age=0, must-revalidate').send(results);
    },
  );

  app.get<{ Querystring: { since?: number } }>(
    `/${SERVER_API}/changes`,
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { since: { type: 'integer', minimum: 0, default: 0 } },
        },
      },
    },
    (request) => feed.read(request.query.since ?? 0),
  );

  app.get<{ Querystring: { query?: string } }>(
    `/${SERVER_API}/sparql`,
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['query'],
          properties: { query: { type: 'string', maxLength: 64 * 1024 } },
        },
      },
    },
    async (request) => {
      // A catalog on an endpoint answers there, scoped to the catalog graph, at any size.
      if (options.remote !== undefined)
        return catalogs.use(({ catalog }) =>
          catalog instanceof RemoteCatalog
            ? catalog.runReadOnly(request.query.query ?? '')
            : runReadOnlySparql('', request.query.query ?? '', options.sparqlTimeoutMs ?? 10_000),
        );
      const size = catalogStat(dir)?.size ?? 0;
      if (size > SPARQL_CATALOG_BYTES)
        throw coded(
          'GGEN_E_BACKEND_UNAVAILABLE',
          `This registry's catalog (${Math.round(size / 2 ** 20)} MiB) is larger than the embedded SPARQL endpoint takes (${SPARQL_CATALOG_BYTES / 2 ** 20} MiB)`,
          'Search with /-/v1/search and read packages with /-/v1/packages/<name>; for SPARQL over a registry this size, push its catalog to a SPARQL server (ggen marketplace registry push) and query that.',
        );
      const text = size === 0 ? '' : (await fetchCatalogChunks(dir, { timeoutMs: 60_000, retries: 0 })).chunks.join('');
      return runReadOnlySparql(text, request.query.query ?? '', options.sparqlTimeoutMs ?? 10_000);
    },
  );

  app.post<{ Body: { archive: string; signature?: string; publicKey?: string; statements?: string[] } }>(
    `/${SERVER_API}/publish`,
    {
      bodyLimit: ARCHIVE_BASE64_LENGTH + 64 * 1024,
      schema: { body: PUBLISH_BODY },
      config: { rateLimit: writeLimit },
    },
    async (request, reply) => {
      // Who publishes is known before the archive is opened (a stranger's upload is never
      // unpacked); which package, only from inside it.
      const publisher = authenticate(request);
      if (publisher.scope === 'read') permit(publisher, 'any package');
      const bytes = Buffer.from(request.body.archive, 'base64');
      const prepared = await prepareArchivePublish(bytes, 'the uploaded archive');
      const identity = permit(publisher, prepared.manifest.name);
      const { publicKey, signature, statements } = request.body;
      if ((signature === undefined) !== (publicKey === undefined))
        throw coded(
          'GGEN_E_SIGNATURE_MALFORMED',
          'A signed publish sends both the signature and the public key',
          'Publish with ggen marketplace publish --sign --key <key>.',
        );
      const signer =
        publicKey === undefined
          ? undefined
          : submittedSigner({
              publicKey,
              ...(signature === undefined ? {} : { archive: signature }),
              ...(statements === undefined ? {} : { statements }),
            });
      // A registry directory that still serves index.json gets the version there too (dual writes).
      const result = await publishPrepared(prepared, {
        registry: dir,
        companion: v1IndexCompanion,
        ...(signer === undefined ? {} : { signer }),
      });
      await endpointFollows(request);
      await feed.append({ name: result.name, version: result.version, action: 'publish' });
      compactIfDue(request);
      request.log.info(
        { package: result.name, version: result.version, token: identity.id, signedBy: result.signature?.keyId },
        'published',
      );
      return reply.status(201).send({ ...result, registry: publicBase(request) });
    },
  );

  app.post<{
    Params: { '*': string };
    Body: { change: Record<string, unknown>; publicKey?: string; statements?: string[] };
  }>(
    `/${SERVER_API}/lifecycle/*`,
    {
      schema: { body: LIFECYCLE_BODY },
      config: { rateLimit: writeLimit },
    },
    async (request) => {
      const name = packageName(request.params['*']);
      const identity = authorize(request, name);
      const change = lifecycleChange(request.body.change);
      const { publicKey, statements } = request.body;
      const signer =
        publicKey === undefined
          ? undefined
          : submittedSigner({ publicKey, ...(statements === undefined ? {} : { statements }) });
      const result = await changeRegistryPackage({
        registry: dir,
        name,
        change,
        ...(signer === undefined ? {} : { signer }),
      });
      await endpointFollows(request);
      await feed.append({
        name,
        action: change.action,
        ...('version' in change ? { version: change.version } : {}),
      });
      compactIfDue(request);
      request.log.info({ package: name, action: change.action, token: identity.id }, 'lifecycle change');
      return { ...result, registry: publicBase(request) };
    },
  );

  app.post<{
    Params: { '*': string };
    Body: { action: 'add' | 'revoke'; key: string; publicKey: string; statements: string[] };
  }>(
    `/${SERVER_API}/keys/*`,
    {
      schema: { body: KEYS_BODY },
      config: { rateLimit: writeLimit },
    },
    async (request) => {
      const name = decodeURIComponent(request.params['*']);
      if (!isPackageName(name) && scopeName(name) === undefined)
        throw coded('GGEN_E_USAGE', `'${safeText(name)}' is not a package or scope name`, 'e.g. hello or @acme.');
      const identity = authorize(request, name);
      const { action, key, publicKey, statements } = request.body;
      const result = await changeRegistryKeys({
        registry: dir,
        name,
        action,
        key,
        signer: submittedSigner({ publicKey, statements }),
      });
      await endpointFollows(request);
      await feed.append({ name, action: action === 'add' ? 'keys-add' : 'keys-revoke' });
      compactIfDue(request);
      request.log.info({ package: name, action: `keys ${action}`, token: identity.id }, 'key statement');
      return result;
    },
  );

  await registerSite(app, { dir, use: (work) => catalogs.use(work) });

  // The registry's own files, for old clients and mirrors: only the kinds above, only regular files inside the directory.
  app.get<{ Params: { '*': string } }>('/*', (request, reply) => serveFile(dir, request.params['*'], request, reply));
  app.addHook('onClose', (_instance, done) => {
    unregister();
    // A compaction or a push aside is stopped, not waited for: neither is in place until it finishes.
    closing.abort();
    endpoint?.close();
    done();
  });

  return app;
}

function lifecycleChange(body: Record<string, unknown>): LifecycleChange {
  const text = (field: string): string => {
    const value = body[field];
    if (typeof value !== 'string')
      throw coded('GGEN_E_USAGE', `The change lacks '${field}'`, 'See docs/registry-server.md for the API.');
    return value;
  };
  switch (body.action) {
    case 'yank':
      return { action: 'yank', version: text('version'), undo: body.undo === true };
    case 'deprecate':
      return { action: 'deprecate', range: text('range'), message: text('message') };
    case 'dist-tag-add':
      return { action: 'dist-tag-add', version: text('version'), tag: text('tag') };
    default:
      return { action: 'dist-tag-rm', tag: text('tag') };
  }
}

function serveMergedCatalog(dir: string, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const stamp = catalogStat(dir)?.key ?? 'none';
  const tag = `W/"m-${createHash('sha256').update(stamp).digest('hex').slice(0, 24)}"`;
  reply
    .header('etag', tag)
    .header('content-type', 'application/n-quads')
    .header('cache-control', 'public, max-age=0, must-revalidate');
  if (request.headers['if-none-match'] === tag) return reply.status(304).send();
  const body = new PassThrough();
  streamCatalog(dir, { timeoutMs: 60_000, retries: 0 }, async (chunk) => {
    if (!body.write(chunk)) await once(body, 'drain');
  }).then(
    () => body.end(),
    (error: unknown) => {
      request.log.error({ err: error }, 'merging the catalog failed');
      body.destroy(error as Error);
    },
  );
  return reply.send(body);
}

function serveFile(dir: string, path: string, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const kind = STATIC_FILES.find((entry) => entry.pattern.test(path));
  const notHere = (): never => {
    throw coded('GGEN_E_PACKAGE_NOT_FOUND', `Nothing at /${safeText(path)}`, 'Check the path.');
  };
  if (kind === undefined) notHere();
  // With a journal, catalog.nq as clients know it is the merged catalog (mergeCatalog), streamed.
  if (path === CATALOG_FILE && existsSync(join(dir, JOURNAL_FILE))) return serveMergedCatalog(dir, request, reply);
  const fd = openRegistryFile(dir, path);
  if (fd === undefined) return notHere();
  const stats = fstatSync(fd);
  const tag = `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
  reply
    .header('etag', tag)
    .header('content-type', kind?.type ?? 'application/octet-stream')
    .header(
      'cache-control',
      kind?.immutable === true ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate',
    );
  if (request.headers['if-none-match'] === tag) {
    closeSync(fd);
    return reply.status(304).send();
  }
  reply.header('content-length', stats.size);
  return reply.send(createReadStream('', { fd, autoClose: true }));
}
