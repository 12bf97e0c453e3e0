import * as z from 'zod';

// ggen validates a config, a lockfile and a few manifests per process: zod's JIT (a validator
// compiled with new Function on first use) costs more than it saves there, so it is off.
z.config({ jitless: true });

export const BACKEND_STRATEGIES = ['v1', 'v2', 'v2-with-fallback', 'ab-test', 'compare'] as const;
export type BackendStrategyName = (typeof BACKEND_STRATEGIES)[number];

/** Operations the adapter layer routes; each may override the strategy and the A/B share. */
export const ROUTED_OPERATIONS = ['search', 'info', 'install', 'update', 'remove', 'publish'] as const;
export type RoutedOperationName = (typeof ROUTED_OPERATIONS)[number];

const backendRule = z.enum(BACKEND_STRATEGIES);
const percentageRule = z.number().int().min(0).max(100);
const text = z.string().min(1);
const url = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** A per-operation override: the strategy and A/B keys, by their own rules. */
const operationOverride = z
  .object({
    backend: backendRule.optional(),
    v2_percentage: percentageRule.optional(),
    fallback_on_error: z.boolean().optional(),
  })
  .strict();
export type OperationOverride = z.infer<typeof operationOverride>;

/**
 * The `marketplace:` section of config.yaml / ggen.yaml: one zod schema per key, the only
 * statement of each key's rule (the type of the config is inferred from it). Keys are the plan's.
 */
const CONFIG_FIELDS = {
  backend: backendRule,
  v2_percentage: percentageRule,
  enable_ab_testing: z.boolean(),
  fallback_on_error: z.boolean(),
  log_backend_selection: z.boolean(),
  /** Per-operation strategy or A/B share, e.g. search at 50% v2 while install is at 25%. */
  operations: z.partialRecord(z.enum(ROUTED_OPERATIONS), operationOverride),
  /** How long v2 may take before fallback or compare gives up on it, in milliseconds. */
  v2_timeout_ms: z.number().int().min(1).max(600_000),
  /** ggen's own state: the install id (A/B bucket) and the local metrics. */
  state_dir: text,
  /** Send the marketplace.* instruments to this OTLP/HTTP metrics endpoint as well. */
  otlp_endpoint: url.optional(),
  /** Push this install's cumulative ggen_marketplace_* series to this Prometheus Pushgateway after each command (the fleet view). */
  pushgateway_url: url.optional(),
  /** v1 registry: a directory or an http(s) base URL holding index.json. */
  registry: text.optional(),
  /** v2 registry location (RDF catalog + archives). */
  v2_registry: text.optional(),
  /** A remote SPARQL 1.1 endpoint holding the v2 catalog, instead of the embedded store. */
  sparql_endpoint: url.optional(),
  /** Its Graph Store endpoint, for `registry push`. */
  sparql_graph_store: url.optional(),
  /** Its SPARQL 1.1 Update endpoint, for `registry push`'s switch to the new catalog (default: Virtuoso's /sparql-auth beside the Graph Store). */
  sparql_update: url.optional(),
  sparql_user: text.optional(),
  /** Better set as GGEN_MARKETPLACE_SPARQL_PASSWORD than written in a file. */
  sparql_password: text.optional(),
  packages_dir: text,
  /** The lockfile; by default `ggen.lock` beside the packages directory. */
  lockfile: text.optional(),
  cache_dir: text,
  /** minisign public keys (base64 or .pub paths) whose signatures installs accept. */
  trusted_keys: z.array(text),
  /** Every install must verify a trusted signature (as --verify-signature does). */
  require_signatures: z.boolean(),
  /** Network timeout for one registry request, in milliseconds. */
  timeout_ms: z.number().int().min(1).max(600_000),
  retries: z.number().int().min(0).max(10),
  /**
   * `offline` (--offline): nothing is asked of the network; what is not kept here (archives in the
   * cache, a server's documents, a synced catalog) is an error. `prefer-offline`: what is kept is
   * used without asking whether it changed. `online`: kept documents are revalidated.
   */
  network: z.enum(['online', 'prefer-offline', 'offline']),
};

/** The whole section's schema: every key as a file or the effective config must hold it. */
const MARKETPLACE_CONFIG = z.object(CONFIG_FIELDS).strict();

export type MarketplaceConfig = z.infer<typeof MARKETPLACE_CONFIG>;
export type MarketplaceConfigKey = keyof typeof CONFIG_FIELDS;

/** Every key of the section, in the schema's order (the order of `config show` and of error checks). */
export const CONFIG_KEYS = Object.keys(CONFIG_FIELDS) as MarketplaceConfigKey[];

export const isConfigKey = (key: string): key is MarketplaceConfigKey => Object.hasOwn(CONFIG_FIELDS, key);

/** The schema of one key's value. */
export function configFieldSchema(key: MarketplaceConfigKey): z.ZodType {
  return CONFIG_FIELDS[key];
}

/**
 * The schema of the keys `present` (each optional) that refuses any other key: what one file,
 * the environment or the flags may set, checked as the whole section is, so that the first
 * issue is the same one.
 */
export function configLayerSchema(present: readonly string[]): z.ZodType {
  const mask: Partial<Record<MarketplaceConfigKey, true>> = {};
  for (const key of CONFIG_KEYS) if (present.includes(key)) mask[key] = true;
  return MARKETPLACE_CONFIG.pick(mask).partial();
}

/** The whole section's schema. */
export const marketplaceConfigSchema = (): typeof MARKETPLACE_CONFIG => MARKETPLACE_CONFIG;

/** Keys that hold a filesystem path (resolved relative to the file that sets them). */
export const PATH_KEYS: ReadonlySet<MarketplaceConfigKey> = new Set([
  'packages_dir',
  'lockfile',
  'cache_dir',
  'state_dir',
]);

/** Keys that hold a registry location: a URL as it is, a directory relative to the file that sets it. */
export const LOCATION_KEYS: ReadonlySet<MarketplaceConfigKey> = new Set(['registry', 'v2_registry']);

/**
 * Keys that decide what is trusted: a project file (a ggen.yaml in a repository someone else
 * wrote) may only tighten them. Its `require_signatures: false` does not turn off the user's
 * `true`, and its `trusted_keys` are not used: trust comes from the user's own config.
 */
export const SECURITY_KEYS: ReadonlySet<MarketplaceConfigKey> = new Set(['require_signatures', 'trusted_keys']);

/**
 * Keys only the user's own config, the environment or a flag may set, never a project file:
 * where ggen keeps its state (the trust file, the metrics a gate judges, the A/B install id,
 * install journals) and where its telemetry goes.
 */
export const USER_ONLY_KEYS: ReadonlySet<MarketplaceConfigKey> = new Set([
  'state_dir',
  'otlp_endpoint',
  'pushgateway_url',
]);

/** Keys that decide where packages come from and where telemetry goes: a project file that sets them says so. */
export const ORIGIN_KEYS: ReadonlySet<MarketplaceConfigKey> = new Set([
  'registry',
  'v2_registry',
  'sparql_endpoint',
  'sparql_graph_store',
  'sparql_update',
  'otlp_endpoint',
  'pushgateway_url',
]);
