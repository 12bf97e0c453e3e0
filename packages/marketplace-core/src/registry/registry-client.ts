import { ERROR_CODES, MarketplaceError, type ErrorCode } from '../errors.js';
import { redactUrl } from '../redact.js';
import { codedAnswer, readLimited } from './fetch-resource.js';
import { networkFailure } from './network-error.js';
import { requestSignal, throwIfAttemptCancelled } from './attempt-scope.js';

/** The registry server's API lives under this path of a registry URL (npm's `/-/` convention). */
export const SERVER_API = '-/v1';

/** One answer of the server's API: small JSON documents, never a catalog. */
const ANSWER_LIMIT = 16 * 1024 * 1024;

export interface ServerRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The API path under `<registry>/-/v1/`. */
  path: string;
  body?: unknown;
  /** The bearer token; sent in a header, never in the URL. */
  token?: string;
  timeoutMs: number;
}

/** Where `path` of a registry server's API is, under the registry's URL. */
export function serverApiUrl(registry: string, path: string): string {
  const base = registry.endsWith('/') ? registry : `${registry}/`;
  return new URL(`${SERVER_API}/${path}`, base).toString();
}

/**
 * A call to a ggen registry server, its failure said as the server's own coded error (JSON
 * `{ error: { code, message, hint } }`) with where it came from, or as unreachable, timed out, or
 * not a registry server at all (a static http registry, which is read-only).
 */
export async function serverRequest<T>(registry: string, request: ServerRequest): Promise<T> {
  const url = serverApiUrl(registry, request.path);
  const shown = redactUrl(registry);
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method,
      redirect: 'error',
      signal: requestSignal(request.timeoutMs),
      headers: {
        accept: 'application/json',
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(request.token === undefined ? {} : { authorization: `Bearer ${request.token}` }),
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    });
  } catch (error) {
    throwIfAttemptCancelled();
    throw networkFailure(error, {
      what: `the registry server ${registry} (${request.method} ${request.path})`,
      location: registry,
      timeoutMs: request.timeoutMs,
      ...(request.method === 'GET'
        ? {}
        : {
            timeoutHint:
              'Nothing was changed by this client; the server may still finish the request. Check with ggen marketplace info, then try again.',
          }),
    });
  }
  const text = Buffer.from(await readLimited(response, url, ANSWER_LIMIT)).toString('utf8');
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.ok && body !== undefined) return body as T;
  const error = codedAnswer(text);
  if (error === undefined) {
    // Not the server's coded answer: a static file server (or a proxy) answered for it.
    throw new MarketplaceError(
      response.status === 404 || response.status === 405 ? 'GGEN_E_PUBLISH_UNSUPPORTED' : 'GGEN_E_REGISTRY_HTTP',
      response.status === 404 || response.status === 405
        ? `${shown} is not a ggen registry server (no API at /${SERVER_API}/); an http registry without one is read-only`
        : `The registry server ${shown} answered ${response.status} ${response.statusText} to ${request.method} ${request.path}`,
      {
        hint:
          response.status === 404 || response.status === 405
            ? 'Publish to the directory the server serves (--registry <dir>), or run ggen marketplace registry serve over it.'
            : 'The server failed; try again later, or tell its operator.',
        details: { location: registry, status: response.status },
      },
    );
  }
  const code: ErrorCode =
    error.code !== undefined && Object.hasOwn(ERROR_CODES, error.code)
      ? (error.code as ErrorCode)
      : 'GGEN_E_REGISTRY_HTTP';
  throw new MarketplaceError(code, `${shown} refused: ${error.message}`, {
    hint: error.hint ?? 'See the server’s answer above.',
    details: { location: registry, status: response.status },
  });
}
