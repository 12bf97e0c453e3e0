import { z } from 'zod';
import { plainlyAccepts, zodShape, type Shape } from '../shape.js';

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

/** A schema built once, on first use, after zod is set up: how every memoised schema of ggen is made. */
export function lazySchema<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => (built ??= (configuredZod(), build()));
}

export const BACKEND_STRATEGIES = ['v1', 'v2', 'v2-with-fallback', 'ab-test', 'compare'] as const;
export type BackendStrategyName = (typeof BACKEND_STRATEGIES)[number];

/** Operations the adapter layer routes; each may override the strategy and the A/B share. */
export const ROUTED_OPERATIONS = ['search', 'info', 'install', 'update', 'remove', 'publish'] as const;
export type RoutedOperationName = (typeof ROUTED_OPERATIONS)[number];

const BACKEND_RULE = { kind: 'enum', values: BACKEND_STRATEGIES } as const;
const PERCENTAGE_RULE = { kind: 'number', integer: true, min: 0, max: 100 } as const;
const TEXT = { kind: 'string', nonEmpty: true } as const;
const OPTIONAL_TEXT = { ...TEXT, optional: true } as const;
const OPTIONAL_URL = { kind: 'url', optional: true } as const;

/**
 * The `marketplace:` section of config.yaml / ggen.yaml, one Shape per key (shape.ts: the zod
 * schema and the plain check come from it). Keys are the plan's. A key's schema is built when a
 * value for it needs zod: a command whose config is all defaults builds none, and plain values
 * (a --registry path, a backend name) pass without it (the whole section's schemas cost zod
 * ~5 ms, which every command paid at start-up).
 */
const CONFIG_FIELDS = {
  backend: BACKEND_RULE,
  v2_percentage: PERCENTAGE_RULE,
  enable_ab_testing: { kind: 'boolean' },
  fallback_on_error: { kind: 'boolean' },
  log_backend_selection: { kind: 'boolean' },
  /** Per-operation strategy or A/B share, e.g. search at 50% v2 while install is at 25%. */
  operations: {
    kind: 'partialRecord',
    keys: ROUTED_OPERATIONS,
    of: {
      kind: 'object',
      strict: true,
      fields: { backend: { ...BACKEND_RULE, optional: true }, v2_percentage: { ...PERCENTAGE_RULE, optional: true }, fallback_on_error: { kind: 'boolean', optional: true } },
    },
  },
  /** How long v2 may take before fallback or compare gives up on it, in milliseconds. */
  v2_timeout_ms: { kind: 'number', integer: true, min: 1, max: 600_000 },
  /** ggen's own state: the install id (A/B bucket) and the local metrics. */
  state_dir: TEXT,
  /** Send the marketplace.* instruments to this OTLP/HTTP metrics endpoint as well. */
  otlp_endpoint: OPTIONAL_URL,
  /** Push this install's cumulative ggen_marketplace_* series to this Prometheus Pushgateway after each command (the fleet view). */
  pushgateway_url: OPTIONAL_URL,
  /** v1 registry: a directory or an http(s) base URL holding index.json. */
  registry: OPTIONAL_TEXT,
  /** v2 registry location (RDF catalog + archives). */
  v2_registry: OPTIONAL_TEXT,
  /** A remote SPARQL 1.1 endpoint holding the v2 catalog, instead of the embedded store. */
  sparql_endpoint: OPTIONAL_URL,
  /** Its Graph Store endpoint, for `registry push`. */
  sparql_graph_store: OPTIONAL_URL,
  /** Its SPARQL 1.1 Update endpoint, for `registry push`'s switch to the new catalog (default: Virtuoso's /sparql-auth beside the Graph Store). */
  sparql_update: OPTIONAL_URL,
  sparql_user: OPTIONAL_TEXT,
  /** Better set as GGEN_MARKETPLACE_SPARQL_PASSWORD than written in a file. */
  sparql_password: OPTIONAL_TEXT,
  packages_dir: TEXT,
  /** The lockfile; by default `ggen.lock` beside the packages directory. */
  lockfile: OPTIONAL_TEXT,
  cache_dir: TEXT,
  /** minisign public keys (base64 or .pub paths) whose signatures installs accept. */
  trusted_keys: { kind: 'array', of: TEXT },
  /** Every install must verify a trusted signature (as --verify-signature does). */
  require_signatures: { kind: 'boolean' },
  /** Network timeout for one registry request, in milliseconds. */
  timeout_ms: { kind: 'number', integer: true, min: 1, max: 600_000 },
  retries: { kind: 'number', integer: true, min: 0, max: 10 },
} as const satisfies Record<string, Shape>;

type Fields = typeof CONFIG_FIELDS;

/** A per-operation override: the strategy and A/B keys, by their own rules. */
export interface OperationOverride {
  backend?: BackendStrategyName | undefined;
  v2_percentage?: number | undefined;
  fallback_on_error?: boolean | undefined;
}

type ValueOf<R> = R extends { kind: 'enum'; values: readonly (infer V)[] }
  ? V
  : R extends { kind: 'number' }
    ? number
    : R extends { kind: 'boolean' }
      ? boolean
      : R extends { kind: 'array' }
        ? string[]
        : R extends { kind: 'partialRecord' }
          ? Partial<Record<RoutedOperationName, OperationOverride>>
          : string;
type OptionalKey = { [K in keyof Fields]: Fields[K] extends { optional: true } ? K : never }[keyof Fields];

export type MarketplaceConfig = { [K in Exclude<keyof Fields, OptionalKey>]: ValueOf<Fields[K]> } & { [K in OptionalKey]?: ValueOf<Fields[K]> | undefined };
export type MarketplaceConfigKey = keyof Fields;

/** Every key of the section, in the schema's order (the order of `config show` and of error checks). */
export const CONFIG_KEYS = Object.keys(CONFIG_FIELDS) as MarketplaceConfigKey[];

export const isConfigKey = (key: string): key is MarketplaceConfigKey => Object.hasOwn(CONFIG_FIELDS, key);

/**
 * Whether `value` is one the key's rule surely allows, decided without zod: a plain value of a
 * plain rule (a name of the enum, an integer in range, a boolean, non-empty strings). It never
 * passes what the key's schema refuses (test/config.test.ts); a URL, the operations map, or a
 * value it does not pass goes to zod, which accepts it or names what is wrong.
 */
export function configValueIsPlain(key: MarketplaceConfigKey, value: unknown): boolean {
  return plainlyAccepts(CONFIG_FIELDS[key], value);
}

const fieldSchemas = new Map<MarketplaceConfigKey, z.ZodType>();

/** The schema of one key's value, built on first use. */
export function configFieldSchema(key: MarketplaceConfigKey): z.ZodType {
  let schema = fieldSchemas.get(key);
  if (schema === undefined) {
    configuredZod();
    schema = zodShape(CONFIG_FIELDS[key]);
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
export const marketplaceConfigSchema: () => z.ZodObject<Record<MarketplaceConfigKey, z.ZodType>, z.core.$strict> = lazySchema(() =>
  z.object(Object.fromEntries(CONFIG_KEYS.map((key) => [key, configFieldSchema(key)])) as Record<MarketplaceConfigKey, z.ZodType>).strict(),
);

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

/**
 * Keys only the user's own config, the environment or a flag may set, never a project file:
 * where ggen keeps its state (the trust file, the metrics a gate judges, the A/B install id,
 * install journals) and where its telemetry goes.
 */
export const USER_ONLY_KEYS: ReadonlySet<MarketplaceConfigKey> = new Set(['state_dir', 'otlp_endpoint', 'pushgateway_url']);

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
