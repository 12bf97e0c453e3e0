import type { Meter } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  MeterProvider,
  MetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { createInstruments, type MarketplaceInstruments } from './instruments.js';
import type { OperationRecord } from './operation-record.js';

const resource = (): ReturnType<typeof resourceFromAttributes> =>
  resourceFromAttributes({ 'service.name': 'ggen-marketplace' });

export interface OtlpExport {
  instruments: MarketplaceInstruments;
  meter: Meter;
  /** Pushes what was recorded and stops; resolves to why the push failed (the collector is down), or undefined. */
  shutdown: () => Promise<string | undefined>;
}

/** The OTLP exporter, remembering why an export failed (the SDK reports it to no caller). */
function rememberingFailure(inner: PushMetricExporter): {
  exporter: PushMetricExporter;
  failure: () => string | undefined;
} {
  let failure: string | undefined;
  const exporter: PushMetricExporter = {
    export: (metrics: ResourceMetrics, done: (result: ExportResult) => void) => {
      inner.export(metrics, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) failure = result.error?.message ?? 'the export failed';
        done(result);
      });
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    ...(inner.selectAggregationTemporality === undefined
      ? {}
      : { selectAggregationTemporality: inner.selectAggregationTemporality.bind(inner) }),
  };
  return { exporter, failure: () => failure };
}

/** The marketplace.* instruments on a MeterProvider that pushes to an OTLP/HTTP endpoint. */
export function startOtlpExport(endpoint: string, timeoutMillis = 5_000): OtlpExport {
  const otlp = rememberingFailure(new OTLPMetricExporter({ url: endpoint, timeoutMillis }));
  const provider = new MeterProvider({
    resource: resource(),
    readers: [
      new PeriodicExportingMetricReader({
        exporter: otlp.exporter,
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
      // Export is best effort (the local record is the source of truth for the CLI's reports): a
      // failure is told, never thrown.
      try {
        await provider.shutdown();
      } catch (error) {
        return (error as Error).message;
      }
      return otlp.failure();
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
