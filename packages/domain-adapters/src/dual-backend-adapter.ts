import {
  isMarketplaceError,
  monotonicMs,
  ROUTED_OPERATIONS,
  type BackendStrategyName,
  type BackendType,
  type InstallResult,
  type MarketplaceBackend,
  type MarketplaceConfig,
  type PackageDetails,
  type PublishResult,
  type RoutedOperationName,
  type SearchResults,
  type UpdateResult,
} from '@ggen/marketplace-core';
import { bucketOf, readInstallId } from './install-id.js';
import type { MetricsStore } from './metrics/metrics-store.js';
import type { OperationRecord } from './metrics/operation-record.js';
import { onlyIn, overlapAtK, rankBiasedOverlap } from './ranking-overlap.js';
import { abTest } from './strategies/ab-test.js';
import { compare } from './strategies/compare.js';
import {
  AttemptFailure,
  type RoutedOperation,
  type Selection,
  type Strategy,
  type StrategyContext,
} from './strategies/routed-operation.js';
import { v1Only, v2Only } from './strategies/single-backend.js';
import { v2WithFallback } from './strategies/v2-with-fallback.js';

export const STRATEGIES: Record<BackendStrategyName, Strategy> = {
  v1: v1Only,
  v2: v2Only,
  'v2-with-fallback': v2WithFallback,
  'ab-test': abTest,
  compare,
};

export type AdapterConfig = Pick<
  MarketplaceConfig,
  'backend' | 'v2_percentage' | 'enable_ab_testing' | 'fallback_on_error' | 'operations' | 'v2_timeout_ms' | 'state_dir'
> & {
  /** `fallback_on_error` was written in a config file or variable, not left at its default. */
  fallback_on_error_set?: boolean;
  /** `backend` came from the command line (`--backend v1|v2` names exactly one backend). */
  backend_from_flag?: boolean;
};

export interface DualBackendOptions {
  config: AdapterConfig;
  v1: () => MarketplaceBackend;
  v2: () => MarketplaceBackend;
  store?: MetricsStore;
  /** Every routed operation, as recorded (for OpenTelemetry export at the end of a run). */
  onRecord?: (record: OperationRecord) => void;
  /** Told which backend serves each operation and why (log_backend_selection, deprecation). */
  onSelection?: (operation: RoutedOperationName, selection: Selection) => void;
  /** The install id; read from (or created in) state_dir when not given. */
  installId?: string;
  /** One line for the user (stderr): a fallback that happened, or failed too. */
  notice?: (line: string) => void;
}

/**
 * An override for `install` also routes `update` and `remove` (the installation operations), and
 * one for `search` also routes `info` (its read), unless those are named themselves.
 */
const OVERRIDE_GROUP: Partial<Record<RoutedOperationName, RoutedOperationName>> = {
  update: 'install',
  remove: 'install',
  info: 'search',
};

/**
 * What the plan's one global A/B block tests, told by its own keys as the plan writes them:
 * phase 3 (days 10-11: `v2_percentage` under 25, or no `fallback_on_error`) tests search, and
 * everything else stays on v1; phase 4 (day 21: 25-74% with `fallback_on_error: true`) tests the
 * installation operations, search (migrated in phase 3) is served by v2 with fallback, publish
 * stays on v1; phase 6 (day 31: 75% and up) tests every operation. Publishes write both formats
 * whichever backend serves them, while a registry holds both (dual writes).
 */
export function abTestScope(config: Pick<AdapterConfig, 'v2_percentage' | 'fallback_on_error_set'>): {
  phase: 3 | 4 | 6;
  tested: readonly RoutedOperationName[];
  /** How an operation the block does not test is served. */
  untested: (operation: RoutedOperationName) => BackendStrategyName;
} {
  if (config.v2_percentage >= 75) return { phase: 6, tested: ROUTED_OPERATIONS, untested: () => 'ab-test' };
  if (config.v2_percentage < 25 || config.fallback_on_error_set !== true)
    return { phase: 3, tested: ['search', 'info'], untested: () => 'v1' };
  return {
    phase: 4,
    tested: ['install', 'update', 'remove'],
    untested: (operation) => (operation === 'search' || operation === 'info' ? 'v2-with-fallback' : 'v1'),
  };
}

/** The strategy and A/B share one operation runs under, per-operation overrides applied. */
export function routingFor(
  config: AdapterConfig,
  operation: RoutedOperationName,
): { strategy: BackendStrategyName; v2Percentage: number; fallbackOnError: boolean } {
  const group = OVERRIDE_GROUP[operation];
  const override = config.operations[operation] ?? (group === undefined ? undefined : config.operations[group]);
  let strategy = override?.backend ?? config.backend;
  // The global A/B block tests the operations of its phase; an override names its own share.
  if (strategy === 'ab-test' && override?.backend === undefined && override?.v2_percentage === undefined) {
    const scope = abTestScope(config);
    if (!scope.tested.includes(operation)) strategy = scope.untested(operation);
  }
  const fallbackOnError = override?.fallback_on_error ?? config.fallback_on_error;
  // `backend: v2` in config falls back only when fallback was asked for in so many words (the plan's
  // day 32: "Keep V1 as fallback"); `--backend v2` on the command line is v2 alone.
  const asked =
    override?.fallback_on_error === true ||
    (override?.backend === undefined && config.fallback_on_error_set === true && config.backend_from_flag !== true);
  const v2Fallback = strategy === 'v2' && fallbackOnError && asked;
  return {
    strategy: v2Fallback ? 'v2-with-fallback' : strategy,
    v2Percentage: override?.v2_percentage ?? config.v2_percentage,
    fallbackOnError,
  };
}

/**
 * Every CLI operation goes through here: the configured strategy picks the backend, falls back
 * or compares, and every routed operation is recorded (locally, and to OpenTelemetry).
 */
export class DualBackendAdapter implements MarketplaceBackend {
  readonly #options: DualBackendOptions;
  readonly #backends = new Map<BackendType, MarketplaceBackend>();
  #bucket: number | undefined;

  constructor(options: DualBackendOptions) {
    this.#options = options;
  }

  /** The backend that serves local, backend-independent reads (list, validate, metadata). */
  #primary(): MarketplaceBackend {
    return this.#backend(this.#options.config.backend === 'v1' ? 'v1' : 'v2');
  }

  #backend(type: BackendType): MarketplaceBackend {
    let backend = this.#backends.get(type);
    if (backend === undefined) {
      backend = type === 'v1' ? this.#options.v1() : this.#options.v2();
      this.#backends.set(type, backend);
    }
    return backend;
  }

  /**
   * A dependency one registry lacks may come from the other when the operation may fall back at
   * all, and not when `--backend` named one backend on the command line.
   */
  #crossRegistry(operation: RoutedOperationName): boolean {
    return (
      this.#options.config.backend_from_flag !== true && routingFor(this.#options.config, operation).fallbackOnError
    );
  }

  bucket(): number {
    this.#bucket ??= bucketOf(this.#options.installId ?? readInstallId(this.#options.config.state_dir));
    return this.#bucket;
  }

  async #route<T>(operation: RoutedOperation<T>, annotate?: (value: T) => Partial<OperationRecord>): Promise<T> {
    const { config } = this.#options;
    const { strategy, v2Percentage, fallbackOnError } = routingFor(config, operation.operation);
    const context: StrategyContext = {
      backend: (type) => this.#backend(type),
      v2TimeoutMs: config.v2_timeout_ms,
      fallbackOnError,
      notice: (line) => this.#options.notice?.(line),
      v2Percentage,
      abTestingEnabled: config.enable_ab_testing,
      bucket: () => this.bucket(),
    };
    const started = monotonicMs();
    try {
      const outcome = await STRATEGIES[strategy](operation, context);
      this.#options.onSelection?.(operation.operation, outcome.selection);
      this.#record({
        t: Date.now(),
        op: operation.operation,
        strategy,
        backend: outcome.selection.backend,
        ok: true,
        ms: monotonicMs() - started,
        fallback: outcome.fallback,
        attempts: outcome.attempts,
        ...(outcome.comparison === undefined ? {} : { comparison: outcome.comparison }),
        ...annotate?.(outcome.value),
      });
      return outcome.value;
    } catch (error) {
      const attempts = error instanceof AttemptFailure ? error.attempts : [];
      const failure = error instanceof AttemptFailure ? error.failure : error;
      const last = attempts.at(-1);
      this.#record({
        t: Date.now(),
        op: operation.operation,
        strategy,
        backend: last?.backend ?? (strategy === 'v1' ? 'v1' : 'v2'),
        ok: false,
        ms: monotonicMs() - started,
        fallback: false,
        attempts,
        error: isMarketplaceError(failure) ? failure.code : 'GGEN_E_INTERNAL',
      });
      throw failure;
    }
  }

  #record(record: OperationRecord): void {
    this.#options.store?.append(record);
    this.#options.onRecord?.(record);
  }

  metadata(): ReturnType<MarketplaceBackend['metadata']> {
    return this.#primary().metadata();
  }

  search(query: Parameters<MarketplaceBackend['search']>[0]): Promise<SearchResults> {
    return this.#route<SearchResults>({
      operation: 'search',
      subject: query.text,
      run: (backend) => backend.search(query),
      compare: (v1, v2) => {
        const a = v1.packages.map((pkg) => pkg.name);
        const b = v2.packages.map((pkg) => pkg.name);
        // "Only in" over the same top 10 that overlap@10 measures, and each side's whole result count.
        const topA = a.slice(0, 10);
        const topB = b.slice(0, 10);
        return {
          overlapAt10: overlapAtK(a, b, 10),
          rbo: rankBiasedOverlap(a, b),
          onlyV1: onlyIn(topA, topB),
          onlyV2: onlyIn(topB, topA),
          v1Count: v1.total,
          v2Count: v2.total,
        };
      },
    });
  }

  getPackage(name: string, version?: string): Promise<PackageDetails | null> {
    return this.#route<PackageDetails | null>({
      operation: 'info',
      subject: version === undefined ? name : `${name}@${version}`,
      run: (backend) => backend.getPackage(name, version),
      compare: (v1, v2) => ({ fieldDifferences: detailDifferences(v1, v2) }),
    });
  }

  listInstalled(
    options: Parameters<MarketplaceBackend['listInstalled']>[0],
  ): ReturnType<MarketplaceBackend['listInstalled']> {
    return this.#primary().listInstalled(options);
  }

  install(
    request: Parameters<MarketplaceBackend['install']>[0],
    events?: Parameters<MarketplaceBackend['install']>[1],
  ): Promise<InstallResult> {
    return this.#route<InstallResult>(
      {
        operation: 'install',
        subject: request.specs.join(' '),
        run: (backend, signal) =>
          backend.install({ ...request, signal, crossRegistry: this.#crossRegistry('install') }, events),
        fallback: notForDependencies,
        ...(request.dryRun === true
          ? {}
          : { plan: (backend: MarketplaceBackend) => backend.install({ ...request, dryRun: true }) }),
        compare: (v1, v2) => ({ fieldDifferences: planDifferences(resolved(v1), resolved(v2)) }),
      },
      // The signature verification rate counts the packages whose signatures were verified.
      (result) =>
        request.verifySignatures === true && request.dryRun !== true
          ? { verified: result.installed.filter((pkg) => pkg.signature !== undefined).length }
          : {},
    );
  }

  update(
    request: Parameters<MarketplaceBackend['update']>[0],
    events?: Parameters<MarketplaceBackend['update']>[1],
  ): Promise<UpdateResult> {
    return this.#route<UpdateResult>({
      operation: 'update',
      subject: request.name ?? '(all)',
      run: (backend, signal) =>
        backend.update({ ...request, signal, crossRegistry: this.#crossRegistry('update') }, events),
      fallback: notForDependencies,
      ...(request.dryRun === true
        ? {}
        : { plan: (backend: MarketplaceBackend) => backend.update({ ...request, dryRun: true }) }),
      compare: (v1, v2) => ({
        fieldDifferences: planDifferences(
          new Map(v1.changes.map((change) => [change.name, change.to])),
          new Map(v2.changes.map((change) => [change.name, change.to])),
        ),
      }),
    });
  }

  remove(
    request: Parameters<MarketplaceBackend['remove']>[0],
    events?: Parameters<MarketplaceBackend['remove']>[1],
  ): ReturnType<MarketplaceBackend['remove']> {
    return this.#route({
      operation: 'remove',
      subject: request.name,
      run: (backend, signal) => backend.remove({ ...request, signal }, events),
      ...(request.dryRun === true
        ? {}
        : { plan: (backend: MarketplaceBackend) => backend.remove({ ...request, dryRun: true }) }),
    });
  }

  publish(request: Parameters<MarketplaceBackend['publish']>[0]): Promise<PublishResult> {
    return this.#route<PublishResult>(
      {
        operation: 'publish',
        subject: request.dir,
        run: (backend) => backend.publish(request),
        // A write goes to the registry it was meant for, never into the other format.
        fallback: () => false,
        ...(request.dryRun === true
          ? {}
          : { plan: (backend: MarketplaceBackend) => backend.publish({ ...request, dryRun: true }) }),
      },
      // A dry run publishes nothing: it is no signed (or unsigned) publish for the signature rate.
      (result) => (request.dryRun === true ? {} : { signed: result.signature !== undefined }),
    );
  }

  validate(dir: string): ReturnType<MarketplaceBackend['validate']> {
    return this.#primary().validate(dir);
  }
}

/**
 * Dependency confusion: when the primary registry has the package asked for but not one of
 * its dependencies, the whole install must not be served by the other registry, which could
 * hold anything under that name. Only a root the primary does not know is looked up there.
 */
function notForDependencies(error: unknown): boolean {
  if (!isMarketplaceError(error) || error.code !== 'GGEN_E_PACKAGE_NOT_FOUND') return true;
  const chain = error.details?.chain;
  return !Array.isArray(chain) || chain.length === 0;
}

function resolved(result: InstallResult): Map<string, string> {
  return new Map([...result.installed, ...result.unchanged].map((entry) => [entry.name, entry.version]));
}

/** Packages whose planned version differs, or that only one plan holds: `name: v1 -> v2`. */
function planDifferences(v1: Map<string, string>, v2: Map<string, string>): string[] {
  const names = [...new Set([...v1.keys(), ...v2.keys()])].sort();
  return names
    .filter((name) => v1.get(name) !== v2.get(name))
    .map((name) => `${name}: ${v1.get(name) ?? '-'} -> ${v2.get(name) ?? '-'}`);
}

const DETAIL_FIELDS = [
  'version',
  'description',
  'category',
  'author',
  'license',
  'tags',
  'keywords',
  'downloads',
  'stars',
  'dependencies',
  'integrity',
] as const;

function detailDifferences(v1: PackageDetails | null, v2: PackageDetails | null): string[] {
  if (v1 === null || v2 === null) return v1 === v2 ? [] : [`found: ${String(v1 !== null)} -> ${String(v2 !== null)}`];
  const differences: string[] = DETAIL_FIELDS.filter(
    (field) => JSON.stringify(v1[field]) !== JSON.stringify(v2[field]),
  );
  const versions = (details: PackageDetails): string => details.versions.map((entry) => entry.version).join(',');
  if (versions(v1) !== versions(v2)) differences.push('versions');
  return differences;
}
