import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * The signal of the backend attempt that the running code belongs to. The adapter runs each
 * attempt inside `withAttemptSignal`; every registry request made within it, however deep, is
 * bound to that signal through `requestSignal`, so an attempt that ran out of time takes its
 * requests and their retries down with it instead of leaving them running behind the fallback.
 */
const scope = new AsyncLocalStorage<AbortSignal>();

/** Runs `run` as an attempt that `signal` can cancel. */
export function withAttemptSignal<T>(signal: AbortSignal, run: () => Promise<T>): Promise<T> {
  return scope.run(signal, run);
}

/** The signal for one request: its own time limit, and the attempt it belongs to. */
export function requestSignal(timeoutMs: number): AbortSignal {
  const attempt = scope.getStore();
  const timeout = AbortSignal.timeout(timeoutMs);
  return attempt === undefined ? timeout : AbortSignal.any([timeout, attempt]);
}

/** Throws the attempt's reason when the attempt was cancelled: no new request, no retry after that. */
export function throwIfAttemptCancelled(): void {
  scope.getStore()?.throwIfAborted();
}

/** Waits `ms` before a retry, or ends at once with the attempt's reason when it is cancelled. */
export async function retryPause(ms: number): Promise<void> {
  const attempt = scope.getStore();
  try {
    await delay(ms, undefined, attempt === undefined ? {} : { signal: attempt });
  } catch (error) {
    attempt?.throwIfAborted();
    throw error;
  }
}
