import {
  DualBackendAdapter,
  exportRecordsOverOtlp,
  fleetSeriesText,
  metricsDir,
  MetricsStore,
  pushFleetSeries,
  readInstallId,
  type AdapterConfig,
  type OperationRecord,
} from '@ggen/domain-adapters';
import { redactUrl, type MarketplaceBackend } from '@ggen/marketplace-core';
import type { BackendContext } from './features.js';

const DEPRECATION =
  'note: the v1 backend is deprecated; v2 is the default (marketplace.backend: v2-with-fallback). v1 stays available for rollback.';

/**
 * The backends of a build behind the DualBackendAdapter, monitored: every operation is recorded
 * locally (`metrics`, `rollout`), exported over OTLP and pushed to the fleet's Pushgateway when
 * configured. The parallel builds route between v1 and v2; the v2-only build has v2 alone.
 */
export function monitoredBackend(
  { loaded, notice, onFinish }: BackendContext,
  adapterConfig: AdapterConfig,
  backends: { v1: () => MarketplaceBackend; v2: () => MarketplaceBackend },
): MarketplaceBackend {
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
  return new DualBackendAdapter({
    config: adapterConfig,
    v1: backends.v1,
    v2: backends.v2,
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
