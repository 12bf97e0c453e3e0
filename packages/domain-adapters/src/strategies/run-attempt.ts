import {
  isMarketplaceError,
  MarketplaceError,
  monotonicMs,
  withAttemptSignal,
  type BackendType,
  type MarketplaceBackend,
} from '@ggen/marketplace-core';
import type { Attempt } from './routed-operation.js';

export type AttemptResult<T> =
  { ok: true; value: T; attempt: Attempt } | { ok: false; error: unknown; attempt: Attempt };

/**
 * Runs one operation on one backend exactly once, timed, with an optional time budget.
 * Never throws: the caller decides between fallback and failure.
 */
export async function runAttempt<T>(
  backendType: BackendType,
  backend: () => MarketplaceBackend,
  run: (backend: MarketplaceBackend, signal: AbortSignal) => Promise<T>,
  timeoutMs?: number,
): Promise<AttemptResult<T>> {
  const started = monotonicMs();
  let timer: NodeJS.Timeout | undefined;
  // An attempt that ran out of time is cancelled, not left running: a mutation checks the
  // signal before its commit point, so a late v2 can never write after v1 answered.
  const controller = new AbortController();
  try {
    // Every registry request the attempt makes is bound to its signal (withAttemptSignal), so a
    // cancelled attempt also stops its requests and their retries.
    const pending = withAttemptSignal(controller.signal, () => run(backend(), controller.signal));
    pending.catch(() => undefined);
    const value =
      timeoutMs === undefined
        ? await pending
        : await Promise.race([
            pending,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => {
                const timeout = new MarketplaceError(
                  'GGEN_E_BACKEND_TIMEOUT',
                  `The ${backendType} backend did not answer within ${timeoutMs} ms`,
                  {
                    hint: 'Raise marketplace.v2_timeout_ms, or check the v2 registry or SPARQL endpoint.',
                    details: { backend: backendType, timeoutMs },
                  },
                );
                // The same verdict ends the attempt that is still running (its signal) and this one.
                controller.abort(timeout);
                reject(timeout);
              }, timeoutMs);
            }),
          ]);
    return { ok: true, value, attempt: { backend: backendType, ok: true, ms: monotonicMs() - started } };
  } catch (error) {
    const code = isMarketplaceError(error) ? error.code : 'GGEN_E_INTERNAL';
    return { ok: false, error, attempt: { backend: backendType, ok: false, ms: monotonicMs() - started, error: code } };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
