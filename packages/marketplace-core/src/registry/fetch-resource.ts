import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromFsError, MarketplaceError } from '../errors.js';
import type { VersionCandidate } from '../install/package-source.js';

export interface FetchOptions {
  timeoutMs: number;
  retries: number;
  /** Base delay between retries; doubles each time. */
  retryDelayMs?: number;
}

export function isHttpLocation(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** Resolves `relative` against a registry base: a directory path or an http(s) URL. */
export function resolveLocation(base: string, relative: string): string {
  if (isHttpLocation(relative) || relative.startsWith('file://') || isAbsolute(relative)) return relative;
  if (isHttpLocation(base)) return new URL(relative, base.endsWith('/') ? base : `${base}/`).toString();
  const dir = base.startsWith('file://') ? fileURLToPath(base) : base;
  return `${dir.replace(/\/+$/, '')}/${relative}`;
}

/** Reads a local file or GETs a URL, with a timeout per attempt and retries on transient failures. */
export async function fetchResource(location: string, options: FetchOptions): Promise<Uint8Array> {
  if (!isHttpLocation(location)) {
    const path = location.startsWith('file://') ? fileURLToPath(location) : location;
    try {
      return await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new MarketplaceError('GGEN_E_REGISTRY_UNREACHABLE', `${path} does not exist`, {
          hint: 'Check the registry location (--registry or marketplace.registry in config).',
          details: { location: path },
        });
      }
      throw fromFsError(error, 'reading', path);
    }
  }
  const delay = options.retryDelayMs ?? 100;
  let lastError: MarketplaceError | undefined;
  for (let attempt = 0; attempt <= options.retries; attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, delay * 2 ** (attempt - 1)));
    try {
      const response = await fetch(location, { signal: AbortSignal.timeout(options.timeoutMs), redirect: 'follow' });
      if (response.ok) return new Uint8Array(await response.arrayBuffer());
      lastError = new MarketplaceError('GGEN_E_REGISTRY_HTTP', `GET ${location} answered ${response.status} ${response.statusText}`, {
        hint: response.status === 404 ? 'The registry does not have this file; check the registry location.' : 'The registry failed; try again later.',
        details: { location, status: response.status },
      });
      await response.body?.cancel();
      if (response.status < 500 && response.status !== 429) throw lastError;
    } catch (error) {
      if (error instanceof MarketplaceError) {
        if (error.code === 'GGEN_E_REGISTRY_HTTP' && error !== lastError) throw error;
        if (error.details?.status !== undefined && Number(error.details.status) < 500 && Number(error.details.status) !== 429) throw error;
        continue;
      }
      const name = (error as Error).name;
      lastError =
        name === 'TimeoutError' || name === 'AbortError'
          ? new MarketplaceError('GGEN_E_REGISTRY_TIMEOUT', `GET ${location} timed out after ${options.timeoutMs} ms`, {
              hint: 'The registry is slow or unreachable; raise marketplace.timeout_ms or try again later.',
              cause: error,
              details: { location, timeoutMs: options.timeoutMs },
            })
          : new MarketplaceError('GGEN_E_REGISTRY_UNREACHABLE', `Cannot reach ${location}: ${describeNetworkError(error)}`, {
              hint: 'Check the network and the registry URL, then try again.',
              cause: error,
              details: { location },
            });
    }
  }
  throw lastError ?? new MarketplaceError('GGEN_E_REGISTRY_UNREACHABLE', `Cannot reach ${location}`);
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** A candidate's archive; a registry entry without an archive location is a coded error. */
export async function fetchCandidateArchive(candidate: VersionCandidate, options: FetchOptions): Promise<Uint8Array> {
  if (candidate.archive === '') {
    throw new MarketplaceError('GGEN_E_REGISTRY_UNREACHABLE', `The registry lists no archive for ${candidate.name}@${candidate.version}`, {
      hint: 'The registry entry has no archive location; ask the registry owner to republish the package.',
      details: { package: candidate.name, version: candidate.version },
    });
  }
  return fetchResource(candidate.archive, options);
}
