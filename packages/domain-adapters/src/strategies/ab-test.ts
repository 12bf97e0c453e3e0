import { runAttempt } from './run-attempt.js';
import {
  AttemptFailure,
  type RoutedOperation,
  type StrategyContext,
  type StrategyOutcome,
} from './routed-operation.js';
import { runWithFallback } from './v2-with-fallback.js';

/**
 * `v2_percentage` of installs go to v2: an install whose bucket (0..99, sticky per install id)
 * is below the percentage is served by v2, with fallback to v1 when `fallback_on_error` is on.
 * `enable_ab_testing: false` (GGEN_MARKETPLACE_AB_TEST=0) pauses the test: everything goes to v1.
 */
export async function abTest<T>(operation: RoutedOperation<T>, context: StrategyContext): Promise<StrategyOutcome<T>> {
  if (!context.abTestingEnabled) {
    return runV1(operation, context, 'ab-test paused (enable_ab_testing is false)');
  }
  const bucket = context.bucket();
  if (bucket < context.v2Percentage) {
    const outcome = await runWithFallback(operation, context, {
      strategy: 'ab-test',
      reason: `ab-test bucket ${bucket} < ${context.v2Percentage}%`,
      bucket,
    });
    return outcome;
  }
  return runV1(operation, context, `ab-test bucket ${bucket} >= ${context.v2Percentage}%`, bucket);
}

async function runV1<T>(
  operation: RoutedOperation<T>,
  context: StrategyContext,
  reason: string,
  bucket?: number,
): Promise<StrategyOutcome<T>> {
  const v1 = await runAttempt('v1', () => context.backend('v1'), operation.run);
  if (!v1.ok) throw new AttemptFailure(v1.error, [v1.attempt]);
  return {
    value: v1.value,
    selection: { strategy: 'ab-test', backend: 'v1', reason, ...(bucket === undefined ? {} : { bucket }) },
    attempts: [v1.attempt],
    fallback: false,
  };
}
