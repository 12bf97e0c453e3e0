import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { SearchQuery } from '@ggen/marketplace-core';
import { bucketOf, routingFor, type Selection } from '@ggen/domain-adapters';
import { codeOf } from '../../../tools/testing/coded-error.mjs';
import { adapterConfig, copyOfSample, harness, realV1, realV2, tempDir } from './helpers/adapter-fixtures.js';
import { counting, withFaults, type Fault } from './helpers/faulty-backend.js';

const query = (text: string): SearchQuery => ({ text, limit: 10, offset: 0, sort: 'relevance' });
const always = (fault: Fault) => (): Fault => fault;
const target = (): { packagesDir: string; lockfilePath: string } => {
  const root = tempDir('ggen-target-');
  return { packagesDir: join(root, 'gpacks'), lockfilePath: join(root, 'ggen.lock') };
};
/** An install id whose bucket is `bucket`, found by search. */
const idInBucket = (wanted: (bucket: number) => boolean): string => {
  for (let index = 0; ; index += 1) if (wanted(bucketOf(`id-${index}`))) return `id-${index}`;
};

describe('V1Only and V2Only', () => {
  it('serve from their one backend and never create the other', async () => {
    const v1 = harness({ backend: 'v1' }, realV1(), realV2());
    expect((await v1.adapter.search(query('agent memory'))).backend).toBe('v1');
    expect(v1.created).toEqual({ v1: 1, v2: 0 });
    const v2 = harness({ backend: 'v2' }, realV1(), realV2());
    expect((await v2.adapter.search(query('agent memory'))).backend).toBe('v2');
    expect(v2.created).toEqual({ v1: 0, v2: 1 });
  });

  it('V2Only passes a v2 failure on as a coded error, with no fallback', async () => {
    const { adapter, store } = harness({ backend: 'v2' }, realV1(), withFaults(realV2(), always('throw')));
    expect(await codeOf(adapter.search(query('agent')))).toBe('GGEN_E_REGISTRY_UNREACHABLE');
    expect(store.read()).toMatchObject([
      { op: 'search', strategy: 'v2', backend: 'v2', ok: false, fallback: false, error: 'GGEN_E_REGISTRY_UNREACHABLE' },
    ]);
  });
});

describe('V2WithFallback', () => {
  it('is served by v2 when v2 answers', async () => {
    const { adapter, store, created } = harness({ backend: 'v2-with-fallback' }, realV1(), realV2());
    expect((await adapter.search(query('agent memory'))).backend).toBe('v2');
    expect(created.v1).toBe(0);
    expect(store.read()[0]).toMatchObject({ backend: 'v2', ok: true, fallback: false });
  });

  it.each(['throw', 'malformed', 'hang'] as const)(
    'falls back to v1 when v2 %s, and counts the fallback',
    async (fault) => {
      // Only the hang needs a tight budget; a real answer (then made malformed) must have time to come.
      const { adapter, store } = harness(
        { backend: 'v2-with-fallback', v2_timeout_ms: fault === 'hang' ? 50 : 10_000 },
        realV1(),
        withFaults(realV2(), always(fault)),
      );
      const results = await adapter.search(query('agent memory'));
      expect(results.backend).toBe('v1');
      expect(results.packages[0]?.name).toBe('agent-memory-forge');
      const [record] = store.read();
      const expected = {
        throw: 'GGEN_E_REGISTRY_UNREACHABLE',
        malformed: 'GGEN_E_BACKEND_MALFORMED',
        hang: 'GGEN_E_BACKEND_TIMEOUT',
      }[fault];
      expect(record).toMatchObject({
        backend: 'v1',
        ok: true,
        fallback: true,
        attempts: [
          { backend: 'v2', ok: false, error: expected },
          { backend: 'v1', ok: true },
        ],
      });
    },
  );

  it('falls back when the v2 store itself is corrupt', async () => {
    const broken = copyOfSample();
    writeFileSync(join(broken, 'catalog.nq'), '<urn:a> <urn:b> "unterminated .\n');
    const { adapter, store } = harness({ backend: 'v2-with-fallback' }, realV1(), realV2(broken));
    expect((await adapter.getPackage('agent-editor'))?.name).toBe('agent-editor');
    expect(store.read()[0]).toMatchObject({ op: 'info', backend: 'v1', fallback: true });
  });

  it('with fallback_on_error off, hands the v2 error to the user', async () => {
    const { adapter } = harness(
      { backend: 'v2-with-fallback', fallback_on_error: false },
      realV1(),
      withFaults(realV2(), always('throw')),
    );
    expect(await codeOf(adapter.search(query('agent')))).toBe('GGEN_E_REGISTRY_UNREACHABLE');
  });

  it('does not fall back on errors in the request itself', async () => {
    const v1 = counting(realV1());
    const { adapter } = harness({ backend: 'v2-with-fallback' }, v1, realV2());
    expect(await codeOf(adapter.install({ specs: ['NOT A NAME!'], ...target() }))).toBe('GGEN_E_USAGE');
    expect(v1.calls.install).toBeUndefined();
  });

  it('installs through v1 when v2 fails, into the same paths and lockfile', async () => {
    const paths = target();
    const { adapter } = harness({ backend: 'v2-with-fallback' }, realV1(), withFaults(realV2(), always('throw')));
    const result = await adapter.install({ specs: ['agent-reasoning-mcp'], ...paths });
    expect(result.installed.map((entry) => `${entry.name}:${entry.backend}`)).toEqual([
      'agent-memory-forge:v1',
      'agent-context-crafter:v1',
      'agent-reasoning-mcp:v1',
    ]);
    expect(existsSync(join(paths.packagesDir, 'agent-reasoning-mcp', 'gpack.yaml'))).toBe(true);
  });
});

describe('ABTest', () => {
  it('sends an install whose bucket is below v2_percentage to v2, the others to v1', async () => {
    const low = idInBucket((bucket) => bucket < 30);
    const high = idInBucket((bucket) => bucket >= 30);
    const selections: Selection[] = [];
    const config = { backend: 'ab-test' as const, v2_percentage: 30, enable_ab_testing: true };
    const inV2 = harness(config, realV1(), realV2(), {
      installId: low,
      onSelection: (_, selection) => selections.push(selection),
    });
    const inV1 = harness(config, realV1(), realV2(), {
      installId: high,
      onSelection: (_, selection) => selections.push(selection),
    });
    expect((await inV2.adapter.search(query('agent'))).backend).toBe('v2');
    expect((await inV1.adapter.search(query('agent'))).backend).toBe('v1');
    expect(selections.map((selection) => [selection.backend, selection.bucket])).toEqual([
      ['v2', bucketOf(low)],
      ['v1', bucketOf(high)],
    ]);
  });

  it('keeps the bucket of an install across adapters (sticky per install id)', () => {
    const config = adapterConfig({ backend: 'ab-test', v2_percentage: 50, enable_ab_testing: true });
    const first = harness(config, realV1(), realV2());
    const second = harness(config, realV1(), realV2());
    expect(first.adapter.bucket()).toBe(second.adapter.bucket());
    expect(readFileSync(join(config.state_dir, 'install-id'), 'utf8').trim()).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('pauses when enable_ab_testing is false: everything goes to v1', async () => {
    const low = idInBucket((bucket) => bucket < 10);
    const { adapter, created } = harness(
      { backend: 'ab-test', v2_percentage: 100, enable_ab_testing: false },
      realV1(),
      realV2(),
      { installId: low },
    );
    expect((await adapter.search(query('agent'))).backend).toBe('v1');
    expect(created.v2).toBe(0);
  });

  it('honours per-operation shares: search at 50% while install is at 25%', async () => {
    const config = {
      backend: 'ab-test' as const,
      v2_percentage: 50,
      enable_ab_testing: true,
      operations: { install: { v2_percentage: 25 } },
    };
    expect(routingFor(adapterConfig(config), 'search')).toEqual({
      strategy: 'ab-test',
      v2Percentage: 50,
      fallbackOnError: true,
    });
    expect(
      routingFor(
        adapterConfig({ ...config, operations: { install: { v2_percentage: 25, fallback_on_error: false } } }),
        'install',
      ),
    ).toEqual({
      strategy: 'ab-test',
      v2Percentage: 25,
      fallbackOnError: false,
    });
    const id = idInBucket((bucket) => bucket >= 25 && bucket < 50);
    const { adapter } = harness(config, realV1(), realV2(), { installId: id });
    expect((await adapter.search(query('agent'))).backend).toBe('v2');
    const result = await adapter.install({ specs: ['agent-editor'], ...target() });
    expect(result.installed[0]?.backend).toBe('v1');
  });
});

describe('Compare', () => {
  it('runs both backends once each, returns v2 and records the differences', async () => {
    const v1 = counting(realV1());
    const v2 = counting(realV2());
    const { adapter, store } = harness({ backend: 'compare' }, v1, v2);
    const results = await adapter.search(query('agent memory'));
    expect(results.backend).toBe('v2');
    expect([v1.calls.search?.length, v2.calls.search?.length]).toEqual([1, 1]);
    const comparison = store.read()[0]?.comparison;
    expect(comparison).toMatchObject({
      subject: 'agent memory',
      overlapAt10: expect.any(Number),
      rbo: expect.any(Number),
    });
    expect(comparison?.v1Ms).toBeGreaterThan(0);
    expect(comparison?.v2Ms).toBeGreaterThan(0);
    // The recorded figures are those of the two answers.
    const v1Results = await realV1().search(query('agent memory'));
    const v1Top = v1Results.packages.map((pkg) => pkg.name).slice(0, 10);
    const v2Top = results.packages.map((pkg) => pkg.name).slice(0, 10);
    expect(comparison?.onlyV1).toEqual(v1Top.filter((name) => !v2Top.includes(name)));
    expect(comparison?.onlyV2).toEqual(v2Top.filter((name) => !v1Top.includes(name)));
    expect([comparison?.v1Count, comparison?.v2Count]).toEqual([v1Results.total, results.total]);
    expect(results.total).toBeGreaterThan(0);
  });

  it('returns v1 when v2 fails, without running v1 a second time', async () => {
    const v1 = counting(realV1());
    const { adapter, store } = harness({ backend: 'compare' }, v1, withFaults(realV2(), always('throw')));
    expect((await adapter.search(query('agent'))).backend).toBe('v1');
    expect(v1.calls.search).toHaveLength(1);
    expect(store.read()[0]).toMatchObject({ backend: 'v1', fallback: true });
  });

  it('gives up on a hanging backend at its time budget', async () => {
    // The budget applies to both sides: v1 is warmed first so that only v2's hang meets it.
    const v1 = realV1();
    await v1.search(query('warm'));
    const { adapter, store } = harness(
      { backend: 'compare', v2_timeout_ms: 200 },
      v1,
      withFaults(realV2(), always('hang')),
    );
    expect((await adapter.search(query('agent'))).backend).toBe('v1');
    expect(store.read()[0]?.attempts).toContainEqual(
      expect.objectContaining({ backend: 'v2', error: 'GGEN_E_BACKEND_TIMEOUT' }),
    );
  });

  it('compares the install plans of both backends, then installs once with v2', async () => {
    const v1 = counting(realV1());
    const v2 = counting(realV2());
    const paths = target();
    const { adapter, store } = harness({ backend: 'compare' }, v1, v2);
    const result = await adapter.install({ specs: ['agent-reasoning-mcp'], ...paths });
    expect(result.installed.every((entry) => entry.backend === 'v2')).toBe(true);
    expect(v1.calls.install?.map(([request]) => (request as { dryRun?: boolean }).dryRun)).toEqual([true]);
    expect(v2.calls.install?.map(([request]) => (request as { dryRun?: boolean }).dryRun === true)).toEqual([
      true,
      false,
    ]);
    expect(store.read()[0]?.comparison).toMatchObject({ subject: 'agent-reasoning-mcp', fieldDifferences: [] });
    expect(JSON.parse(readFileSync(paths.lockfilePath, 'utf8')).packages['agent-reasoning-mcp'].backend).toBe('v2');
  });

  it('records field differences between the two answers for info', async () => {
    const changed = copyOfSample();
    const indexPath = join(changed, 'index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { packages: { name: string; description: string }[] };
    const entry = index.packages.find((pkg) => pkg.name === 'agent-editor');
    if (entry === undefined) throw new Error('agent-editor missing from the sample');
    entry.description = 'changed in v1 only';
    writeFileSync(indexPath, JSON.stringify(index));
    const { adapter, store } = harness({ backend: 'compare' }, realV1(changed), realV2());
    await adapter.getPackage('agent-editor');
    expect(store.read()[0]?.comparison?.fieldDifferences).toEqual(['description']);
  });
});
