import { z } from 'zod';

// ggen validates a config, a lockfile and a few manifests per process: zod's JIT (a validator
// compiled with new Function on first use, which no code cache keeps) costs more than it saves
// there (~5 ms of a command's first config parse). One process-wide setting, made here, where
// the first schema a command uses is defined.
z.config({ jitless: true });

export const BACKEND_STRATEGIES = ['v1', 'v2', 'v2-with-fallback', 'ab-test', 'compare'] as const;
export type BackendStrategyName = (typeof BACKEND_STRATEGIES)[number];

/** Operations the adapter layer routes; each may override the strategy and the A/B share. */
export const ROUTED_OPERATIONS = ['search', 'info', 'install', 'update', 'remove', 'publish'] as const;
export type RoutedOperationName = (typeof ROUTED_OPERATIONS)[number];

const operationOverrideSchema = z
  .object({ backend: z.enum(BACKEND_STRATEGIES).optional(), v2_percentage: z.number().int().min(0).max(100).optional(), fallback_on_error: z.boolean().optional() })
  .strict();
export type OperationOverride = z.infer<typeof operationOverrideSchema>;

/** The `marketplace:` section of config.yaml / ggen.yaml. Keys are the plan's. */
export const marketplaceConfigSchema = z
  .object({
    backend: z.enum(BACKEND_STRATEGIES),
    v2_percentage: z.number().int().min(0).max(100),
    enable_ab_testing: z.boolean(),
    fallback_on_error: z.boolean(),
    log_backend_selection: z.boolean(),
    /** Per-operation strategy or A/B share, e.g. search at 50% v2 while install is at 25%. */
    operations: z.partialRecord(z.enum(ROUTED_OPERATIONS), operationOverrideSchema),
    /** How long v2 may take before fallback or compare gives up on it, in milliseconds. */
    v2_timeout_ms: z.number().int().min(1).max(600_000),
    /** ggen's own state: the install id (A/B bucket) and the local metrics. */
    state_dir: z.string().min(1),
    /** Send the marketplace.* instruments to this OTLP/HTTP metrics endpoint as well. */
    otlp_endpoint: z.url().optional(),
    /** Push this install's cumulative ggen_marketplace_* series to this Prometheus Pushgateway after each command (the fleet view). */
    pushgateway_url: z.url().optional(),
    /** v1 registry: a directory or an http(s) base URL holding index.json. */
    registry: z.string().min(1).optional(),
    /** v2 registry location (RDF catalog + archives). */
    v2_registry: z.string().min(1).optional(),
    /** A remote SPARQL 1.1 endpoint holding the v2 catalog, instead of the embedded store. */
    sparql_endpoint: z.url().optional(),
    /** Its Graph Store endpoint, for `registry push`. */
    sparql_graph_store: z.url().optional(),
    sparql_user: z.string().min(1).optional(),
    /** Better set as GGEN_MARKETPLACE_SPARQL_PASSWORD than written in a file. */
    sparql_password: z.string().min(1).optional(),
    packages_dir: z.string().min(1),
    /** The lockfile; by default `ggen.lock` beside the packages directory. */
    lockfile: z.string().min(1).optional(),
    cache_dir: z.string().min(1),
    /** minisign public keys (base64 or .pub paths) whose signatures installs accept. */
    trusted_keys: z.array(z.string().min(1)),
    /** Every install must verify a trusted signature (as --verify-signature does). */
    require_signatures: z.boolean(),
    /** Network timeout for one registry request, in milliseconds. */
    timeout_ms: z.number().int().min(1).max(600_000),
    retries: z.number().int().min(0).max(10),
  })
  .strict();

export type MarketplaceConfig = z.infer<typeof marketplaceConfigSchema>;
export type MarketplaceConfigKey = keyof MarketplaceConfig;

export const CONFIG_KEYS = Object.keys(marketplaceConfigSchema.shape) as MarketplaceConfigKey[];

/** Keys that hold a filesystem path (resolved relative to the file that sets them). */
export const PATH_KEYS: ReadonlySet<MarketplaceConfigKey> = new Set(['packages_dir', 'lockfile', 'cache_dir', 'state_dir']);

/** Keys that hold a registry location: a URL as it is, a directory relative to the file that sets it. */
export const LOCATION_KEYS: ReadonlySet<MarketplaceConfigKey> = new Set(['registry', 'v2_registry']);

/**
 * Keys that decide what is trusted: a project file (a ggen.yaml in a repository someone else
 * wrote) may only tighten them. Its `require_signatures: false` does not turn off the user's
 * `true`, and its `trusted_keys` are not used: trust comes from the user's own config.
 */
export const SECURITY_KEYS: ReadonlySet<MarketplaceConfigKey> = new Set(['require_signatures', 'trusted_keys']);

/** Keys that decide where packages come from and where telemetry goes: a project file that sets them says so. */
export const ORIGIN_KEYS: ReadonlySet<MarketplaceConfigKey> = new Set(['registry', 'v2_registry', 'sparql_endpoint', 'sparql_graph_store', 'otlp_endpoint', 'pushgateway_url']);
