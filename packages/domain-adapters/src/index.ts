export * from './migrate-registry.js';
export * from './registry-lifecycle.js';
export * from './dual-backend-adapter.js';
export * from './v1-adapter.js';
export * from './v2-adapter.js';
export * from './checked-backend.js';
export * from './install-id.js';
export * from './ranking-overlap.js';
export type {
  Attempt,
  Comparison,
  RoutedOperation,
  Selection,
  Strategy,
  StrategyContext,
  StrategyOutcome,
} from './strategies/routed-operation.js';
export * from './metrics/operation-record.js';
export * from './metrics/metrics-store.js';
export * from './metrics/instruments.js';
export * from './metrics/summarize-metrics.js';
export * from './metrics/compare-report.js';
export * from './metrics/rollout-status.js';
export * from './metrics/otel.js';
export * from './metrics/fleet-series.js';
export * from './metrics/fleet-figures.js';
