import { z } from 'zod';

let zodSet = false;

/**
 * zod, set up for this process: called before any schema is built (every schema of ggen is
 * built on first use, so that a command that checks nothing does not even load zod). ggen
 * validates a config, a lockfile and a few manifests per process: zod's JIT (a validator
 * compiled with new Function on first use, which no code cache keeps) costs more than it saves
 * there (~5 ms of a command's first config parse), so it is off.
 */
export function configuredZod(): typeof z {
  if (!zodSet) {
    z.config({ jitless: true });
    zodSet = true;
  }
  return z;
}

export const BACKEND_STRATEGIES = ['v1', 'v2', 'v2-with-fallback', 'ab-test', 'compare'] as const;
export type BackendStrategyName = (typeof BACKEND_STRATEGIES)[number];

/** Operations the adapter layer routes; each may override the strategy and the A/B share. */
export const ROUTED_OPERATIONS = ['search', 'info', 'install', 'update', 'remove', 'publish'] as const;
export type RoutedOperationName = (typeof ROUTED_OPERATIONS)[number];

const operationOverrideSchema = () =>
  z.object({ backend: z.enum(BACKEND_STRATEGIES).optional(), v2_percentage: z.number().int().min(0).max(100).optional(), fallback_on_error: z.boolean().optional() }).strict();
export type OperationOverride = z.infer<ReturnType<typeof operationOverrideSchema>>;

/**
 * The `marketplace:` section of config.yaml / ggen.yaml, one schema per key. Keys are the plan's.
 * Each is built when a value for it is checked: a command whose config is all defaults (no
 * file, variable or flag sets a key) builds none, and one flag builds one (the whole section's
 * schemas cost zod ~5 ms, which every command paid at start-up).
 */
const CONFIG_FIELDS = {
  backend: () => z.enum(BACKEND_STRATEGIES),
  v2_percentage: () => z.number().int().min(0).max(100),
  enable_ab_testing: () => z.boolean(),
  fallback_on_error: () => z.boolean(),
  log_backend_selection: () => z.boolean(),
  /** Per-operation strategy or A/B share, e.g. search at 50% v2 while install is at 25%. */
  operations: () => z.partialRecord(z.enum(ROUTED_OPERATIONS), operationOverrideSchema()),
  /** How long v2 may take before fallback or compare gives up on it, in milliseconds. */
  v2_timeout_ms: () => z.number().int().min(1).max(600_000),
  /** ggen's own state: the install id (A/B bucket) and the local metrics. */
  state_dir: () => z.string().min(1),
  /** Send the marketplace.* instruments to this OTLP/HTTP metrics endpoint as well. */
  otlp_endpoint: () => z.url().optional(),
  /** Push this install's cumulative ggen_marketplace_* series to this Prometheus Pushgateway after each command (the fleet view). */
  pushgateway_url: () => z.url().optional(),
  /** v1 registry: a directory or an http(s) base URL holding index.json. */
  registry: () => z.string().min(1).optional(),
  /** v2 registry location (RDF catalog + archives). */
  v2_registry: () => z.string().min(1).optional(),
  /** A remote SPARQL 1.1 endpoint holding the v2 catalog, instead of the embedded store. */
  sparql_endpoint: () => z.url().optional(),
  /** Its Graph Store endpoint, for `registry push`. */
  sparql_graph_store: () => z.url().optional(),
  sparql_user: () => z.string().min(1).optional(),
  /** Better set as GGEN_MARKETPLACE_SPARQL_PASSWORD than written in a file. */
  sparql_password: () => z.string().min(1).optional(),
  packages_dir: () => z.string().min(1),
  /** The lockfile; by default `ggen.lock` beside the packages directory. */
  lockfile: () => z.string().min(1).optional(),
  cache_dir: () => z.string().min(1),
  /** minisign public keys (base64 or .pub paths) whose signatures installs accept. */
  trusted_keys: () => z.array(z.string().min(1)),
  /** Every install must verify a trusted signature (as --verify-signature does). */
  require_signatures: () => z.boolean(),
  /** Network timeout for one registry request, in milliseconds. */
  timeout_ms: () => z.number().int().min(1).max(600_000),
  retries: () => z.number().int().min(0).max(10),
};

type ConfigShape = { [K in keyof typeof CONFIG_FIELDS]: ReturnType<(typeof CONFIG_FIELDS)[K]> };
export type MarketplaceConfig = z.infer<z.ZodObject<ConfigShape, z.core.$strict>>;
export type MarketplaceConfigKey = keyof MarketplaceConfig;

/** Every key of the section, in the schema's order (the order of `config show` and of error checks). */
export const CONFIG_KEYS = Object.keys(CONFIG_FIELDS) as MarketplaceConfigKey[];

const fieldSchemas = new Map<MarketplaceConfigKey, z.ZodType>();

/** The schema of one key's value, built on first use. */
export function configFieldSchema(key: MarketplaceConfigKey): z.ZodType {
  let schema = fieldSchemas.get(key);
  if (schema === undefined) {
    configuredZod();
    schema = CONFIG_FIELDS[key]();
    fieldSchemas.set(key, schema);
  }
  return schema;
}

/**
 * The schema of the keys `present` (in CONFIG_KEYS order, each optional) that refuses any other
 * key: what one file, the environment or the flags may set, checked as zod checks the whole
 * section, so that the first issue is the same one.
 */
export function configLayerSchema(present: readonly string[]): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const key of CONFIG_KEYS) if (present.includes(key)) shape[key] = configFieldSchema(key).optional();
  return configuredZod().object(shape).strict();
}

/** The whole section's schema (every key as a file or the effective config must hold it), built on first use. */
export function marketplaceConfigSchema(): z.ZodObject<ConfigShape, z.core.$strict> {
  return (wholeSchema ??= configuredZod()
    .object(Object.fromEntries(CONFIG_KEYS.map((key) => [key, configFieldSchema(key)])) as ConfigShape)
    .strict());
}
let wholeSchema: z.ZodObject<ConfigShape, z.core.$strict> | undefined;

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
