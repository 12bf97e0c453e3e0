import { runAttempt } from './run-attempt.js';
import {
  AttemptFailure,
  type Comparison,
  type RoutedOperation,
  type StrategyContext,
  type StrategyOutcome,
} from './routed-operation.js';

/**
 * Both backends run concurrently, each exactly once and each within the time budget; v2's
 * answer is returned unless it failed (then v1's, if fallback is on). The differences are
 * recorded. Mutations compare their dry-run plans, then apply once on the serving backend.
 */
export async function compare<T>(operation: RoutedOperation<T>, context: StrategyContext): Promise<StrategyOutcome<T>> {
  const probe = operation.plan ?? operation.run;
  const [v1, v2] = await Promise.all([
    runAttempt('v1', () => context.backend('v1'), probe, context.v2TimeoutMs),
    runAttempt('v2', () => context.backend('v2'), probe, context.v2TimeoutMs),
  ]);
  let comparison: Comparison | undefined;
  if (v1.ok && v2.ok && operation.compare !== undefined) {
    comparison = {
      ...operation.compare(v1.value, v2.value),
      subject: operation.subject,
      v1Ms: v1.attempt.ms,
      v2Ms: v2.attempt.ms,
    };
  }
  const attempts =
    operation.plan === undefined
      ? [v1.attempt, v2.attempt]
      : [
          { ...v1.attempt, plan: true },
          { ...v2.attempt, plan: true },
        ];
  const served = v2.ok ? v2 : context.fallbackOnError ? v1 : v2;
  if (!served.ok) throw new AttemptFailure(served.error, attempts);
  const backend = served.attempt.backend;
  const selection = {
    strategy: 'compare' as const,
    backend,
    reason: v2.ok ? 'compare: v2 answered' : `compare: v2 failed (${v2.attempt.error ?? 'error'}), served by v1`,
  };
  if (operation.plan === undefined) {
    return {
      value: served.value,
      selection,
      attempts,
      fallback: !v2.ok,
      ...(comparison === undefined ? {} : { comparison }),
    };
  }
  const applied = await runAttempt(backend, () => context.backend(backend), operation.run);
  if (!applied.ok) throw new AttemptFailure(applied.error, [...attempts, applied.attempt]);
  return {
    value: applied.value,
    selection,
    attempts: [...attempts, applied.attempt],
    fallback: !v2.ok,
    ...(comparison === undefined ? {} : { comparison }),
  };
}
