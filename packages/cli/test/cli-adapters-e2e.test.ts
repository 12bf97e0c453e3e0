import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SearchResults } from '@ggen/marketplace-core';
import { copyOfSampleRegistry, freshHome, parseJson, runGgen } from './helpers/run-ggen.js';
import { startStaticServer } from '../../../tools/testing/static-server.mjs';

function writeConfig(home: string, yaml: string): void {
  mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
  writeFileSync(join(home, '.config', 'ggen', 'config.yaml'), yaml);
}

/** A v2 registry whose catalog is damaged: v2 fails on every read, v1 (the sample) still works. */
function brokenV2Registry(): string {
  const dir = copyOfSampleRegistry();
  writeFileSync(join(dir, 'catalog.nq'), '<urn:a> <urn:b> "never closed .\n');
  return dir;
}

describe('choosing the strategy', () => {
  it('serves v2 by default, and v1 with a deprecation notice when asked by flag', async () => {
    const home = freshHome();
    const byDefault = parseJson<SearchResults>(await runGgen(['marketplace', 'search', 'agent', '--json'], { home }));
    expect(byDefault.backend).toBe('v2');
    const v1 = await runGgen(['marketplace', 'search', 'agent', '--backend', 'v1'], { home });
    expect(v1.code).toBe(0);
    expect(v1.stdout).toContain('(v1, ');
    expect(v1.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^note: the v1 backend is deprecated; v2 is the default/),
    ]);
    // Not in --json output: the notice is for people.
    const v1Json = await runGgen(['marketplace', 'search', 'agent', '--backend', 'v1', '--json'], { home });
    expect(parseJson<SearchResults>(v1Json).backend).toBe('v1');
    expect(v1Json.stderr).toBe('');
  });

  it('reads the strategy and the A/B share from the environment, as the plan names them', async () => {
    const home = freshHome();
    const env = { GGEN_MARKETPLACE_BACKEND: 'ab-test', GGEN_MARKETPLACE_AB_TEST: 'true' };
    const all = parseJson<SearchResults>(
      await runGgen(['marketplace', 'search', 'agent', '--json'], {
        home,
        env: { ...env, GGEN_MARKETPLACE_V2_PERCENTAGE: '100' },
      }),
    );
    const none = parseJson<SearchResults>(
      await runGgen(['marketplace', 'search', 'agent', '--json'], {
        home,
        env: { ...env, GGEN_MARKETPLACE_V2_PERCENTAGE: '0' },
      }),
    );
    const paused = parseJson<SearchResults>(
      await runGgen(['marketplace', 'search', 'agent', '--json'], {
        home,
        env: { ...env, GGEN_MARKETPLACE_V2_PERCENTAGE: '100', GGEN_MARKETPLACE_AB_TEST: '0' },
      }),
    );
    expect([all.backend, none.backend, paused.backend]).toEqual(['v2', 'v1', 'v1']);
  });

  it('reads the plan config file, per-operation overrides included, and logs each selection when asked', async () => {
    const home = freshHome();
    writeConfig(
      home,
      'marketplace:\n  backend: ab-test\n  v2_percentage: 100\n  enable_ab_testing: true\n  log_backend_selection: true\n  operations:\n    install:\n      v2_percentage: 0\n',
    );
    const search = await runGgen(['marketplace', 'search', 'agent'], { home });
    expect(search.stderr).toMatch(/^backend: search served by v2 \(ab-test bucket \d+ < 100%\)$/m);
    const install = await runGgen(['marketplace', 'install', 'agent-editor', '--target', join(home, 'gpacks')], {
      home,
    });
    expect(install.code).toBe(0);
    expect(install.stderr).toMatch(/^backend: install served by v1 \(ab-test bucket \d+ >= 0%\)$/m);
    expect(install.stdout).toMatch(/\+\s+agent-editor\s+1\.0\.0\s+v1/);
  });

  it('names the key and what is allowed when an override is wrong', async () => {
    const home = freshHome();
    writeConfig(home, 'marketplace:\n  operations:\n    search:\n      v2_percentage: 150\n');
    const result = await runGgen(['marketplace', 'search', 'agent'], { home });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'error GGEN_E_CONFIG_INVALID: Invalid value for marketplace.operations.search.v2_percentage',
    );
  });
});

describe('fallback from the CLI', () => {
  it('answers through v1 when the v2 catalog is corrupt, and counts the fallback', async () => {
    const home = freshHome();
    const env = { GGEN_MARKETPLACE_V2_REGISTRY: brokenV2Registry(), GGEN_MARKETPLACE_LOG_BACKEND_SELECTION: '1' };
    const search = await runGgen(['marketplace', 'search', 'agent memory'], { home, env });
    expect(search.code).toBe(0);
    expect(search.stdout).toMatch(/^agent-memory-forge/m);
    expect(search.stderr).toMatch(
      /backend: search served by v1 \(backend v2-with-fallback; v2 failed \(GGEN_E_\w+\), served by v1\)/,
    );
    const install = await runGgen(['marketplace', 'install', 'agent-reasoning-mcp', '--json'], { home, env });
    expect(install.code).toBe(0);
    const metrics = parseJson<{ fallbacks: { attempted: number; succeeded: number } }>(
      await runGgen(['marketplace', 'metrics', '--json'], { home }),
    );
    expect(metrics.fallbacks).toEqual({ attempted: 2, succeeded: 2 });
  });

  it('with fallback off, gives the user the v2 error, coded', async () => {
    const home = freshHome();
    const result = await runGgen(['marketplace', 'search', 'agent'], {
      home,
      env: { GGEN_MARKETPLACE_V2_REGISTRY: brokenV2Registry(), GGEN_MARKETPLACE_FALLBACK_ON_ERROR: 'false' },
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^error GGEN_E_\w+: /m);
    expect(result.stderr).toMatch(/^hint: /m);
  });
});

describe('a v2 that never answers', () => {
  it('is given up at v2_timeout_ms, its requests and their retries cancelled before v1 serves the install', async () => {
    // A registry that takes connections and never answers: every request it saw is counted.
    let requests = 0;
    const server: Server = createServer(() => {
      requests += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const home = freshHome();
    writeConfig(home, 'marketplace:\n  v2_timeout_ms: 400\n  timeout_ms: 3000\n  retries: 4\n');
    try {
      const install = await runGgen(['marketplace', 'install', 'agent-editor', '--target', join(home, 'gpacks')], {
        home,
        env: { GGEN_MARKETPLACE_V2_REGISTRY: url, GGEN_MARKETPLACE_REGISTRY: copyOfSampleRegistry() },
      });
      expect(install.code).toBe(0);
      expect(install.stdout).toMatch(/\+\s+agent-editor\s+1\.0\.0\s+v1/);
      expect(install.stderr).toMatch(/^note: v2 failed \(GGEN_E_BACKEND_TIMEOUT: .*\); install served by v1/m);
      // The process has ended: had v2's request run on to its own 3 s limit and its 4 retries, the
      // registry would have seen five requests or more. Cancelled with the attempt, it saw at most one.
      expect(requests).toBeLessThanOrEqual(1);
      const metrics = parseJson<{ fallbacks: { attempted: number; succeeded: number } }>(
        await runGgen(['marketplace', 'metrics', '--json'], { home }),
      );
      expect(metrics.fallbacks).toEqual({ attempted: 1, succeeded: 1 });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    }
  });
});

describe('dual writes while both formats are live', () => {
  it("writes a publish into index.json and catalog.nq whichever backend serves it, under both formats' rules", async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    const env = {
      GGEN_KEY_PASSWORD: 'pw',
      GGEN_MARKETPLACE_REGISTRY: registry,
      GGEN_MARKETPLACE_V2_REGISTRY: registry,
    };
    const at = { home, env };
    const search = async (text: string, backend: string) =>
      parseJson<SearchResults>(
        await runGgen(['marketplace', 'search', text, '--backend', backend, '--json'], at),
      ).packages.map((pkg) => `${pkg.name}@${pkg.version}`);

    // Published through v1: v2 finds it at once, no `registry migrate` needed.
    await runGgen(['marketplace', 'init', join(home, 'one'), '--name', 'dual-one'], at);
    const viaV1 = await runGgen(['marketplace', 'publish', join(home, 'one'), '--backend', 'v1'], at);
    expect({ code: viaV1.code, stderr: viaV1.stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(/error/) });
    expect(viaV1.stdout).toContain('written to: index.json and catalog.nq');
    expect(await search('dual-one', 'v2')).toContain('dual-one@0.1.0');
    const installed = await runGgen(
      ['marketplace', 'install', 'dual-one', '--backend', 'v2', '--target', join(home, 'a', 'gpacks')],
      at,
    );
    expect(installed.code).toBe(0);

    // Published signed through v2: v1 lists it too.
    const key = join(home, 'keys', 'signing.key');
    expect((await runGgen(['marketplace', 'keygen', '--output', key], at)).code).toBe(0);
    await runGgen(['marketplace', 'init', join(home, 'two'), '--name', 'dual-two'], at);
    const viaV2 = await runGgen(['marketplace', 'publish', join(home, 'two'), '--sign', '--key', key], at);
    expect(viaV2.code).toBe(0);
    expect(viaV2.stdout).toContain('written to: catalog.nq and index.json');
    expect(await search('dual-two', 'v1')).toContain('dual-two@0.1.0');
    const fromV1 = await runGgen(
      ['marketplace', 'install', 'dual-two', '--backend', 'v1', '--target', join(home, 'b', 'gpacks')],
      at,
    );
    expect(fromV1.code).toBe(0);

    // dual-two is now owned: an unsigned v1 publish of a new version meets v2's owner rule, and
    // neither format takes it.
    const index = readFileSync(join(registry, 'index.json'), 'utf8');
    const catalog = readFileSync(join(registry, 'catalog.nq'), 'utf8');
    writeFileSync(
      join(home, 'two', 'gpack.yaml'),
      readFileSync(join(home, 'two', 'gpack.yaml'), 'utf8').replace('version: 0.1.0', 'version: 0.2.0'),
    );
    const unsigned = await runGgen(['marketplace', 'publish', join(home, 'two'), '--backend', 'v1'], at);
    expect(unsigned.code).not.toBe(0);
    expect(unsigned.stderr).toMatch(/^error GGEN_E_SIGNATURE_MISSING: /m);
    expect(readFileSync(join(registry, 'index.json'), 'utf8')).toBe(index);
    expect(readFileSync(join(registry, 'catalog.nq'), 'utf8')).toBe(catalog);
  });

  it('writes only index.json into a registry that has no catalog yet (before the migration)', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    rmSync(join(registry, 'catalog.nq'));
    await runGgen(['marketplace', 'init', join(home, 'one'), '--name', 'only-v1'], { home });
    const published = await runGgen(
      ['marketplace', 'publish', join(home, 'one'), '--backend', 'v1', '--registry', registry],
      { home },
    );
    expect(published.code).toBe(0);
    expect(published.stdout).toContain('written to: index.json\n');
    expect(existsSync(join(registry, 'catalog.nq'))).toBe(false);
  });
});

describe('a rollback that restores', () => {
  it('installs a lockfile written under v2 from v1 with --backend v1 while v2 is down: the same bytes, the lockfile unchanged', async () => {
    const home = freshHome();
    const v1 = copyOfSampleRegistry();
    const server = await startStaticServer(copyOfSampleRegistry());
    const target = join(home, 'project', 'gpacks');
    const lockfile = join(home, 'project', 'ggen.lock');
    const env = { GGEN_MARKETPLACE_REGISTRY: v1, GGEN_MARKETPLACE_V2_REGISTRY: server.url };
    let stopped = false;
    try {
      const first = await runGgen(
        ['marketplace', 'install', 'agent-reasoning-mcp', '--backend', 'v2', '--target', target],
        { home, env },
      );
      expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
      const written = readFileSync(lockfile, 'utf8');
      const locked = (JSON.parse(written) as { packages: Record<string, { resolved: string; backend: string }> })
        .packages;
      const entries = Object.values(locked);
      expect(entries.length).toBe(3);
      expect(entries.every((entry) => entry.backend === 'v2' && entry.resolved.startsWith('v2:'))).toBe(true);

      // v2 goes down; a fresh checkout has the lockfile only.
      await server.close();
      stopped = true;
      rmSync(target, { recursive: true, force: true });
      const onV2 = await runGgen(
        ['marketplace', 'install', '--frozen-lockfile', '--backend', 'v2', '--target', target],
        { home, env },
      );
      expect(onV2.code).not.toBe(0);

      const restored = await runGgen(
        ['marketplace', 'install', '--frozen-lockfile', '--backend', 'v1', '--target', target, '--json'],
        { home, env },
      );
      expect({ code: restored.code, stderr: restored.stderr }).toEqual({ code: 0, stderr: '' });
      const result = parseJson<{ installed: { name: string; backend: string }[] }>(restored);
      expect(result.installed.map((pack) => pack.name).sort()).toEqual(Object.keys(locked).sort());
      expect(readFileSync(lockfile, 'utf8')).toBe(written);
      const listed = parseJson<{ name: string; status: string }[]>(
        await runGgen(['marketplace', 'list', '--json', '--backend', 'v1', '--target', target], { home, env }),
      );
      expect(listed.length).toBe(entries.length);
      expect(listed.every((pack) => pack.status === 'ok')).toBe(true);
    } finally {
      if (!stopped) await server.close();
    }
  });
});

describe('metrics, compare report and rollout status', () => {
  it('report real figures from the operations a user ran', async () => {
    const home = freshHome();
    for (const text of ['agent memory', 'rust web', 'bibtex', 'healthcare fhir']) {
      expect((await runGgen(['marketplace', 'search', text, '--backend', 'compare'], { home })).code).toBe(0);
    }
    expect((await runGgen(['marketplace', 'info', 'agent-editor', '--backend', 'compare'], { home })).code).toBe(0);
    expect((await runGgen(['marketplace', 'search', 'agent'], { home })).code).toBe(0);

    const metrics = parseJson<{
      operations: number;
      rows: { operation: string; backend: string; count: number; p95: number; selections: number }[];
    }>(await runGgen(['marketplace', 'metrics', '--json'], { home }));
    expect(metrics.operations).toBe(6);
    const searchV2 = metrics.rows.find((row) => row.operation === 'search' && row.backend === 'v2');
    expect(searchV2).toMatchObject({ count: 5, selections: 5 });
    expect(searchV2?.p95).toBeGreaterThan(0);
    expect(metrics.rows.find((row) => row.operation === 'search' && row.backend === 'v1')).toMatchObject({
      count: 4,
      selections: 0,
    });

    const report = await runGgen(['marketplace', 'compare', 'report'], { home });
    expect(report.stdout).toMatch(/^searches compared: 4$/m);
    expect(report.stdout).toMatch(/^mean overlap@10: +[01]\.\d{3}$/m);
    expect(report.stdout).toMatch(/^info and resolution compared: 1, differing: 0$/m);
    // Both sides' result counts, beside "only in" over the same top 10 as overlap@10.
    expect(report.stdout).toMatch(
      /^QUERY +TIMES +RESULTS V1 +RESULTS V2 +OVERLAP@10 +RBO +ONLY IN V1 \(TOP 10\) +ONLY IN V2 \(TOP 10\)$/m,
    );
    const bibtex = parseJson<{ worst: { subject: string; v1Count?: number; v2Count?: number; onlyV1?: string[] }[] }>(
      await runGgen(['marketplace', 'compare', 'report', '--json'], { home }),
    ).worst.find((entry) => entry.subject === 'bibtex');
    expect(bibtex?.v1Count).toBeGreaterThan(0);
    expect(bibtex?.v2Count).toBeGreaterThan(0);
    expect((bibtex?.onlyV1 ?? []).length).toBeLessThanOrEqual(10);

    const status = parseJson<{
      phase: number;
      verdict: string;
      reason: string;
      criteria: { name: string; sample: number; state: string }[];
    }>(await runGgen(['marketplace', 'rollout', 'status', '--json'], { home }));
    expect(status).toMatchObject({ phase: 6, verdict: 'hold' });
    expect(status.reason).toContain('not enough data');
    expect(status.criteria.find((criterion) => criterion.name === 'search p95 (v2), ms')).toMatchObject({
      sample: 5,
      state: 'not enough data',
    });

    const recent = parseJson<{ operations: number }>(
      await runGgen(['marketplace', 'metrics', '--since', '1h', '--json'], { home }),
    );
    expect(recent.operations).toBe(6);
    const future = parseJson<{ operations: number }>(
      await runGgen(['marketplace', 'metrics', '--since', '2999-01-01', '--json'], { home }),
    );
    expect(future.operations).toBe(0);
    expect((await runGgen(['marketplace', 'metrics', '--since', 'yesterday-ish'], { home })).stderr).toContain(
      'error GGEN_E_USAGE',
    );
  });

  it('prints the plan instruments as Prometheus text', async () => {
    const home = freshHome();
    await runGgen(['marketplace', 'search', 'agent'], { home });
    await runGgen(['marketplace', 'install', 'agent-editor'], { home });
    const text = (await runGgen(['marketplace', 'metrics', '--prometheus'], { home })).stdout;
    expect(text).toMatch(/^marketplace_search_latency_count\{backend="v2"[^}]*\} 1$/m);
    expect(text).toMatch(/^marketplace_install_success_rate_sum\{backend="v2"[^}]*\} 1$/m);
    expect(text).toMatch(/^marketplace_backend_selection_total\{backend="v2",operation="install"[^}]*\} 1$/m);
  });
});

describe('OpenTelemetry export over OTLP/HTTP', () => {
  let server: Server;
  const bodies: unknown[] = [];
  let url = '';
  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        bodies.push({
          path: request.url,
          type: request.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
        });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metrics`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('pushes the run’s instruments, each with its backend attribute', async () => {
    const home = freshHome();
    const result = await runGgen(['marketplace', 'search', 'agent'], {
      home,
      env: { GGEN_MARKETPLACE_OTLP_ENDPOINT: url },
    });
    expect(result.code).toBe(0);
    expect(bodies).toHaveLength(1);
    const text = JSON.stringify(bodies[0]);
    expect(text).toContain('"path":"/v1/metrics"');
    expect(text).toContain('"name":"marketplace.search.latency"');
    expect(text).toContain('"name":"marketplace.search.error_rate"');
    expect(text).toContain('"name":"marketplace.backend.selection"');
    expect(text).toContain('{"key":"backend","value":{"stringValue":"v2"}}');
  });

  it('exports on every run of a command, the second and later runs too (compile cache on where node has one)', async () => {
    const home = freshHome();
    const before = bodies.length;
    for (let run = 1; run <= 4; run += 1) {
      const result = await runGgen(['marketplace', 'search', 'agent'], {
        home,
        env: { GGEN_MARKETPLACE_OTLP_ENDPOINT: url, XDG_CACHE_HOME: join(home, 'cache') },
      });
      expect({ run, code: result.code, stderr: result.stderr }).toEqual({ run, code: 0, stderr: '' });
      expect({ run, exports: bodies.length - before }).toEqual({ run, exports: run });
      expect(JSON.stringify(bodies.at(-1))).toContain('"name":"marketplace.search.latency"');
    }
  });

  it('never fails the command when the collector is down, and says so in one line', async () => {
    const home = freshHome();
    const result = await runGgen(['marketplace', 'search', 'agent'], {
      home,
      env: { GGEN_MARKETPLACE_OTLP_ENDPOINT: 'http://127.0.0.1:9/v1/metrics' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('agent-');
    const warnings = result.stderr.split('\n').filter((line) => line !== '');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: could not export metrics to http:\/\/127\.0\.0\.1:9\/v1\/metrics: \S/);
  });
});
