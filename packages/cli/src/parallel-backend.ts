import {
  createV1Adapter,
  createV2Adapter,
  DualBackendAdapter,
  exportRecordsOverOtlp,
  fleetSeriesText,
  pushFleetSeries,
  readInstallId,
  metricsDir,
  MetricsStore,
  type AdapterConfig,
  type OperationRecord,
} from '@ggen/domain-adapters';
import { redactUrl, type LoadedConfig, type MarketplaceBackend } from '@ggen/marketplace-core';
import { V1Registry, type V1RegistryOptions } from '@ggen/marketplace-v1';
import { V2Registry, type V2RegistryOptions } from '@ggen/marketplace-v2';
import type { BackendContext } from './features.js';
import { v2Options } from './remote-options.js';
import { fetchOptionsOf } from './fetch-options.js';

const DEPRECATION =
  'note: the v1 backend is deprecated; v2 is the default (marketplace.backend: v2-with-fallback). v1 stays available for rollback.';

/** The adapters' view of the config: the values, and whether fallback and backend were chosen in so many words. */
export function adapterConfigOf(loaded: LoadedConfig): AdapterConfig {
  return {
    ...loaded.config,
    fallback_on_error_set: loaded.sources.fallback_on_error.kind !== 'default',
    backend_from_flag: loaded.sources.backend.kind === 'flag',
  };
}

/** Every operation of the parallel build goes through the DualBackendAdapter. */
export function createParallelBackend({
  loaded,
  registry,
  v2Registry,
  notice,
  onFinish,
  cache,
}: BackendContext): MarketplaceBackend {
  const { config } = loaded;
  const recorded: OperationRecord[] = [];
  let warned = false;
  const endpoint = config.otlp_endpoint;
  if (endpoint !== undefined)
    onFinish(async () => {
      const failure = await exportRecordsOverOtlp(endpoint, recorded, config.timeout_ms);
      if (failure !== undefined)
        notice(
          `warning: could not export metrics to ${redactUrl(endpoint)}: ${redactUrl(failure.split('\n')[0] ?? '')}`,
        );
    });
  const store = new MetricsStore(metricsDir(config.state_dir));
  const pushgateway = config.pushgateway_url;
  if (pushgateway !== undefined) {
    // The fleet view: this install's whole cumulative record replaces its group. Telemetry never fails a command.
    onFinish(async () => {
      if (recorded.length === 0) return;
      try {
        await pushFleetSeries(
          pushgateway,
          readInstallId(config.state_dir),
          fleetSeriesText(store.read()),
          config.timeout_ms,
        );
      } catch (error) {
        notice(`warning: could not push metrics to ${redactUrl(pushgateway)}: ${redactUrl((error as Error).message)}`);
      }
    });
  }
  // One registry object per format, shared: each is the other's source of names it does not know
  // (cross-format dependencies, when the operation allows fallback).
  let v1Shared: V1Registry | undefined;
  let v2Shared: V2Registry | undefined;
  const v1Options: V1RegistryOptions = {
    location: registry,
    ...fetchOptionsOf(config),
    otherRegistry: () => v2Source(),
  };
  const v2RegistryOptions: V2RegistryOptions = {
    ...v2Options(config, v2Registry, cache),
    otherRegistry: () => v1Source(),
  };
  const v1Source = (): V1Registry => (v1Shared ??= new V1Registry(v1Options));
  const v2Source = (): V2Registry => (v2Shared ??= new V2Registry(v2RegistryOptions));
  return new DualBackendAdapter({
    config: adapterConfigOf(loaded),
    v1: () => createV1Adapter(v1Options, v1Source()),
    v2: () => createV2Adapter(v2RegistryOptions, v2Source()),
    store,
    onRecord: (record) => recorded.push(record),
    notice,
    onSelection: (operation, selection) => {
      if (config.log_backend_selection)
        notice(`backend: ${operation} served by ${selection.backend} (${selection.reason})`);
      if (selection.backend === 'v1' && selection.strategy === 'v1' && !warned) {
        warned = true;
        notice(DEPRECATION);
      }
    },
  });
}
