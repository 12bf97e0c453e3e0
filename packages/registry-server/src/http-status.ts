import type { ErrorCode } from '@ggen/marketplace-core';

const STATUS: Partial<Record<ErrorCode, number>> = {
  GGEN_E_AUTH_REQUIRED: 401,
  GGEN_E_FORBIDDEN: 403,
  GGEN_E_NOT_OWNER: 403,
  GGEN_E_PACKAGE_NOT_FOUND: 404,
  GGEN_E_VERSION_NOT_FOUND: 404,
  GGEN_E_VERSION_EXISTS: 409,
  GGEN_E_NAME_TAKEN: 409,
  GGEN_E_LOCK_TIMEOUT: 409,
  GGEN_E_ARCHIVE_TOO_LARGE: 413,
  GGEN_E_RESPONSE_TOO_LARGE: 413,
  GGEN_E_RATE_LIMITED: 429,
  GGEN_E_SPARQL_TIMEOUT: 503,
  GGEN_E_BACKEND_UNAVAILABLE: 503,
  // The server's own upstream (a remote catalog's SPARQL endpoint) refused, could not be reached, or timed out.
  GGEN_E_REGISTRY_REFUSED: 502,
  GGEN_E_REGISTRY_UNREACHABLE: 502,
  GGEN_E_REGISTRY_TIMEOUT: 504,
};

/**
 * The HTTP status of a coded refusal: what the caller sent is wrong (400), or cannot be accepted
 * as sent (422: a manifest, archive or signature that does not check out); the registry's own
 * failures are 500. The code itself travels in the body, for clients that branch on it.
 */
export function httpStatusOf(code: ErrorCode): number {
  const status = STATUS[code];
  if (status !== undefined) return status;
  if (code === 'GGEN_E_USAGE' || code.startsWith('GGEN_E_SPARQL_')) return 400;
  if (code.startsWith('GGEN_E_MANIFEST_') || code.startsWith('GGEN_E_ARCHIVE_')) return 422;
  if (code.startsWith('GGEN_E_SIGNATURE_') || code.startsWith('GGEN_E_KEY_') || code === 'GGEN_E_OWNER_CHAIN_INVALID')
    return 422;
  return 500;
}
