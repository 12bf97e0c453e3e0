import { existsSync } from 'node:fs';
import { readRegularFileSync, realpathOrSelf } from '../read-regular-file.js';
import { readLockfile } from '../install/lockfile.js';
import { redactUrl } from '../redact.js';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type * as z from 'zod';
import { MarketplaceError } from '../errors.js';
import { isLocationUrl } from '../registry/registry-location.js';
import {
  CONFIG_KEYS,
  configFieldSchema,
  configLayerSchema,
  LOCATION_KEYS,
  ORIGIN_KEYS,
  PATH_KEYS,
  SECURITY_KEYS,
  USER_ONLY_KEYS,
  type MarketplaceConfig,
  type MarketplaceConfigKey,
} from './config-schema.js';

export type ConfigSourceKind = 'default' | 'user' | 'project' | 'env' | 'flag';

export interface ConfigSource {
  kind: ConfigSourceKind;
  /** The file, environment variable or flag that set the value. */
  origin: string;
}

export interface LoadedConfig {
  config: MarketplaceConfig;
  /** The project the command runs in: the nearest directory upwards with a ggen.yaml or a ggen.lock. */
  project?: string;
  sources: Record<MarketplaceConfigKey, ConfigSource>;
  files: { user: string; userExists: boolean; project?: string };
  /** What a project file changed that the user should know of (printed once per command), or was not allowed to change. */
  notices: string[];
}

export interface LoadConfigOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  /** `--config <path>`: replaces the user config file. */
  configPath?: string;
  /** Values from command-line flags, already named by config key. */
  flags?: Partial<Record<MarketplaceConfigKey, unknown>>;
  /** A build's own defaults over the built-in ones (the month-3 build serves v2 alone unless asked). */
  defaults?: Partial<MarketplaceConfig>;
}

type Layer = Partial<Record<MarketplaceConfigKey, unknown>>;

export function userConfigPath(env: Record<string, string | undefined>): string {
  const base =
    env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(home(env), '.config');
  return join(base, 'ggen', 'config.yaml');
}

function home(env: Record<string, string | undefined>): string {
  return env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir();
}

export function defaultConfig(env: Record<string, string | undefined>): MarketplaceConfig {
  const cacheBase =
    env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(home(env), '.cache');
  return {
    // The plan's end state (phase 6): v2 serves, v1 stays as the fallback.
    backend: 'v2-with-fallback',
    v2_percentage: 0,
    // The plan's blocks say `backend: ab-test` and mean it: the test runs unless paused explicitly.
    enable_ab_testing: true,
    fallback_on_error: true,
    log_backend_selection: false,
    operations: {},
    v2_timeout_ms: 15_000,
    state_dir: join(home(env), '.ggen'),
    packages_dir: join(home(env), '.ggen', 'packages'),
    cache_dir: join(cacheBase, 'ggen'),
    trusted_keys: [],
    require_signatures: false,
    timeout_ms: 10_000,
    retries: 2,
    network: 'online',
  };
}

/** Nearest `ggen.yaml` from `cwd` upwards, like npm finds package.json. */
export function findProjectConfig(cwd: string): string | undefined {
  const dir = findUpwards(cwd, [PROJECT_CONFIG]);
  return dir === undefined ? undefined : join(dir, PROJECT_CONFIG);
}

export const PROJECT_CONFIG = 'ggen.yaml';
export const PROJECT_LOCKFILE = 'ggen.lock';
/** The packages directory of a project whose lockfile names none, inside the project. */
export const PROJECT_PACKAGES_DIR = 'gpacks';

/**
 * The project `cwd` is in: the nearest directory upwards holding a ggen.yaml or a ggen.lock
 * (npm's and cargo's rule). Its packages directory and lockfile are the defaults there.
 */
export function findProjectRoot(cwd: string): string | undefined {
  return findUpwards(cwd, [PROJECT_CONFIG, PROJECT_LOCKFILE]);
}

function findUpwards(cwd: string, names: string[]): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    if (names.some((name) => existsSync(join(dir, name)))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * A project's packages directory: the one its lockfile records (when inside the project), else
 * `gpacks`. The lockfile is read as the untrusted file it is: only its `packagesDir` is looked
 * at here, and a value outside the project is not used.
 */
function projectPackagesDir(root: string): string {
  const fallback = join(root, PROJECT_PACKAGES_DIR);
  let recorded: string | undefined;
  try {
    recorded = readLockfile(join(root, PROJECT_LOCKFILE))?.packagesDir;
  } catch {
    // A damaged lockfile is reported by the command that reads it for what it locks.
    return fallback;
  }
  if (recorded === undefined || recorded === '') return fallback;
  const path = resolve(root, recorded);
  return insideProject(root, path) ? path : fallback;
}

/**
 * Effective configuration: defaults < user config.yaml < project ggen.yaml <
 * GGEN_MARKETPLACE_* environment < flags. Every layer is validated on its own so that an
 * error names the file (or variable, or flag) and the key.
 */
export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  const defaults = { ...defaultConfig(options.env), ...options.defaults };
  const values: Record<string, unknown> = { ...defaults };
  const sources = Object.fromEntries(
    CONFIG_KEYS.map((key) => [key, { kind: 'default', origin: 'built-in default' } satisfies ConfigSource]),
  ) as Record<MarketplaceConfigKey, ConfigSource>;

  const apply = (layer: Layer, kind: ConfigSourceKind, originOf: (key: MarketplaceConfigKey) => string): void => {
    for (const [key, value] of Object.entries(layer) as [MarketplaceConfigKey, unknown][]) {
      if (value === undefined) continue;
      values[key] = value;
      sources[key] = { kind, origin: originOf(key) };
    }
  };

  const userPath =
    options.configPath !== undefined ? resolve(options.cwd, options.configPath) : userConfigPath(options.env);
  const userExists = existsSync(userPath);
  if (options.configPath !== undefined && !userExists) {
    throw new MarketplaceError('GGEN_E_CONFIG_PARSE', `Config file ${userPath} does not exist`, {
      hint: 'Pass an existing file to --config, or drop the flag to use ~/.config/ggen/config.yaml.',
      details: { file: userPath },
    });
  }
  if (userExists) apply(readConfigFile(userPath, options.env), 'user', () => userPath);

  const notices: string[] = [];
  const project = findProjectRoot(options.cwd);
  if (project !== undefined) {
    values.packages_dir = projectPackagesDir(project);
    values.lockfile = join(project, PROJECT_LOCKFILE);
    for (const key of ['packages_dir', 'lockfile'] as const)
      sources[key] = { kind: 'default', origin: `the project at ${project}` };
  }
  const projectPath = findProjectConfig(options.cwd);
  if (projectPath !== undefined && projectPath !== userPath)
    apply(
      projectLayer(readConfigFile(projectPath, options.env), projectPath, values, notices),
      'project',
      () => projectPath,
    );

  apply(readEnvironment(options.env, options.cwd), 'env', (key) => envName(key, options.env));

  if (options.flags !== undefined) {
    const flags: Layer = {};
    for (const [key, value] of Object.entries(options.flags) as [MarketplaceConfigKey, unknown][]) {
      if (value === undefined) continue;
      flags[key] = PATH_KEYS.has(key) && typeof value === 'string' ? resolve(options.cwd, value) : value;
    }
    validateLayer(flags, (key) => `flag --${key.replaceAll('_', '-')}`);
    apply(flags, 'flag', (key) => `--${key.replaceAll('_', '-')}`);
  }

  // Every layer was checked above, and the defaults hold (tested): the merge needs no second
  // check. In the schema's key order, as a parse of the whole section returned it.
  const config: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) if (values[key] !== undefined) config[key] = values[key];
  return {
    config: config as MarketplaceConfig,
    ...(project === undefined ? {} : { project }),
    sources,
    files: { user: userPath, userExists, ...(projectPath === undefined ? {} : { project: projectPath }) },
    notices,
  };
}

/**
 * A project file's settings, less what it may not set. A ggen.yaml comes with a repository
 * someone else wrote: it may tighten trust, never loosen it; it may not move the user's state
 * (the trust file, the metrics a rollout gate judges, the A/B install id, install journals) nor
 * send telemetry anywhere; its packages directory, lockfile and cache must lie inside the
 * project. Each value it may not set is ignored with a note naming it; what it changes about
 * origins is told.
 */
function projectLayer(layer: Layer, path: string, before: Record<string, unknown>, notices: string[]): Layer {
  const kept: Layer = {};
  const project = dirname(path);
  for (const [key, value] of Object.entries(layer) as [MarketplaceConfigKey, unknown][]) {
    if (SECURITY_KEYS.has(key)) {
      const loosens =
        key === 'require_signatures'
          ? value === false && before.require_signatures === true
          : Array.isArray(value) && value.length > 0;
      if (loosens) {
        notices.push(
          key === 'require_signatures'
            ? `note: ${path} sets require_signatures: false; ignored, a project file can only tighten signature checks`
            : `note: ${path} lists trusted_keys; ignored, trust comes from your own config (~/.config/ggen/config.yaml or ~/.ggen/trusted-keys)`,
        );
        continue;
      }
    }
    if (USER_ONLY_KEYS.has(key)) {
      notices.push(`note: ${path} sets ${key}; ignored, only your own config or the environment may set it`);
      continue;
    }
    if (PATH_KEYS.has(key) && typeof value === 'string' && !insideProject(project, value)) {
      notices.push(
        `note: ${path} sets ${key}: ${value}; ignored, a project file may only name a location inside its project (${project})`,
      );
      continue;
    }
    if (ORIGIN_KEYS.has(key) && value !== before[key])
      notices.push(`note: ${path} sets ${key}: ${redactUrl(String(value))}`);
    kept[key] = value;
  }
  return kept;
}

/**
 * Whether `path` (already resolved against the project file) lies inside `project`, both as
 * written and once links are resolved: a committed `gpacks -> ~/` is outside.
 */
function insideProject(project: string, path: string): boolean {
  const within = (root: string, target: string): boolean => {
    const rel = relative(root, target);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  };
  if (!within(project, path)) return false;
  const realProject = realpathOrSelf(project);
  // The nearest part of the path that exists, resolved through its links.
  let existing = path;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  const real = join(realpathOrSelf(existing), relative(existing, path));
  return within(realProject, real);
}

function readConfigFile(path: string, env: Record<string, string | undefined>): Layer {
  let text: string;
  try {
    text = readRegularFileSync(path, 16 * 1024 * 1024).toString('utf8');
  } catch (cause) {
    if (cause instanceof MarketplaceError) throw cause;
    throw new MarketplaceError('GGEN_E_CONFIG_PARSE', `Cannot read config file ${path}`, {
      hint: 'Check that the file exists and is readable.',
      cause,
      details: { file: path },
    });
  }
  const doc = parseDocument(text, { prettyErrors: true });
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    const line = firstError.linePos?.[0].line;
    throw new MarketplaceError(
      'GGEN_E_CONFIG_PARSE',
      `Config file ${path}${line === undefined ? '' : `:${line}`} is not valid YAML: ${firstError.message.split('\n')[0] ?? ''}`,
      {
        hint: 'Fix the YAML syntax (indentation, quotes, colons) and run again.',
        details: { file: path, line },
      },
    );
  }
  let root: unknown;
  try {
    // Aliases are expanded with yaml's own bound (no billion laughs); past it, or on a cycle, the file is at fault.
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    throw new MarketplaceError(
      'GGEN_E_CONFIG_PARSE',
      `Config file ${path} cannot be read: ${(cause as Error).message.split('\n')[0] ?? ''}`,
      {
        hint: 'Write the settings out without YAML anchors and aliases (&name, *name).',
        cause,
        details: { file: path },
      },
    );
  }
  if (root === null || root === undefined) return {};
  if (typeof root !== 'object' || Array.isArray(root)) {
    throw new MarketplaceError(
      'GGEN_E_CONFIG_INVALID',
      `Config file ${path} must be a mapping with a 'marketplace:' section`,
      {
        hint: 'Write it as:\nmarketplace:\n  backend: v2-with-fallback',
        details: { file: path },
      },
    );
  }
  const section = (root as Record<string, unknown>).marketplace;
  if (section === undefined || section === null) return {};
  if (typeof section !== 'object' || Array.isArray(section)) {
    throw new MarketplaceError('GGEN_E_CONFIG_INVALID', `In ${path}, 'marketplace' must be a mapping of settings`, {
      hint: `Allowed keys: ${CONFIG_KEYS.join(', ')}`,
      details: { file: path, key: 'marketplace' },
    });
  }
  const layer: Layer = {};
  for (const [key, value] of Object.entries(section as Record<string, unknown>)) {
    layer[key as MarketplaceConfigKey] = isFilePath(key as MarketplaceConfigKey, value)
      ? resolve(dirname(path), expandHome(value, env))
      : value;
  }
  validateLayer(layer, () => path);
  return layer;
}

/** A value to resolve against the file (or working directory) that set it: a path key, or a registry that is not a URL. */
function isFilePath(key: MarketplaceConfigKey, value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (PATH_KEYS.has(key)) return true;
  return LOCATION_KEYS.has(key) && !isLocationUrl(value);
}

// HOME and the working directory come from the options, never from this process: the
// resident query service runs commands for callers with their own environment and cwd.
function expandHome(value: string, env: Record<string, string | undefined>): string {
  return value === '~' || value.startsWith('~/') ? join(home(env), value.slice(1)) : value;
}

const ENV_PREFIX = 'GGEN_MARKETPLACE_';
/** The plan names the A/B switch GGEN_MARKETPLACE_AB_TEST. */
const ENV_ALIASES: Partial<Record<MarketplaceConfigKey, string>> = { enable_ab_testing: 'GGEN_MARKETPLACE_AB_TEST' };

function envName(key: MarketplaceConfigKey, env: Record<string, string | undefined>): string {
  const alias = ENV_ALIASES[key];
  if (alias !== undefined && env[alias] !== undefined) return alias;
  return ENV_PREFIX + key.toUpperCase();
}

function readEnvironment(env: Record<string, string | undefined>, cwd: string): Layer {
  const layer: Layer = {};
  const known = new Set(CONFIG_KEYS.map((key) => ENV_PREFIX + key.toUpperCase()));
  for (const alias of Object.values(ENV_ALIASES)) known.add(alias);
  for (const name of Object.keys(env)) {
    if (name.startsWith(ENV_PREFIX) && !known.has(name)) {
      throw new MarketplaceError('GGEN_E_CONFIG_INVALID', `Unknown environment variable ${name}`, {
        hint: `Known variables: ${[...known].sort().join(', ')}`,
        details: { variable: name },
      });
    }
  }
  for (const key of CONFIG_KEYS) {
    const name = envName(key, env);
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    layer[key] = coerceEnvValue(key, raw);
  }
  validateLayer(layer, (key) => `environment variable ${envName(key, env)}`);
  for (const key of CONFIG_KEYS) {
    const value = layer[key];
    if (isFilePath(key, value)) layer[key] = resolve(cwd, expandHome(value, env));
  }
  return layer;
}

/** Environment values are text: convert to the key's type, leaving range checks to the schema. */
function coerceEnvValue(key: MarketplaceConfigKey, raw: string): unknown {
  const lowered = raw.trim().toLowerCase();
  const candidates: unknown[] = [raw];
  if (['true', '1', 'yes', 'on'].includes(lowered)) candidates.push(true);
  if (['false', '0', 'no', 'off'].includes(lowered)) candidates.push(false);
  if (/^-?\d+(\.\d+)?$/.test(raw.trim())) candidates.push(Number(raw));
  if (raw.trim().startsWith('{')) {
    try {
      candidates.push(JSON.parse(raw));
    } catch {
      // Not JSON: the schema reports the value as it was given.
    }
  }
  candidates.push(
    raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );
  for (const candidate of candidates) {
    const result = configFieldSchema(key).safeParse(candidate);
    if (result.success || result.error.issues[0]?.code !== 'invalid_type') return candidate;
  }
  return raw;
}

function validateLayer(layer: Layer, where: (key: MarketplaceConfigKey) => string): void {
  // No key set (no such variables, flags or file): nothing to check.
  const present = Object.keys(layer);
  if (present.length === 0) return;
  const result = configLayerSchema(present).safeParse(layer);
  if (result.success) return;
  const issue = result.error.issues[0];
  const key = (issue?.path[0] ?? Object.keys(layer)[0]) as MarketplaceConfigKey;
  throw configError(issue, where(key));
}

function configError(issue: z.core.$ZodIssue | undefined, where: string): MarketplaceError {
  if (issue === undefined) return new MarketplaceError('GGEN_E_CONFIG_INVALID', `Invalid configuration in ${where}`);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ');
    return new MarketplaceError('GGEN_E_CONFIG_INVALID', `Unknown key marketplace.${keys} in ${where}`, {
      hint: `Allowed keys: ${CONFIG_KEYS.join(', ')}`,
      details: { where, key: keys },
    });
  }
  const key = issue.path.map(String).join('.');
  return new MarketplaceError(
    'GGEN_E_CONFIG_INVALID',
    `Invalid value for marketplace.${key} in ${where}: ${describeAllowed(issue)}`,
    {
      hint: `Set marketplace.${key} to ${describeAllowed(issue)}.`,
      details: { where, key },
    },
  );
}

function describeAllowed(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_value':
      return `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'too_small':
      return `a value >= ${String(issue.minimum)}`;
    case 'too_big':
      return `a value <= ${String(issue.maximum)}`;
    case 'invalid_type':
      return `a ${issue.expected}`;
    default:
      return issue.message;
  }
}
