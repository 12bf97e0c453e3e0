import { errorClass, isMarketplaceError, safeText } from '@ggen/marketplace-core';
import { runAttempt } from './run-attempt.js';
import {
  AttemptFailure,
  type RoutedOperation,
  type StrategyContext,
  type StrategyOutcome,
} from './routed-operation.js';

/**
 * v2 first, within its time budget; v1 when v2 failed as a backend (unreachable, timed out,
 * damaged, malformed) and `fallback_on_error` is on. The fallback says so on stderr. When v1
 * fails too, the user gets v2's error (the primary's), with one line naming what v1 tried when
 * it failed otherwise.
 */
export async function runWithFallback<T>(
  operation: RoutedOperation<T>,
  context: StrategyContext,
  selection: Omit<StrategyOutcome<T>['selection'], 'backend'>,
): Promise<StrategyOutcome<T>> {
  const v2 = await runAttempt('v2', () => context.backend('v2'), operation.run, context.v2TimeoutMs);
  if (v2.ok)
    return { value: v2.value, selection: { ...selection, backend: 'v2' }, attempts: [v2.attempt], fallback: false };
  if (!context.fallbackOnError || !worthFallingBack(v2.error) || operation.fallback?.(v2.error) === false)
    throw new AttemptFailure(v2.error, [v2.attempt]);
  const v1 = await runAttempt('v1', () => context.backend('v1'), operation.run);
  if (!v1.ok) {
    // Only when it adds something: v1 failing the same way (the same pack not found, the same server down) is no news.
    if (describe(v1.error) !== describe(v2.error))
      context.notice(`note: ${operation.operation} fell back to v1, which failed too: ${describe(v1.error)}`);
    throw new AttemptFailure(v2.error, [v2.attempt, v1.attempt]);
  }
  if (errorClass(v2.error) === 'backend')
    context.notice(`note: v2 failed (${describe(v2.error)}); ${operation.operation} served by v1 (fallback_on_error)`);
  else if (operation.operation === 'install' || operation.operation === 'update')
    context.notice(`note: ${describe(v2.error)} in v2; ${operation.operation} served by v1 (fallback_on_error)`);
  return {
    value: v1.value,
    selection: {
      ...selection,
      backend: 'v1',
      reason: `${selection.reason}; v2 failed (${v2.attempt.error ?? 'error'}), served by v1`,
    },
    attempts: [v2.attempt, v1.attempt],
    fallback: true,
  };
}

function describe(error: unknown): string {
  return isMarketplaceError(error) ? `${error.code}: ${safeText(error.message)}` : safeText(String(error));
}

/**
 * A backend's failure falls back; so does "not found" (v1 may hold what v2 lacks, and when
 * both agree the answer stands). Everything else the caller decides (usage, conflicts, the
 * local disk) or is a security verdict, which is final: retrying a package whose signature
 * or content failed on the unsigned v1 path would turn every attack into a downgrade. The
 * classes are declared with the codes (errors.ts).
 */
export function worthFallingBack(error: unknown): boolean {
  if (errorClass(error) === 'backend') return true;
  return (
    isMarketplaceError(error) &&
    (error.code === 'GGEN_E_PACKAGE_NOT_FOUND' || error.code === 'GGEN_E_VERSION_NOT_FOUND')
  );
}

export const v2WithFallback = <T>(
  operation: RoutedOperation<T>,
  context: StrategyContext,
): Promise<StrategyOutcome<T>> =>
  runWithFallback(operation, context, { strategy: 'v2-with-fallback', reason: 'backend v2-with-fallback' });
