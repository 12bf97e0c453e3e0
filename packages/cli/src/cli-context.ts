import { dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import {
  isHttpLocation,
  isLocationUrl,
  loadConfig,
  MarketplaceError,
  registryWriter,
  type InstallPaths,
  type InstallPolicy,
  type LoadedConfig,
  type MarketplaceBackend,
  type MarketplaceConfigKey,
} from '@ggen/marketplace-core';
import type { Logger } from 'pino';
import type { FeatureSet } from './features.js';
import { sampleRegistryPath } from './sample-registry.js';
import { credentialsPath, tokenFor } from './credentials.js';

export interface GlobalArgs {
  json: boolean;
  verbose: boolean;
  /** Notes, warnings and progress off: results and errors only. */
  quiet?: boolean;
  backend?: string;
  registry?: string;
  config?: string;
}

export interface Io {
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTty: boolean;
}

/** Everything a command handler needs, built once at the edge. */
export class CliContext {
  readonly features: FeatureSet;
  readonly io: Io;
  readonly args: GlobalArgs;
  /** Only with --verbose: nothing else is logged. */
  readonly logger: Logger | undefined;
  #loaded: LoadedConfig | undefined;
  #backend: MarketplaceBackend | undefined;
  readonly #finishers: (() => Promise<void>)[] = [];

  readonly #cache: unknown;

  constructor(features: FeatureSet, io: Io, args: GlobalArgs, logger: Logger | undefined, cache?: unknown) {
    this.features = features;
    this.io = io;
    this.args = args;
    this.logger = logger;
    this.#cache = cache;
  }

  /** What this process keeps between commands (the query service's); undefined in a one-shot run. */
  get cache(): unknown {
    return this.#cache;
  }

  config(): LoadedConfig {
    if (this.#loaded !== undefined) return this.#loaded;
    const flags: Partial<Record<MarketplaceConfigKey, unknown>> = {};
    if (this.args.backend !== undefined) flags.backend = this.args.backend;
    if (this.args.registry !== undefined)
      flags.registry = isLocationUrl(this.args.registry)
        ? this.args.registry
        : resolve(this.io.cwd, this.args.registry);
    const loaded = loadConfig({
      cwd: this.io.cwd,
      env: this.io.env,
      flags,
      ...(this.args.config === undefined ? {} : { configPath: this.args.config }),
    });
    this.#loaded = loaded;
    // Once per command: what a project file changed about where packages come from, or was not allowed to loosen.
    for (const line of loaded.notices) this.notice(line);
    return loaded;
  }

  registry(): string {
    return this.config().config.registry ?? sampleRegistryPath();
  }

  /** The v2 registry: --registry, else v2_registry, else registry, else the built-in sample. */
  v2Registry(): string {
    const { config, sources } = this.config();
    if (sources.registry.kind === 'flag') return this.registry();
    return config.v2_registry ?? config.registry ?? sampleRegistryPath();
  }

  /**
   * A v2 registry that may be written (keys, yank, deprecate, dist-tag): given by --registry or
   * config, never the read-only built-in sample; a directory, or (`server`: the command has a
   * registry server API) an http(s) URL.
   */
  writableV2Registry(command: string, options: { server?: boolean } = {}): string {
    const { config, sources } = this.config();
    if (sources.registry.kind === 'default' && config.v2_registry === undefined) {
      throw new MarketplaceError('GGEN_E_USAGE', `${command} needs a registry to write to`, {
        hint: 'Pass --registry <dir> or set marketplace.v2_registry (or marketplace.registry); the built-in sample registry is read-only.',
      });
    }
    const registry = this.v2Registry();
    // Refused here for an http(s) registry, before a key is read or a password asked.
    if (options.server !== true || !isHttpLocation(registry)) registryWriter(registry, `run ${command} on`);
    return registry;
  }

  /** The token `login` stored for a registry server (or GGEN_TOKEN); undefined for a directory. */
  registryToken(registry: string): string | undefined {
    return tokenFor(registry, this.io.env, credentialsPath(this.io.env, homedir()));
  }

  /** Packages dir and lockfile, with `--target` overriding the config, and the user's state (install journals). */
  installPaths(target: string | undefined): Required<InstallPaths> {
    const { config } = this.config();
    const packagesDir = target === undefined ? config.packages_dir : resolve(this.io.cwd, target);
    const lockfilePath =
      target === undefined && config.lockfile !== undefined ? config.lockfile : join(dirname(packagesDir), 'ggen.lock');
    return { packagesDir, lockfilePath, stateDir: config.state_dir };
  }

  /**
   * The one channel for notes, warnings and progress lines: stderr, and nothing under --json
   * (which prints one JSON document) or --quiet (results and errors only).
   */
  notice(line: string): void {
    if (!this.args.json && this.args.quiet !== true) this.io.stderr(line);
  }

  /** Verification and rollback protection for every command that installs: the flags, tightened by require_signatures. */
  installPolicy(args: { 'verify-signature': boolean; 'allow-downgrade': boolean }): InstallPolicy {
    return {
      verifySignatures: args['verify-signature'] || this.config().config.require_signatures,
      allowDowngrade: args['allow-downgrade'],
    };
  }

  backend(): MarketplaceBackend {
    if (this.#backend !== undefined) return this.#backend;
    const factory = this.features.createBackend;
    if (factory === undefined) {
      throw new MarketplaceError(
        'GGEN_E_BACKEND_UNAVAILABLE',
        `This build (${this.features.name}) has no backend that serves marketplace commands`,
        {
          hint: 'Use the marketplace-parallel or marketplace-v1 build.',
        },
      );
    }
    this.#backend = factory({
      loaded: this.config(),
      registry: this.registry(),
      v2Registry: this.v2Registry(),
      log: (message) => {
        this.logger?.info(message);
      },
      notice: (line) => {
        this.notice(line);
      },
      onFinish: (task) => this.#finishers.push(task),
      ...(this.#cache === undefined ? {} : { cache: this.#cache }),
    });
    return this.#backend;
  }

  /** Runs the work registered with onFinish; the runner calls it once the command returned. */
  async finish(): Promise<void> {
    for (const task of this.#finishers.splice(0)) await task();
  }
}
