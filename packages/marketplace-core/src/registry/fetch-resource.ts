import { readRegularFileSync } from '../read-regular-file.js';
import { redactUrl } from '../redact.js';
import { isAbsolute } from 'node:path';
import { DEFAULT_ARCHIVE_LIMITS } from '../archive/extract-archive.js';
import { fromFsError, MarketplaceError } from '../errors.js';
import { safeText } from '../names.js';
import type { VersionCandidate } from '../install/package-source.js';
import { isHttpLocation, isLocationUrl, registryLocation } from './registry-location.js';
import { networkFailure } from './network-error.js';
import { requestSignal, retryPause, throwIfAttemptCancelled } from './attempt-scope.js';

export interface FetchOptions {
  timeoutMs: number;
  retries: number;
  /** Base delay between retries; doubles each time. */
  retryDelayMs?: number;
  /** --offline: nothing is asked of the network; an http(s) location is a GGEN_E_OFFLINE error. */
  offline?: boolean;
  /** --prefer-offline: a copy kept from an earlier command is used without asking whether it changed. */
  preferOffline?: boolean;
}

/**
 * The most a registry may send for each kind of resource: bodies are streamed and cut off past
 * it (an endless index.json must not fill the memory), and a Content-Length beyond it is refused
 * before the body is read. Archives have the extraction limit itself.
 */
export const RESOURCE_LIMITS = {
  index: 256 * 1024 * 1024,
  catalog: 512 * 1024 * 1024,
  archive: DEFAULT_ARCHIVE_LIMITS.maxCompressedBytes,
  signature: 64 * 1024,
  keys: 4 * 1024 * 1024,
  /** A registry server's answer about one package, or one page of search results. */
  document: 32 * 1024 * 1024,
  /** One answer of a remote SPARQL endpoint: pages of rows or one closure of packages, never a catalog. */
  sparql: 256 * 1024 * 1024,
} as const;
export type ResourceKind = keyof typeof RESOURCE_LIMITS;

/** Resolves `relative` against a registry base: a directory path or an http(s) URL. */
export function resolveLocation(base: string, relative: string): string {
  if (isLocationUrl(relative) || isAbsolute(relative)) return relative;
  const location = registryLocation(base);
  if (location.kind === 'http') return new URL(relative, base.endsWith('/') ? base : `${base}/`).toString();
  return `${location.path.replace(/\/+$/, '')}/${relative}`;
}

/**
 * The location of an archive (or its signature) that a registry lists, resolved against the
 * registry. An http(s) registry's archives come from its own origin: a `download_url` naming
 * `file://`, a local path or another host is a hostile entry, refused.
 */
export function resolveArchiveLocation(registry: string, archive: string, label: string): string {
  const location = resolveLocation(registry, archive);
  if (!isHttpLocation(registry)) return location;
  const origin = new URL(registry).origin;
  let target: string | undefined;
  try {
    target = isHttpLocation(location) ? new URL(location).origin : undefined;
  } catch {
    target = undefined;
  }
  if (target !== origin) {
    throw new MarketplaceError(
      'GGEN_E_INDEX_INVALID',
      `The registry lists the archive of ${label} at ${safeText(archive)}, outside its own origin ${origin}`,
      {
        hint: 'Nothing was fetched. Archives of an http(s) registry come from that registry; report the entry to the registry owner.',
        details: { package: label, archive, origin },
      },
    );
  }
  return location;
}

function tooLarge(location: string, limit: number): MarketplaceError {
  return new MarketplaceError(
    'GGEN_E_RESPONSE_TOO_LARGE',
    `${location} is larger than ${limit} bytes, the limit for this kind of file`,
    {
      hint: 'Nothing was used. The registry serves something far larger than it should; check the registry location or report it to its owner.',
      details: { location, limit },
    },
  );
}

/** Whether fetchResource failed because an http(s) registry answered 404: the file is not there (not a failure to reach it). */
export function isHttpNotFound(error: unknown): boolean {
  return error instanceof MarketplaceError && error.code === 'GGEN_E_REGISTRY_HTTP' && error.details?.status === 404;
}

/** Reads a local file or GETs a URL (at most `kind`'s limit), with a timeout per attempt and retries on transient failures. */
export async function fetchResource(location: string, options: FetchOptions, kind: ResourceKind): Promise<Uint8Array> {
  const fetched = await fetchRevalidated(location, options, kind);
  return fetched.bytes ?? new Uint8Array(0);
}

/** What a revalidating GET got: the body and its ETag, or word that the copy the caller holds is current (304). */
export type Revalidated =
  { bytes: Uint8Array; etag?: string; notModified?: undefined } | { notModified: true; bytes?: undefined };

/**
 * fetchResource that may revalidate: given the ETag of a copy the caller keeps, an http(s) answer
 * of 304 Not Modified says that copy is current; any other answer is read as fetchResource reads it.
 */
export async function fetchRevalidated(
  location: string,
  options: FetchOptions,
  kind: ResourceKind,
  etag?: string,
): Promise<Revalidated> {
  const limit = RESOURCE_LIMITS[kind];
  const where = registryLocation(location);
  if (where.kind === 'directory') {
    const path = where.path;
    // Synchronous: a local file is small and read at once, and each thread-pool round trip of
    // fs/promises (open, stat, read, close) cost a verified 11-pack install tens of milliseconds
    // of an idle main thread on a loaded machine.
    try {
      return { bytes: readRegularFileSync(path, limit) };
    } catch (error) {
      if (error instanceof MarketplaceError) throw error;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new MarketplaceError('GGEN_E_REGISTRY_NOT_FOUND', `${path} does not exist`, {
          hint: 'Check the registry location (--registry or marketplace.registry in config).',
          details: { location: path },
        });
      }
      throw fromFsError(error, 'reading', path);
    }
  }
  if (options.offline === true) throw offlineError(location);
  const delay = options.retryDelayMs ?? 100;
  let lastError: MarketplaceError | undefined;
  for (let attempt = 0; attempt <= options.retries; attempt += 1) {
    if (attempt > 0) await retryPause(delay * 2 ** (attempt - 1));
    throwIfAttemptCancelled();
    try {
      const response = await fetchSameOrigin(
        location,
        requestSignal(options.timeoutMs),
        etag === undefined ? {} : { 'if-none-match': etag },
      );
      if (response.status === 304 && etag !== undefined) {
        await response.body?.cancel();
        return { notModified: true };
      }
      if (response.ok) {
        const tag = response.headers.get('etag') ?? undefined;
        return { bytes: await readLimited(response, location, limit), ...(tag === undefined ? {} : { etag: tag }) };
      }
      // A registry server says why in a coded JSON answer: its words are kept (its own upstream
      // refused, say); a static file server's error page is not read.
      const served = await codedAnswerOf(response, location);
      lastError = new MarketplaceError(
        'GGEN_E_REGISTRY_HTTP',
        `GET ${location} answered ${response.status} ${response.statusText}${served === undefined ? '' : `: ${served.message}`}`,
        {
          hint:
            served?.hint !== undefined && served.hint !== ''
              ? served.hint
              : response.status === 404
                ? 'The registry does not have this file; check the registry location.'
                : 'The registry failed; try again later.',
          details: { location, status: response.status },
        },
      );
      if (response.status < 500 && response.status !== 429) throw lastError;
    } catch (error) {
      // A 4xx answer or an oversized body is final; 5xx and 429 answers, drops and timeouts are tried again,
      // unless the attempt this request belongs to was cancelled.
      if (error instanceof MarketplaceError) throw error;
      throwIfAttemptCancelled();
      lastError = networkFailure(error, { what: `GET ${location}`, location, timeoutMs: options.timeoutMs });
    }
  }
  throw lastError ?? new MarketplaceError('GGEN_E_REGISTRY_UNREACHABLE', `Cannot reach ${location}`);
}

const MAX_REDIRECTS = 5;

/**
 * GET with redirects followed only within the origin asked: a registry file that redirects to
 * another host (or scheme, or port) is refused, as an archive listed at another origin is.
 */
async function fetchSameOrigin(
  location: string,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<Response> {
  const origin = new URL(location).origin;
  let current = location;
  for (let hop = 0; ; hop += 1) {
    const response = await fetch(current, { signal, redirect: 'manual', headers });
    const next = response.headers.get('location');
    if (response.status < 300 || response.status > 399 || next === null) return response;
    await response.body?.cancel();
    const target = new URL(next, current);
    if (target.origin !== origin || hop >= MAX_REDIRECTS) {
      throw new MarketplaceError(
        'GGEN_E_REGISTRY_HTTP',
        target.origin !== origin
          ? `GET ${redactUrl(location)} redirected to ${redactUrl(target.origin)}, another origin; not followed`
          : `GET ${redactUrl(location)} redirected more than ${MAX_REDIRECTS} times`,
        {
          hint: 'A registry serves its files from its own origin. Point --registry at where the registry really is, or report the redirect to its owner.',
          details: { location, status: response.status },
        },
      );
    }
    current = target.toString();
  }
}

/** The body, streamed, cut off (and the connection dropped) once it passes `limit`. */
/** A registry server's coded error answer (`{ error: { code, message, hint } }`), its texts made safe to print. */
export interface CodedAnswer {
  code: string | undefined;
  message: string;
  hint: string | undefined;
}

/** The coded error in an answer's text, or undefined when it is not one. */
export function codedAnswer(text: string): CodedAnswer | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; hint?: unknown } | null } | null)?.error;
  if (typeof error?.message !== 'string') return undefined;
  return {
    code: typeof error.code === 'string' ? error.code : undefined,
    message: safeText(error.message),
    hint: typeof error.hint === 'string' ? safeText(error.hint) : undefined,
  };
}

/** A failed answer's coded error, read within a small limit when it says it is JSON; the body is done with either way. */
async function codedAnswerOf(response: Response, location: string): Promise<CodedAnswer | undefined> {
  if (!(response.headers.get('content-type') ?? '').includes('application/json')) {
    await response.body?.cancel();
    return undefined;
  }
  try {
    return codedAnswer(Buffer.from(await readLimited(response, location, 64 * 1024)).toString('utf8'));
  } catch {
    return undefined;
  }
}

export async function readLimited(response: Response, location: string, limit: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel();
    throw tooLarge(location, limit);
  }
  if (response.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge(location, limit);
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** What --offline says of a location it will not ask. */
export function offlineError(location: string): MarketplaceError {
  return new MarketplaceError('GGEN_E_OFFLINE', `Offline: ${redactUrl(location)} is not kept on this machine`, {
    hint: 'Run once without --offline (or with --prefer-offline) to fetch it; archives are then kept in the cache (ggen marketplace cache ls).',
    details: { location },
  });
}

/** A candidate's archive; a registry entry without an archive location is a coded error. */
export async function fetchCandidateArchive(candidate: VersionCandidate, options: FetchOptions): Promise<Uint8Array> {
  if (candidate.archive === '') {
    throw new MarketplaceError(
      'GGEN_E_REGISTRY_UNREACHABLE',
      `The registry lists no archive for ${candidate.name}@${candidate.version}`,
      {
        hint: 'The registry entry has no archive location; ask the registry owner to republish the package.',
        details: { package: candidate.name, version: candidate.version },
      },
    );
  }
  return fetchResource(candidate.archive, options, 'archive');
}
