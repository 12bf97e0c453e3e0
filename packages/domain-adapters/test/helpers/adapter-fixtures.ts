import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig, type MarketplaceBackend } from '@ggen/marketplace-core';
import {
  checkedBackend,
  DualBackendAdapter,
  MetricsStore,
  type AdapterConfig,
  type DualBackendOptions,
} from '@ggen/domain-adapters';
import { createV1Backend } from '@ggen/marketplace-v1';
import { createV2Backend } from '@ggen/marketplace-v2';

const here = dirname(fileURLToPath(import.meta.url));
export const sampleRegistry = resolve(here, '..', '..', '..', 'cli', 'sample-registry');

export const realV1 = (location = sampleRegistry): MarketplaceBackend =>
  createV1Backend({ location, timeoutMs: 2000, retries: 0 });
export const realV2 = (location = sampleRegistry): MarketplaceBackend =>
  createV2Backend({ location, timeoutMs: 2000, retries: 0 });

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function copyOfSample(): string {
  const dir = tempDir('ggen-registry-');
  cpSync(sampleRegistry, dir, { recursive: true });
  return dir;
}

export function adapterConfig(overrides: Partial<AdapterConfig> = {}): AdapterConfig {
  const defaults = defaultConfig({ HOME: tempDir('ggen-home-') });
  return {
    backend: defaults.backend,
    v2_percentage: defaults.v2_percentage,
    enable_ab_testing: defaults.enable_ab_testing,
    fallback_on_error: defaults.fallback_on_error,
    operations: defaults.operations,
    v2_timeout_ms: defaults.v2_timeout_ms,
    state_dir: defaults.state_dir,
    ...overrides,
  };
}

export interface Harness {
  adapter: DualBackendAdapter;
  store: MetricsStore;
  created: { v1: number; v2: number };
}

/** A DualBackendAdapter over the given backends (checked, as the V1/V2 adapters are) with a real metrics directory. */
export function harness(
  config: Partial<AdapterConfig>,
  v1: MarketplaceBackend,
  v2: MarketplaceBackend,
  extra: Partial<DualBackendOptions> = {},
): Harness {
  const store = new MetricsStore(join(tempDir('ggen-metrics-'), 'metrics'));
  const created = { v1: 0, v2: 0 };
  const adapter = new DualBackendAdapter({
    config: adapterConfig(config),
    v1: () => {
      created.v1 += 1;
      return checkedBackend(v1);
    },
    v2: () => {
      created.v2 += 1;
      return checkedBackend(v2);
    },
    store,
    ...extra,
  });
  return { adapter, store, created };
}
