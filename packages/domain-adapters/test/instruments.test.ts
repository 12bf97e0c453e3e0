import { describe, expect, it } from '@jest/globals';
import { recordsAsPrometheusText, type OperationRecord } from '@ggen/domain-adapters';

// The plan's instruments beyond latency and errors, through the OpenTelemetry SDK's own
// Prometheus serializer: the adapter's own time per operation, and the signature verification rate.
const install = (more: Partial<OperationRecord>): OperationRecord => ({
  t: 0,
  op: 'install',
  strategy: 'v2',
  backend: 'v2',
  ok: true,
  ms: 30,
  fallback: false,
  attempts: [{ backend: 'v2', ok: true, ms: 26 }],
  ...more,
});

/** The value of one series line of the text, by its name and the start of its labels. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((entry) => entry.startsWith(series));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('the adapter and signature instruments', () => {
  it('record the adapter selection time and 1 per verified package, 0 per install refused for its signature', async () => {
    const text = await recordsAsPrometheusText([
      install({ verified: 3 }),
      install({ ok: false, attempts: [{ backend: 'v2', ok: false, ms: 20, error: 'GGEN_E_SIGNATURE_UNTRUSTED' }] }),
      install({ ms: 12, attempts: [{ backend: 'v2', ok: true, ms: 12 }] }),
    ]);
    expect(value(text, 'marketplace_signature_verification_rate_count{backend="v2"')).toBe(4);
    expect(value(text, 'marketplace_signature_verification_rate_sum{backend="v2"')).toBe(3);
    // 30 - 26, 30 - 20, 12 - 12: the adapter's own milliseconds per install.
    expect(value(text, 'marketplace_adapter_selection_time_count{operation="install"')).toBe(3);
    expect(value(text, 'marketplace_adapter_selection_time_sum{operation="install"')).toBe(14);
  });
});
