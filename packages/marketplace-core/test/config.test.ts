import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  CONFIG_KEYS,
  defaultConfig,
  loadConfig,
  marketplaceConfigSchema,
  MarketplaceError,
  userConfigPath,
} from '@ggen/marketplace-core';

function sandbox(): { home: string; project: string; env: Record<string, string> } {
  const home = mkdtempSync(join(tmpdir(), 'ggen-config-'));
  const project = join(home, 'work', 'project');
  mkdirSync(project, { recursive: true });
  return { home, project, env: { HOME: home } };
}

function writeUserConfig(home: string, text: string): string {
  const path = join(home, '.config', 'ggen', 'config.yaml');
  mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function thrown(fn: () => unknown): MarketplaceError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MarketplaceError) return error;
    throw error;
  }
  throw new Error('expected a MarketplaceError');
}

describe('loadConfig', () => {
  it('uses the built-in defaults when nothing is configured', () => {
    const { home, project, env } = sandbox();
    const { config, sources } = loadConfig({ cwd: project, env });
    expect(config.backend).toBe('v2-with-fallback');
    expect(config.packages_dir).toBe(join(home, '.ggen', 'packages'));
    expect(config.cache_dir).toBe(join(home, '.cache', 'ggen'));
    expect(sources.backend.kind).toBe('default');
  });

  it('finds the project upwards: its gpacks/ and ggen.lock, or the packages directory its lockfile records inside it', () => {
    const { project, env } = sandbox();
    const root = join(project, 'app');
    const deep = join(root, 'src', 'deep');
    mkdirSync(deep, { recursive: true });
    // No ggen.yaml or ggen.lock up to the filesystem root: the user's ~/.ggen.
    expect(loadConfig({ cwd: deep, env }).project).toBeUndefined();
    writeFileSync(
      join(root, 'ggen.lock'),
      '{"lockfileVersion":1,"packagesDir":"vendor/gpacks","requested":{},"packages":{}}',
    );
    const inside = loadConfig({ cwd: deep, env });
    expect([inside.project, inside.config.packages_dir, inside.config.lockfile]).toEqual([
      root,
      join(root, 'vendor', 'gpacks'),
      join(root, 'ggen.lock'),
    ]);
    expect(inside.sources.packages_dir).toEqual({ kind: 'default', origin: `the project at ${root}` });
    // A lockfile that names a directory outside its project is not followed there.
    writeFileSync(
      join(root, 'ggen.lock'),
      '{"lockfileVersion":1,"packagesDir":"../../elsewhere","requested":{},"packages":{}}',
    );
    expect(loadConfig({ cwd: deep, env }).config.packages_dir).toBe(join(root, 'gpacks'));
    // Nor is a damaged one's.
    writeFileSync(join(root, 'ggen.lock'), 'not json');
    expect(loadConfig({ cwd: deep, env }).config.packages_dir).toBe(join(root, 'gpacks'));
    // A ggen.yaml nearer than the lockfile makes its own directory the project.
    writeFileSync(join(root, 'src', 'ggen.yaml'), '');
    expect(loadConfig({ cwd: deep, env }).config.packages_dir).toBe(join(root, 'src', 'gpacks'));
  });

  // Each layer is checked on its own and the merge is not checked again: these hold only if
  // the defaults are valid and a merge of valid layers is what a parse of the whole section gives.
  it('returns what a parse of the whole section returns, defaults and every layer alike', () => {
    const { home, project, env } = sandbox();
    expect(marketplaceConfigSchema().parse(defaultConfig(env))).toEqual(defaultConfig(env));
    expect(Object.keys(marketplaceConfigSchema().shape)).toEqual(CONFIG_KEYS);
    writeUserConfig(
      home,
      'marketplace:\n  retries: 4\n  trusted_keys: [RWQabc]\n  operations:\n    install: { backend: v1 }\n  otlp_endpoint: http://127.0.0.1:4318/v1/metrics\n',
    );
    writeFileSync(join(home, 'work', 'ggen.yaml'), 'marketplace:\n  lockfile: ./my.lock\n');
    const loaded = loadConfig({
      cwd: project,
      env: { ...env, GGEN_MARKETPLACE_V2_PERCENTAGE: '30' },
      flags: { registry: '/srv/registry', backend: 'compare' },
    });
    const whole = marketplaceConfigSchema().parse(loaded.config);
    expect(loaded.config).toEqual(whole);
    expect(Object.keys(loaded.config)).toEqual(Object.keys(whole));
    expect(loaded.config).toMatchObject({
      retries: 4,
      v2_percentage: 30,
      backend: 'compare',
      registry: '/srv/registry',
      lockfile: join(home, 'work', 'my.lock'),
    });
  });

  it("reports the first bad key of a layer in the section's key order, then keys it does not know", () => {
    const { home, project, env } = sandbox();
    const userPath = writeUserConfig(home, 'marketplace:\n  retries: 99\n  bogus_key: 1\n  backend: v9\n');
    expect(thrown(() => loadConfig({ cwd: project, env })).message).toBe(
      `Invalid value for marketplace.backend in ${userPath}: one of "v1", "v2", "v2-with-fallback", "ab-test", "compare"`,
    );
    writeUserConfig(home, 'marketplace:\n  retries: 3\n  bogus_key: 1\n');
    expect(thrown(() => loadConfig({ cwd: project, env })).message).toBe(
      `Unknown key marketplace.bogus_key in ${userPath}`,
    );
  });

  it('reads the user file from XDG_CONFIG_HOME when it is set', () => {
    const { home, project } = sandbox();
    const xdg = join(home, 'xdg');
    mkdirSync(join(xdg, 'ggen'), { recursive: true });
    writeFileSync(join(xdg, 'ggen', 'config.yaml'), 'marketplace:\n  v2_percentage: 25\n');
    const env = { HOME: home, XDG_CONFIG_HOME: xdg };
    expect(userConfigPath(env)).toBe(join(xdg, 'ggen', 'config.yaml'));
    const loaded = loadConfig({ cwd: project, env });
    expect(loaded.config.v2_percentage).toBe(25);
    expect(loaded.sources.v2_percentage).toEqual({ kind: 'user', origin: join(xdg, 'ggen', 'config.yaml') });
  });

  it('applies user < project < environment < flags, and records each source', () => {
    const { home, project, env } = sandbox();
    const userPath = writeUserConfig(
      home,
      'marketplace:\n  backend: ab-test\n  v2_percentage: 10\n  fallback_on_error: false\n  log_backend_selection: true\n',
    );
    writeFileSync(
      join(home, 'work', 'ggen.yaml'),
      'marketplace:\n  v2_percentage: 50\n  backend: compare\n  packages_dir: ./gpacks\n',
    );
    const loaded = loadConfig({
      cwd: project,
      env: { ...env, GGEN_MARKETPLACE_BACKEND: 'v2', GGEN_MARKETPLACE_AB_TEST: 'true' },
      flags: { backend: 'v1' },
    });
    expect(loaded.config).toMatchObject({
      backend: 'v1',
      v2_percentage: 50,
      fallback_on_error: false,
      log_backend_selection: true,
      enable_ab_testing: true,
    });
    expect(loaded.sources.backend).toEqual({ kind: 'flag', origin: '--backend' });
    expect(loaded.sources.v2_percentage.kind).toBe('project');
    expect(loaded.sources.fallback_on_error).toEqual({ kind: 'user', origin: userPath });
    expect(loaded.sources.enable_ab_testing).toEqual({ kind: 'env', origin: 'GGEN_MARKETPLACE_AB_TEST' });
    // Paths in a project file are relative to that file.
    expect(loaded.config.packages_dir).toBe(join(home, 'work', 'gpacks'));
  });

  it('names the file, the key and what is allowed for an invalid value', () => {
    const { home, project, env } = sandbox();
    const userPath = writeUserConfig(home, 'marketplace:\n  backend: v3\n');
    const error = thrown(() => loadConfig({ cwd: project, env }));
    expect(error.code).toBe('GGEN_E_CONFIG_INVALID');
    expect(error.message).toContain(userPath);
    expect(error.message).toContain('marketplace.backend');
    expect(error.message).toContain('"v2-with-fallback"');
  });

  it('rejects a percentage outside 0..100 from the environment, naming the variable', () => {
    const { project, env } = sandbox();
    const error = thrown(() => loadConfig({ cwd: project, env: { ...env, GGEN_MARKETPLACE_V2_PERCENTAGE: '150' } }));
    expect(error.message).toContain('GGEN_MARKETPLACE_V2_PERCENTAGE');
    expect(error.message).toContain('<= 100');
  });

  it('rejects unknown keys and unknown GGEN_MARKETPLACE_ variables', () => {
    const { home, project, env } = sandbox();
    writeUserConfig(home, 'marketplace:\n  backnd: v1\n');
    expect(thrown(() => loadConfig({ cwd: project, env })).message).toContain('Unknown key marketplace.backnd');
    const { project: other, env: cleanEnv } = sandbox();
    expect(
      thrown(() => loadConfig({ cwd: other, env: { ...cleanEnv, GGEN_MARKETPLACE_BAKEND: 'v1' } })).message,
    ).toContain('GGEN_MARKETPLACE_BAKEND');
  });

  it('takes HOME and the working directory from its options, not from this process (the query service runs for many callers)', () => {
    const { home, project, env } = sandbox();
    writeUserConfig(home, 'marketplace:\n  packages_dir: ~/gpacks\n');
    const fromFile = loadConfig({ cwd: project, env });
    expect(fromFile.config.packages_dir).toBe(join(home, 'gpacks'));
    const fromEnv = loadConfig({
      cwd: project,
      env: { ...env, GGEN_MARKETPLACE_CACHE_DIR: 'cache', GGEN_MARKETPLACE_STATE_DIR: '~/state' },
    });
    expect(fromEnv.config.cache_dir).toBe(join(project, 'cache'));
    expect(fromEnv.config.state_dir).toBe(join(home, 'state'));
  });

  it('reports broken YAML with its line', () => {
    const { home, project, env } = sandbox();
    writeUserConfig(home, 'marketplace:\n  backend: v1\n   v2_percentage: [\n');
    const error = thrown(() => loadConfig({ cwd: project, env }));
    expect(error.code).toBe('GGEN_E_CONFIG_PARSE');
    expect(error.details?.line).toEqual(expect.any(Number));
  });

  it('fails clearly when --config names a missing file', () => {
    const { project, env } = sandbox();
    expect(thrown(() => loadConfig({ cwd: project, env, configPath: 'nope.yaml' })).code).toBe('GGEN_E_CONFIG_PARSE');
  });

  it('reads list values such as trusted_keys from a comma-separated variable', () => {
    const { project, env } = sandbox();
    const { config } = loadConfig({ cwd: project, env: { ...env, GGEN_MARKETPLACE_TRUSTED_KEYS: 'RWQabc, RWQdef' } });
    expect(config.trusted_keys).toEqual(['RWQabc', 'RWQdef']);
  });
});
