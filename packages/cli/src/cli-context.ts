import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import {
  isHttpLocation,
  isLocationUrl,
  loadConfig,
  MarketplaceError,
  readLockfile,
  redactUrl,
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
import { seenBefore } from './seen-notes.js';
import { storeRootOf } from './store-root.js';
import type { TerminalSession } from './terminal-session.js';

export interface GlobalArgs {
  json: boolean;
  verbose: boolean;
  /** Notes, warnings and progress off: results and errors only. */
  quiet?: boolean;
  backend?: string;
  registry?: string;
  config?: string;
  offline?: boolean;
  'prefer-offline'?: boolean;
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

  /** The terminal a one-shot run draws on (status line, Ctrl-C); undefined for pipes, --json and the query service. */
  readonly terminal: TerminalSession | undefined;

  constructor(
    features: FeatureSet,
    io: Io,
    args: GlobalArgs,
    logger: Logger | undefined,
    cache?: unknown,
    terminal?: TerminalSession,
  ) {
    this.features = features;
    this.io = io;
    this.args = args;
    this.logger = logger;
    this.#cache = cache;
    this.terminal = terminal;
  }

  /** What this process keeps between commands (the query service's); undefined in a one-shot run. */
  get cache(): unknown {
    return this.#cache;
  }

  config(): LoadedConfig {
    if (this.#loaded !== undefined) return this.#loaded;
    const flags: Partial<Record<MarketplaceConfigKey, unknown>> = {};
    if (this.args.backend !== undefined) flags.backend = this.args.backend;
    if (this.args.offline === true) flags.network = 'offline';
    else if (this.args['prefer-offline'] === true) flags.network = 'prefer-offline';
    if (this.args.registry !== undefined)
      flags.registry = isLocationUrl(this.args.registry)
        ? this.args.registry
        : resolve(this.io.cwd, this.args.registry);
    const loaded = loadConfig({
      cwd: this.io.cwd,
      env: this.io.env,
      flags,
      ...(this.args.config === undefined ? {} : { configPath: this.args.config }),
      ...(this.features.configDefaults === undefined ? {} : { defaults: this.features.configDefaults }),
    });
    this.features.checkConfig?.(loaded);
    this.#loaded = loaded;
    // What a project file changed about where packages come from, or was not allowed to loosen:
    // said the first time it is seen, not on every command (--verbose says it every time).
    for (const line of loaded.notices) this.noticeOnce(line);
    return loaded;
  }

  /** The v1 registry: --registry or config, else the one the project's lockfile names, else the built-in sample. */
  registry(): string {
    return (
      this.config().config.registry ?? this.#lockedRegistry('v1') ?? this.#lockedRegistry('v2') ?? sampleRegistryPath()
    );
  }

  /** The v2 registry: --registry, else v2_registry, else registry, else the lockfile's, else the built-in sample. */
  v2Registry(): string {
    const { config, sources } = this.config();
    if (sources.registry.kind === 'flag') return this.registry();
    return (
      config.v2_registry ??
      config.registry ??
      this.#lockedRegistry('v2') ??
      this.#lockedRegistry('v1') ??
      sampleRegistryPath()
    );
  }

  /**
   * Where the project's lockfile says a registry was, for a checkout that configures none (a
   * teammate's plain `install`): a URL, or a directory that exists here. Integrity pins what
   * is installed from it, as it does for a registry a ggen.yaml names.
   */
  #lockedRegistry(id: 'v1' | 'v2'): string | undefined {
    if (this.#locked.has(id)) return this.#locked.get(id);
    const location = this.#readLockedRegistry(id);
    this.#locked.set(id, location);
    return location;
  }

  readonly #locked = new Map<string, string | undefined>();

  #readLockedRegistry(id: 'v1' | 'v2'): string | undefined {
    const { config, project } = this.config();
    if (project === undefined || config.lockfile === undefined) return undefined;
    let entry: string | undefined;
    try {
      entry = readLockfile(config.lockfile)?.registries?.[id];
    } catch {
      // A damaged lockfile is reported by the command that installs from it.
      return undefined;
    }
    if (entry === undefined) return undefined;
    const location = isHttpLocation(entry) ? entry : resolve(dirname(config.lockfile), entry);
    if (!isHttpLocation(location) && !existsSync(location)) return undefined;
    this.noticeOnce(`note: using the ${id} registry ${redactUrl(location)} named by ${config.lockfile}`);
    return location;
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
    this.checkChangesInStore(registry);
    return registry;
  }

  /** A change to a directory registry checks its package against the local store this user synced (FeatureSet.checkChangesInStore). */
  checkChangesInStore(registry: string): void {
    if (isHttpLocation(registry)) return;
    this.features.checkChangesInStore?.(registry, storeRootOf(this.config().config));
  }

  /** The token `login` stored for a registry server (or GGEN_TOKEN); undefined for a directory. */
  registryToken(registry: string): string | undefined {
    return tokenFor(registry, this.io.env, credentialsPath(this.io.env, homedir()));
  }

  /**
   * Packages dir and lockfile: the project's (the nearest ggen.yaml or ggen.lock upwards), else
   * ~/.ggen's, with `--target` overriding them; the user's state (install journals) and cache.
   * A `--target` other than the configured packages directory has the lockfile beside it.
   */
  installPaths(target: string | undefined): Required<InstallPaths> {
    const { config } = this.config();
    const packagesDir = target === undefined ? config.packages_dir : resolve(this.io.cwd, target);
    const lockfilePath =
      config.lockfile !== undefined && packagesDir === resolve(config.packages_dir)
        ? config.lockfile
        : join(dirname(packagesDir), 'ggen.lock');
    return { packagesDir, lockfilePath, stateDir: config.state_dir, cacheDir: config.cache_dir };
  }

  /**
   * The one channel for notes, warnings and progress lines: stderr, and nothing under --json
   * (which prints one JSON document) or --quiet (results and errors only).
   */
  notice(line: string): void {
    if (!this.args.json && this.args.quiet !== true) this.io.stderr(line);
  }

  /**
   * A note worth saying once: printed the first time this user sees it (kept as a digest in
   * `<state_dir>/seen-notes.json`), and again only under --verbose. A state directory that
   * cannot be written says it every time.
   */
  noticeOnce(line: string): void {
    if (this.args.json || this.args.quiet === true) return;
    const { config } = this.config();
    if (this.args.verbose || !seenBefore(join(config.state_dir, 'seen-notes.json'), line)) this.notice(line);
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
