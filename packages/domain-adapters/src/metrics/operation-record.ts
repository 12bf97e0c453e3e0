import type { BackendStrategyName, BackendType, RoutedOperationName } from '@ggen/marketplace-core';
import type { Attempt, Comparison } from '../strategies/routed-operation.js';

/** One routed operation as recorded locally (one JSON line) and reported by the CLI. */
export interface OperationRecord {
  /** Unix time in milliseconds. */
  t: number;
  op: RoutedOperationName;
  strategy: BackendStrategyName;
  /** The backend that served it (or was chosen, when it failed). */
  backend: BackendType;
  ok: boolean;
  /** Wall time of the whole operation, fallback included. */
  ms: number;
  fallback: boolean;
  attempts: Attempt[];
  error?: string;
  comparison?: Comparison;
  /** Publish: whether the package was signed. */
  signed?: boolean;
  /** Install with signatures verified: how many packages' signatures were verified. */
  verified?: number;
}
