import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  MarketplaceError,
  nodeCrypto,
  writeFileAtomic,
  type FetchOptions,
  networkFailure,
  isNoAnswer,
} from '@ggen/marketplace-core';
import { streamCatalog, type CatalogSnapshot } from './catalog-file.js';
import { digestFetch } from './digest-fetch.js';
import { literalText, own, predicateOfLine, QUAD_LINE } from './local-store/nquads-line.js';
import { errorText, onceMoreIfDropped, RemoteCatalog, type RemoteCatalogOptions } from './remote-catalog.js';
import { CATALOG_GRAPH, CATALOG_META_GRAPH, V } from './vocabulary.js';

/** Triples per Graph Store request: a few megabytes, well inside any server's request limit. */
export const PUSH_BATCH_LINES = 20_000;

/** The token a posting's line gives (its `gg:token` literal, as the endpoint answers it), else undefined. */
function tokenOfLine(line: string): string | undefined {
  if (predicateOfLine(line) !== V.token) return undefined;
  const literal = QUAD_LINE.exec(line)?.[4];
  return literal === undefined ? undefined : literalText(literal);
}

/** An endpoint a catalog is written to: its query, Graph Store and Update URLs, and the account that may write. */
export type EndpointTarget = RemoteCatalogOptions & {
  graphStoreUrl: string;
  updateUrl: string;
  user: string;
  password: string;
};

export interface PushCatalogOptions {
  /** The v2 registry (directory or http(s) base) whose catalog.nq is pushed. */
  registry: string;
  fetch: FetchOptions;
  remote: EndpointTarget;
  /**
   * The registry directory's state the catalog read is (endpoint-follow.ts), recorded with the
   * switch; the caller holds the registry's lock, so that the catalog cannot change under the push.
   */
  state?: string;
  /** The directory's catalog as it was at one moment (both reads of the push read it), instead of as it is. */
  snapshot?: CatalogSnapshot;
  /** Stops the push between batches (a server that closes); pushing again resumes. */
  signal?: AbortSignal;
  /** Where the push records its progress, so that an interrupted push resumes (the user's state). */
  stateDir: string;
  batchLines?: number;
  onProgress?: (progress: { done: number; total: number; resumed: boolean }) => void;
}

export interface PushCatalogResult {
  location: string;
  triples: number;
  batches: number;
  /** Triples already in the staging graph from an interrupted push of the same catalog. */
  resumedAt: number;
}

interface PushState {
  digest: string;
  staging: string;
  /** Lines of the catalog sent so far, and the distinct triples they make (what the staging graph holds). */
  lines: number;
  triples: number;
}

/**
 * Pushes a catalog of any size to a SPARQL 1.1 server: read twice as a stream (its digest and
 * line count, then its triples), loaded in batches through the Graph Store protocol into a
 * staging graph named by the catalog's digest, counted, then switched into place with one
 * SPARQL Update (`MOVE`), so readers see the old catalog or the new one, never half of one. The
 * progress is recorded after each batch: a push of the same catalog that was cut off resumes
 * where the staging graph ends.
 */
export async function pushCatalog(options: PushCatalogOptions): Promise<PushCatalogResult> {
  const { remote } = options;
  const batchLines = options.batchLines ?? PUSH_BATCH_LINES;
  const catalog = new RemoteCatalog(remote);
  // The first read: the digest, and the number of distinct quads (a catalog may say a shared
  // node, an author, once per package; the server keeps each triple once).
  let distinct: FingerprintSet | undefined = new FingerprintSet();
  // Its search vocabulary too, kept for this user's readers once it is in place (keepVocabulary),
  // where the pusher has a cache to keep it in.
  const tokens = catalog.keepsVocabulary ? new Set<string>() : undefined;
  const read = await streamCatalog(
    options.registry,
    options.fetch,
    (chunk) => {
      for (const text of chunk.split('\n')) {
        if (text === '') continue;
        distinct?.add(text);
        if (tokens === undefined) continue;
        const token = tokenOfLine(text);
        // Kept as its own string: this Set outlives every chunk.
        if (token !== undefined && !tokens.has(token)) tokens.add(own(token));
      }
    },
    undefined,
    options.snapshot,
  );
  const total = distinct.size;
  distinct = undefined;
  const named = `${CATALOG_GRAPH}/${read.digest.slice(0, 16)}`;
  const statePath = join(
    options.stateDir,
    'push',
    `${nodeCrypto().createHash('sha256').update(`${remote.graphStoreUrl}\n${CATALOG_GRAPH}`).digest('hex').slice(0, 32)}.json`,
  );
  const live = await catalog.generations();
  if (live.current === named && live.digest === read.digest) {
    // This very catalog is in place already: nothing to send (and its graph is never dropped).
    rmSync(statePath, { force: true });
    if (options.state !== undefined && options.state !== live.state)
      await updateEndpoint(
        remote,
        `INSERT DATA { ${switchRecord({ ...live, digest: read.digest, state: options.state })} }`,
        'Recording the catalog in place',
      );
    const stored = await countTriples(catalog, CATALOG_GRAPH);
    if (tokens !== undefined) await catalog.keepVocabulary(read.digest, [...tokens].sort());
    options.onProgress?.({ done: stored, total, resumed: false });
    return { location: read.location, triples: stored, batches: 0, resumedAt: stored };
  }
  const inUse = (graph: string): boolean => graph === live.current || graph === live.previous;
  // A graph of that name in use holds changes applied since it was pushed (endpoint-follow.ts):
  // the push stages beside it, never into a graph readers use.
  const staging = [named, `${named}-1`, `${named}-2`].find((graph) => !inUse(graph)) ?? named;
  const saved = readState(statePath);
  if (saved !== undefined && saved.staging !== staging && !inUse(saved.staging))
    await dropGraph(options, saved.staging);
  // Where an interrupted push of this same catalog ended: its lines, and the triples they made.
  let position = { lines: 0, triples: 0 };
  if (
    saved?.staging === staging &&
    saved.digest === read.digest &&
    (await countTriples(catalog, staging)) === saved.triples
  )
    position = { lines: saved.lines, triples: saved.triples };
  else await dropGraph(options, staging);
  const resumedAt = position.triples;
  const save = (): Promise<void> =>
    writeFileAtomic(
      statePath,
      `${JSON.stringify({ digest: read.digest, staging, ...position } satisfies PushState)}\n`,
      { mode: 0o600 },
    );
  await save();
  options.onProgress?.({ done: position.triples, total, resumed: resumedAt > 0 });

  const suffix = ` <${CATALOG_GRAPH}> .`;
  const seen = new FingerprintSet();
  let line = 0;
  let batch: string[] = [];
  let batches = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    options.signal?.throwIfAborted();
    await postBatch(options, catalog, staging, batch, position.triples);
    position = { lines: line, triples: seen.size };
    batches += 1;
    batch = [];
    await save();
    options.onProgress?.({ done: position.triples, total, resumed: resumedAt > 0 });
  };
  await streamCatalog(
    options.registry,
    options.fetch,
    async (chunk) => {
      for (const text of chunk.split('\n')) {
        if (text === '') continue;
        line += 1;
        seen.add(text);
        if (line <= position.lines) continue;
        if (!text.endsWith(suffix)) {
          throw new MarketplaceError(
            'GGEN_E_INDEX_INVALID',
            `Line ${line} of ${read.location} is not a quad of the catalog graph <${CATALOG_GRAPH}>`,
            {
              hint: 'Nothing was switched. Regenerate the catalog with registry migrate (or publish to it), then push again.',
              details: { location: read.location, line },
            },
          );
        }
        batch.push(`${text.slice(0, -suffix.length)} .`);
        if (batch.length >= batchLines) await flush();
      }
    },
    undefined,
    options.snapshot,
  );
  await flush();

  const staged = await countTriples(catalog, staging);
  if (staged !== total) {
    throw new MarketplaceError(
      'GGEN_E_REGISTRY_HTTP',
      `The staging graph holds ${staged} triples after the upload, not the catalog's ${total}; the catalog in use was not touched`,
      {
        hint: 'Push again: it starts the staging graph over. If it repeats, check the server log.',
        details: { staging, staged, total },
      },
    );
  }
  // The switch is one small update of the pointer that readers resolve, atomic at any size (a
  // MOVE of millions of triples outgrows a server's transaction log). The generation before is
  // kept for readers that resolved it a moment ago; the one before that is dropped.
  const before = live;
  // One INSERT DATA of a switch record: atomic on every server (readers take the newest record).
  await update(
    options,
    `INSERT DATA { ${switchRecord({ current: staging, previous: before.current, digest: read.digest, state: options.state, at: before.at })} }`,
  );
  catalog.forgetGenerations();
  const stored = await countTriples(catalog, CATALOG_GRAPH);
  if (stored !== total) {
    throw new MarketplaceError(
      'GGEN_E_REGISTRY_HTTP',
      `The endpoint holds ${stored} catalog triples after the switch, not ${total}`,
      {
        hint: 'Push again; if it repeats, check the server log.',
        details: { stored, total },
      },
    );
  }
  if (tokens !== undefined) await catalog.keepVocabulary(read.digest, [...tokens].sort());
  if (before.previous !== undefined && before.previous !== staging && before.previous !== before.current)
    await dropGraph(options, before.previous);
  rmSync(statePath, { force: true });
  return { location: read.location, triples: stored, batches, resumedAt };
}

/**
 * A switch record (what RemoteCatalog.generations reads: the newest names the catalog's graph),
 * as the body of an INSERT DATA. It is dated after the record it follows (`at`), whatever the
 * writer's clock says.
 */
export function switchRecord(record: {
  current: string;
  previous: string | undefined;
  digest: string;
  state: string | undefined;
  at: number;
}): string {
  const at = Math.max(Date.now(), record.at + 1);
  return [
    `GRAPH <${CATALOG_META_GRAPH}> { <${CATALOG_META_GRAPH}/${at}> <${V.currentGraph}> <${record.current}>`,
    ` ; <${V.catalogDigest}> "${record.digest}"`,
    record.previous === undefined ? '' : ` ; <${V.previousGraph}> <${record.previous}>`,
    record.state === undefined ? '' : ` ; <${V.catalogState}> "${record.state}"`,
    ` ; <${V.switchedAt}> ${at} }`,
  ].join('');
}

function readState(path: string): PushState | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as Partial<PushState>;
    return typeof state.digest === 'string' &&
      typeof state.staging === 'string' &&
      Number.isInteger(state.lines) &&
      Number.isInteger(state.triples)
      ? (state as PushState)
      : undefined;
  } catch {
    return undefined;
  }
}

async function countTriples(catalog: RemoteCatalog, graph: string): Promise<number> {
  const [row] = await catalog.select(`SELECT (COUNT(*) AS ?n) WHERE { GRAPH <${graph}> { ?s ?p ?o } }`);
  return Number(row?.n ?? 0);
}

/** One request to the server with the push's credentials and deadline; a failure is coded and names the server. */
async function send(remote: EndpointTarget, url: string, init: RequestInit, what: string): Promise<Response> {
  let response: Response;
  try {
    const request = (): Promise<Response> =>
      digestFetch(url, {
        ...init,
        user: remote.user,
        password: remote.password,
        signal: AbortSignal.timeout(remote.timeoutMs),
      });
    // A kept-alive connection the server dropped as it was reused never reached it: sent again once.
    response = await onceMoreIfDropped(request);
  } catch (cause) {
    throw networkFailure(cause, {
      what: `${url} (${what})`,
      location: url,
      timeoutMs: remote.timeoutMs,
      timeoutHint:
        'The server is slow or stuck; raise marketplace.timeout_ms, or check the server. Pushing again resumes.',
    });
  }
  if (!response.ok) {
    const text = await errorText(response);
    throw new MarketplaceError(
      'GGEN_E_REGISTRY_HTTP',
      `${what} failed with ${response.status}: ${text.split('\n')[0] ?? ''}`,
      {
        hint:
          response.status === 401
            ? 'Check sparql_user and sparql_password.'
            : 'Check the endpoint URLs and the server log. Pushing again resumes.',
        details: { status: response.status },
      },
    );
  }
  await response.body?.cancel();
  return response;
}

/**
 * Appends one batch to the staging graph. A request that failed may still have loaded part of
 * the batch: the graph is counted, and the batch is sent again only when none of it is there
 * (else the staging graph starts over on the next push).
 */
async function postBatch(
  options: PushCatalogOptions,
  catalog: RemoteCatalog,
  staging: string,
  batch: string[],
  before: number,
): Promise<void> {
  const url = `${options.remote.graphStoreUrl}?graph-uri=${encodeURIComponent(staging)}`;
  const body = `${batch.join('\n')}\n`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      await send(
        options.remote,
        url,
        { method: 'POST', headers: { 'content-type': 'application/n-triples' }, body },
        'Uploading a batch of the catalog',
      );
      return;
    } catch (error) {
      const status = error instanceof MarketplaceError ? Number(error.details?.status ?? 0) : 0;
      const transient = isNoAnswer(error) || status >= 500;
      if (!transient || attempt >= options.fetch.retries || (await countTriples(catalog, staging)) !== before)
        throw error;
    }
  }
}

async function update(options: PushCatalogOptions, query: string): Promise<void> {
  await updateEndpoint(options.remote, query, 'Switching the catalog graph');
}

/** One SPARQL 1.1 Update request to the endpoint, with its credentials; `what` names it in an error. */
export async function updateEndpoint(remote: EndpointTarget, query: string, what: string): Promise<void> {
  await send(
    remote,
    remote.updateUrl,
    { method: 'POST', headers: { 'content-type': 'application/sparql-update' }, body: query },
    what,
  );
}

async function dropGraph(options: PushCatalogOptions, graph: string): Promise<void> {
  await update(options, `DROP SILENT GRAPH <${graph}>`);
}

/**
 * A set of 64-bit fingerprints of lines, in two typed arrays with open addressing: counting the
 * distinct quads of a 4-million-line catalog costs ~64 MB, not the gigabytes a Set of the lines
 * would. Two different lines share a fingerprint with a chance of about 1 in 10^12 at that size.
 */
class FingerprintSet {
  #high = new Uint32Array(1 << 16);
  #low = new Uint32Array(1 << 16);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(text: string): void {
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let index = 0; index < text.length; index += 1) {
      const code = text.charCodeAt(index);
      a = Math.imul(a ^ code, 0x01000193);
      b = Math.imul(b ^ code, 0x5bd1e995);
      b ^= b >>> 15;
    }
    // Zero marks an empty slot.
    const high = a >>> 0 || 1;
    const low = b >>> 0;
    if (this.#insert(high, low)) {
      this.#size += 1;
      if (this.#size * 2 > this.#high.length) this.#grow();
    }
  }

  #insert(high: number, low: number): boolean {
    const mask = this.#high.length - 1;
    for (let slot = (high ^ Math.imul(low, 0x9e3779b1)) & mask; ; slot = (slot + 1) & mask) {
      if (this.#high[slot] === 0) {
        this.#high[slot] = high;
        this.#low[slot] = low;
        return true;
      }
      if (this.#high[slot] === high && this.#low[slot] === low) return false;
    }
  }

  #grow(): void {
    const [high, low] = [this.#high, this.#low];
    this.#high = new Uint32Array(high.length * 2);
    this.#low = new Uint32Array(low.length * 2);
    for (let slot = 0; slot < high.length; slot += 1)
      if (high[slot] !== 0) this.#insert(high[slot] ?? 0, low[slot] ?? 0);
  }
}
