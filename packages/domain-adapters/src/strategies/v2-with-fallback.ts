import { isMarketplaceError } from '@ggen/marketplace-core';
import { runAttempt } from './run-attempt.js';
import { AttemptFailure, type RoutedOperation, type StrategyContext, type StrategyOutcome } from './routed-operation.js';

/**
 * v2 first, within its time budget; v1 when v2 errors, times out or answers malformed data
 * (and `fallback_on_error` is on). Without fallback, v2's error reaches the user as it is.
 */
export async function runWithFallback<T>(
  operation: RoutedOperation<T>,
  context: StrategyContext,
  selection: Omit<StrategyOutcome<T>['selection'], 'backend'>,
): Promise<StrategyOutcome<T>> {
  const v2 = await runAttempt('v2', () => context.backend('v2'), operation.run, context.v2TimeoutMs);
  if (v2.ok) return { value: v2.value, selection: { ...selection, backend: 'v2' }, attempts: [v2.attempt], fallback: false };
  if (!context.fallbackOnError || !worthFallingBack(v2.error)) throw new AttemptFailure(v2.error, [v2.attempt]);
  const v1 = await runAttempt('v1', () => context.backend('v1'), operation.run);
  if (!v1.ok) throw new AttemptFailure(v1.error, [v2.attempt, v1.attempt]);
  return {
    value: v1.value,
    selection: { ...selection, backend: 'v1', reason: `${selection.reason}; v2 failed (${v2.attempt.error ?? 'error'}), served by v1` },
    attempts: [v2.attempt, v1.attempt],
    fallback: true,
  };
}

/**
 * Answers that v1 would give the same way are not v2 failures: a usage error, a bad manifest
 * or a dependency conflict in the user's request. Security verdicts never fall back either:
 * retrying a package whose signature or content failed on the unsigned v1 path would turn
 * every attack into a downgrade. Everything else (store, network, timeout, malformed data,
 * bugs) falls back.
 */
const USER_ERRORS = new Set([
  'GGEN_E_METADATA_MISMATCH',
  'GGEN_E_DOWNGRADE',
  'GGEN_E_INTEGRITY_MISMATCH',
  'GGEN_E_ARCHIVE_UNSAFE',
  'GGEN_E_NOT_OWNER',
  'GGEN_E_OWNER_CHAIN_INVALID',
  'GGEN_E_USAGE',
  'GGEN_E_MANIFEST_NOT_FOUND',
  'GGEN_E_MANIFEST_PARSE',
  'GGEN_E_MANIFEST_INVALID',
  'GGEN_E_NOT_INSTALLED',
  'GGEN_E_DEPENDED_UPON',
  'GGEN_E_FROZEN_LOCKFILE',
  'GGEN_E_VERSION_EXISTS',
  'GGEN_E_LOCK_TIMEOUT',
  'GGEN_E_DISK_FULL',
  'GGEN_E_PERMISSION_DENIED',
]);
/** Every signature and key verdict, whatever its particular code. */
const SECURITY_FAMILIES = ['GGEN_E_SIGNATURE_', 'GGEN_E_KEY_'];

export function worthFallingBack(error: unknown): boolean {
  if (!isMarketplaceError(error)) return true;
  return !USER_ERRORS.has(error.code) && !SECURITY_FAMILIES.some((family) => error.code.startsWith(family));
}

export const v2WithFallback = <T>(operation: RoutedOperation<T>, context: StrategyContext): Promise<StrategyOutcome<T>> =>
  runWithFallback(operation, context, { strategy: 'v2-with-fallback', reason: 'backend v2-with-fallback' });
