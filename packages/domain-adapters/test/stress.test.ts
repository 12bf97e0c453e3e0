import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import type { MarketplaceBackend } from '@ggen/marketplace-core';
import { checkedBackend, DualBackendAdapter, MetricsStore, summarizeMetrics } from '@ggen/domain-adapters';
import { adapterConfig, realV1, realV2, tempDir } from './helpers/adapter-fixtures.js';
import { withFaults, type Fault } from './helpers/faulty-backend.js';

/** A deterministic generator (mulberry32), so that a failing run can be replayed exactly. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const QUERIES = [
  'agent memory',
  'rust web',
  'bibtex',
  'healthcare',
  'graphql api',
  'sparql',
  'cli',
  'finance ledger',
  'test',
  'ontology',
];
const NAMES = [
  'agent-editor',
  'agent-memory-forge',
  'academic-bibliography-manager',
  'no-such-package',
  'agent-reasoning-mcp',
];

describe('stress: 10,000 mixed operations at ABTest 50% with faults in 20% of v2 calls', () => {
  it('serves more than 99.9% of them through fallback and counts every fallback', async () => {
    const next = random(20261201);
    const injected: Record<Fault, number> = { throw: 0, hang: 0, malformed: 0, none: 0 };
    const pick = (): Fault => {
      const roll = next();
      // 20% of v2 calls fail: half throw, a quarter answer malformed data, a quarter hang.
      const fault: Fault = roll < 0.1 ? 'throw' : roll < 0.15 ? 'malformed' : roll < 0.2 ? 'hang' : 'none';
      injected[fault] += 1;
      return fault;
    };
    const v1 = checkedBackend(realV1());
    const realV2Backend = realV2();
    // Load both stores before timing starts: the first v2 call loads the catalog.
    await realV2Backend.search({ text: 'warm', limit: 1, offset: 0, sort: 'relevance' });
    await v1.search({ text: 'warm', limit: 1, offset: 0, sort: 'relevance' });
    const v2 = withFaults(realV2Backend, pick);
    const checkedV2: MarketplaceBackend = checkedBackend(v2);
    const store = new MetricsStore(join(tempDir('ggen-stress-'), 'metrics'));
    const config = adapterConfig({ backend: 'ab-test', v2_percentage: 50, enable_ab_testing: true, v2_timeout_ms: 20 });
    let served = 0;
    let failed = 0;
    let fallbacks = 0;
    const total = 10_000;
    for (let index = 0; index < total; index += 1) {
      // Each operation comes from another install, so the 50% share shows across installs.
      const adapter = new DualBackendAdapter({
        config,
        v1: () => v1,
        v2: () => checkedV2,
        store,
        installId: `install-${index}`,
        onRecord: (record) => (fallbacks += record.fallback ? 1 : 0),
      });
      try {
        if (index % 3 === 0) await adapter.getPackage(NAMES[index % NAMES.length] ?? 'agent-editor');
        else
          await adapter.search({
            text: QUERIES[index % QUERIES.length] ?? 'agent',
            limit: 10,
            offset: 0,
            sort: 'relevance',
          });
        served += 1;
      } catch {
        failed += 1;
      }
      // oxigraph frees result terms between event-loop turns (PERF-NOTES): let it.
      if (index % 50 === 0) await yieldToEventLoop();
    }
    const faults = injected.throw + injected.hang + injected.malformed;
    expect(served / total).toBeGreaterThan(0.999);
    expect(failed).toBe(total - served);
    // About half the operations reached v2, and about 20% of those calls were faulted.
    expect(v2.calls / total).toBeGreaterThan(0.47);
    expect(v2.calls / total).toBeLessThan(0.53);
    expect(faults / v2.calls).toBeGreaterThan(0.18);
    expect(faults / v2.calls).toBeLessThan(0.22);
    // Every v2 failure became exactly one counted fallback, served by v1: the injected ones, plus
    // the rare real call that overran the 20 ms budget on a busy machine.
    const records = store.read();
    const v2Failures = records.filter((record) =>
      record.attempts.some((attempt) => attempt.backend === 'v2' && !attempt.ok),
    ).length;
    expect(fallbacks).toBe(v2Failures);
    expect(fallbacks).toBeGreaterThanOrEqual(faults);
    expect(fallbacks - faults).toBeLessThanOrEqual(v2.calls * 0.02);
    const summary = summarizeMetrics(records, 0);
    expect(summary.operations).toBe(total);
    expect(summary.fallbacks).toEqual({ attempted: fallbacks, succeeded: fallbacks });
  }, 300_000);
});
