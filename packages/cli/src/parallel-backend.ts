import { createV1Adapter, createV2Adapter, type AdapterConfig } from '@ggen/domain-adapters';
import type { LoadedConfig, MarketplaceBackend } from '@ggen/marketplace-core';
import { V1Registry, type V1RegistryOptions } from '@ggen/marketplace-v1';
import { V2Registry, type V2RegistryOptions } from '@ggen/marketplace-v2';
import type { BackendContext } from './features.js';
import { v2Options } from './remote-options.js';
import { fetchOptionsOf } from './fetch-options.js';
import { monitoredBackend } from './monitored-backend.js';

/** The adapters' view of the config: the values, and whether fallback and backend were chosen in so many words. */
export function adapterConfigOf(loaded: LoadedConfig): AdapterConfig {
  return {
    ...loaded.config,
    fallback_on_error_set: loaded.sources.fallback_on_error.kind !== 'default',
    backend_from_flag: loaded.sources.backend.kind === 'flag',
  };
}

/** Every operation of the parallel build goes through the DualBackendAdapter. */
export function createParallelBackend(context: BackendContext): MarketplaceBackend {
  const { loaded, registry, v2Registry, cache } = context;
  const { config } = loaded;
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
  return monitoredBackend(context, adapterConfigOf(loaded), {
    v1: () => createV1Adapter(v1Options, v1Source()),
    v2: () => createV2Adapter(v2RegistryOptions, v2Source()),
  });
}
