import type { OperationRecord } from './operation-record.js';

// The OpenTelemetry SDK is loaded only by the runs that export: a plain command pays nothing.

/**
 * Replays a run's records into the marketplace.* instruments and pushes them over OTLP/HTTP;
 * resolves to why the push failed, or undefined (nothing to push is no failure).
 */
export async function exportRecordsOverOtlp(
  endpoint: string,
  records: readonly OperationRecord[],
  timeoutMillis?: number,
): Promise<string | undefined> {
  if (records.length === 0) return undefined;
  const { startOtlpExport } = await import('./otel-export.js');
  const otlp = startOtlpExport(endpoint, timeoutMillis);
  for (const record of records) otlp.instruments.record(record);
  return otlp.shutdown();
}

/** The records as Prometheus text exposition, through the OpenTelemetry SDK's serializer. */
export async function recordsAsPrometheusText(records: readonly OperationRecord[]): Promise<string> {
  const { prometheusText } = await import('./otel-export.js');
  return prometheusText(records);
}
