import type { BackendType } from '@ggen/marketplace-core';
import { runAttempt } from './run-attempt.js';
import { AttemptFailure, type Strategy } from './routed-operation.js';

/** V1Only and V2Only: one backend, once, no fallback. */
export function singleBackend(backend: BackendType, reason: string): Strategy {
  return async (operation, context) => {
    const result = await runAttempt(backend, () => context.backend(backend), operation.run);
    if (!result.ok) throw new AttemptFailure(result.error, [result.attempt]);
    return {
      value: result.value,
      selection: { strategy: backend, backend, reason },
      attempts: [result.attempt],
      fallback: false,
    };
  };
}

export const v1Only = singleBackend('v1', 'backend v1');
export const v2Only = singleBackend('v2', 'backend v2');
