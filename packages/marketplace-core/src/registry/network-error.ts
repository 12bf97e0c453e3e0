import { MarketplaceError } from '../errors.js';
import { redactUrl } from '../redact.js';

/** The system error code under a failed fetch (undici puts it on `cause`, sometimes one level deeper). */
export function systemErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code) && !code.startsWith('ERR_')) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);
const NO_ROUTE = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN']);

export interface NetworkFailure {
  /** What was asked, for the message: "GET <url>", "the registry server <url>", "the SPARQL endpoint <url>". */
  what: string;
  /** The URL asked; only its host is named, and credentials are redacted. */
  location: string;
  timeoutMs: number;
  /** The hint for a timeout, which depends on whether a write may still complete. */
  timeoutHint?: string;
  /** The code a timeout gets (a SPARQL endpoint has its own). */
  timeoutCode?: 'GGEN_E_REGISTRY_TIMEOUT' | 'GGEN_E_SPARQL_TIMEOUT';
}

/**
 * One reading of why a request got no answer, for every client of the network (files, the
 * registry server's API, SPARQL endpoints): timed out, refused (nothing listens), the host name
 * did not resolve, no route, or the connection broke. Each has its own code and a hint that
 * names what to change.
 */
export function networkFailure(error: unknown, failure: NetworkFailure): MarketplaceError {
  const shown = redactUrl(failure.what);
  const location = redactUrl(failure.location);
  let host = location;
  let origin = location;
  try {
    const url = new URL(location);
    host = url.host;
    origin = url.origin;
  } catch {
    // Not a URL: named as given.
  }
  const name = (error as Error | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return new MarketplaceError(
      failure.timeoutCode ?? 'GGEN_E_REGISTRY_TIMEOUT',
      `No answer from ${shown} within ${failure.timeoutMs} ms`,
      {
        hint:
          failure.timeoutHint ??
          `${host} accepted the connection but did not answer in time; raise marketplace.timeout_ms if it is only slow, or try again later.`,
        cause: error,
        details: { location: failure.location, timeoutMs: failure.timeoutMs },
      },
    );
  const code = systemErrorCode(error);
  // fetch refuses ports of other protocols (9, 25, 6000...) before connecting.
  if ((error as { cause?: { message?: unknown } } | undefined)?.cause?.message === 'bad port')
    return new MarketplaceError(
      'GGEN_E_REGISTRY_UNREACHABLE',
      `${origin} uses a port that HTTP clients refuse (fetch's list of bad ports)`,
      {
        hint: 'Serve the registry on another port (e.g. ggen marketplace registry serve <dir> --port 7878) and use that URL.',
        cause: error,
        details: { location: failure.location },
      },
    );
  if (code === 'ECONNREFUSED')
    return new MarketplaceError(
      'GGEN_E_REGISTRY_REFUSED',
      `Nothing is listening at ${host}: ${shown} refused the connection`,
      {
        hint: `Check the port in ${origin}, and that the server runs there (a ggen registry starts with: ggen marketplace registry serve <dir>).`,
        cause: error,
        details: { location: failure.location, errno: code },
      },
    );
  if (code !== undefined && DNS.has(code))
    return new MarketplaceError(
      'GGEN_E_REGISTRY_UNREACHABLE',
      `Cannot find the host ${host}: its name does not resolve (${code})`,
      {
        hint: `Check the spelling of the host in ${origin}, and this machine's network and DNS.`,
        cause: error,
        details: { location: failure.location, errno: code },
      },
    );
  if (code !== undefined && NO_ROUTE.has(code))
    return new MarketplaceError(
      'GGEN_E_REGISTRY_UNREACHABLE',
      `No route to ${host} (${code}): this machine is offline or the host is down`,
      {
        hint: 'Check the network connection; to install what is already kept here, run with --offline.',
        cause: error,
        details: { location: failure.location, errno: code },
      },
    );
  return new MarketplaceError(
    'GGEN_E_REGISTRY_UNREACHABLE',
    `The connection to ${host} failed while asking ${shown}: ${code ?? (error as Error | undefined)?.message ?? 'unknown error'}`,
    {
      hint: 'The server closed the connection or the network dropped it; try again, and check the server log if it repeats.',
      cause: error,
      details: { location: failure.location, ...(code === undefined ? {} : { errno: code }) },
    },
  );
}

/** The codes of a request that got no answer (as opposed to an answer that said no). */
export const NO_ANSWER_CODES: ReadonlySet<string> = new Set([
  'GGEN_E_REGISTRY_UNREACHABLE',
  'GGEN_E_REGISTRY_REFUSED',
  'GGEN_E_REGISTRY_TIMEOUT',
]);

export function isNoAnswer(error: unknown): boolean {
  return error instanceof MarketplaceError && NO_ANSWER_CODES.has(error.code);
}
