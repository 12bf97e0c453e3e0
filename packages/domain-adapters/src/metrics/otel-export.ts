import type { Meter } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { createInstruments, type MarketplaceInstruments } from './instruments.js';
import type { OperationRecord } from './operation-record.js';

const resource = (): ReturnType<typeof resourceFromAttributes> =>
  resourceFromAttributes({ 'service.name': 'ggen-marketplace' });

export interface OtlpExport {
  instruments: MarketplaceInstruments;
  meter: Meter;
  /** Pushes what was recorded and stops; resolves even when the collector is down. */
  shutdown: () => Promise<void>;
}

/** The marketplace.* instruments on a MeterProvider that pushes to an OTLP/HTTP endpoint. */
export function startOtlpExport(endpoint: string, timeoutMillis = 5_000): OtlpExport {
  const provider = new MeterProvider({
    resource: resource(),
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: endpoint, timeoutMillis }),
        // A CLI run is short: everything goes out at shutdown.
        exportIntervalMillis: 60_000,
        exportTimeoutMillis: timeoutMillis,
      }),
    ],
  });
  const meter = provider.getMeter('ggen-marketplace');
  return {
    meter,
    instruments: createInstruments(meter),
    shutdown: async () => {
      try {
        await provider.shutdown();
      } catch {
        // Export is best effort; the local record is the source of truth for the CLI reports.
      }
    },
  };
}

class CollectOnDemand extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The recorded operations replayed into the marketplace.* instruments and written as
 * Prometheus text exposition (for node_exporter's textfile collector or a push gateway).
 */
export async function prometheusText(records: readonly OperationRecord[]): Promise<string> {
  const reader = new CollectOnDemand();
  const provider = new MeterProvider({ resource: resource(), readers: [reader] });
  const instruments = createInstruments(provider.getMeter('ggen-marketplace'));
  for (const record of records) instruments.record(record);
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return new PrometheusSerializer().serialize(resourceMetrics);
}
