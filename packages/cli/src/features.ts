import type { BackendType, LoadedConfig, MarketplaceBackend } from '@ggen/marketplace-core';

export type FeatureName = import('./build-facts.js').BuildFacts['name'];

export interface BackendContext {
  loaded: LoadedConfig;
  /** The v1 registry location: config, --registry, or the built-in sample registry. */
  registry: string;
  /** The v2 registry location: config, --registry, or the built-in sample registry. */
  v2Registry: string;
  log: (message: string) => void;
  /** A line for people on stderr; dropped under --json. */
  notice: (line: string) => void;
  /** Work to finish after the command (e.g. pushing metrics); awaited before exit. */
  onFinish: (task: () => Promise<void>) => void;
  /**
   * What this process keeps between commands (the query service's open stores; a one-shot run
   * keeps nothing). Opaque here: the runner names no backend's type, and a build's backends
   * check it is theirs before they use it.
   */
  cache?: unknown;
}

/** What one feature build compiles in; each main-*.ts builds exactly one of these. */
export interface FeatureSet {
  name: FeatureName;
  backends: BackendType[];
  adapters: boolean;
  /** The strategy that serves when no config names one (`features` prints it). */
  defaultBackend: string;
  /** The backend that serves marketplace operations, or undefined when none is compiled in. */
  createBackend?: (context: BackendContext) => MarketplaceBackend;
  /** Commands only this build can serve (they import a backend's own code). */
  commands?: readonly unknown[];
  /** This build's defaults over the built-in ones (month 3: v2 serves alone unless v1 is asked for). */
  configDefaults?: Partial<import('@ggen/marketplace-core').MarketplaceConfig>;
  /** Refuses what this build no longer has (month 6: the migration's keys), naming the key. */
  checkConfig?: (loaded: LoadedConfig) => void;
  /**
   * In builds that carry v2: a change to the v2 directory `registry` (publish, lifecycle, keys)
   * checks its package against the local store under `storeRoot` when one was synced from it,
   * instead of reading the whole catalog (localStoreLookup).
   */
  checkChangesInStore?: (registry: string, storeRoot: string) => void;
  /** Package signing, in builds that carry v2's minisign code. */
  createSigner?: (
    context: import('./cli-context.js').CliContext,
    keyPath: string,
  ) => Promise<import('@ggen/marketplace-core').ArchiveSigner>;
}
