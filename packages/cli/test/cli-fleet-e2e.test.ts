// The fleet view (issue 12, item 4): rollout decisions are made on many installs. Each CLI run
// pushes its install's cumulative series to a real Pushgateway, a real Prometheus scrapes it,
// and `rollout gate --prometheus` judges the A/B criteria with PromQL across every install.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bucketOf, FLEET_QUERIES, fleetSeriesText, promQuery } from '@ggen/domain-adapters';
import { startPrometheus, type RunningPrometheus } from '../../../tools/testing/prometheus.mjs';
import { cliRoot, freshHome, parseJson, runGgen, workspaceRoot } from './helpers/run-ggen.js';

const launcher = join(cliRoot, 'bin', 'ggen.cjs');
let metrics: RunningPrometheus;
const serviceDir = join(mkdtempSync(join(tmpdir(), 'ggen-svc-')), 'run');

beforeAll(async () => {
  metrics = await startPrometheus();
});

afterAll(async () => {
  await runGgen(['marketplace', 'daemon', 'stop'], {
    bin: launcher,
    env: { GGEN_DAEMON: '1', GGEN_DAEMON_DIR: serviceDir },
  });
  await metrics.stop();
});

/** Install ids in chosen A/B buckets, so that the arms are known: half below 50, half above. */
function installIds(count: number): string[] {
  const low: string[] = [];
  const high: string[] = [];
  for (let n = 0; low.length < count / 2 || high.length < count / 2; n += 1) {
    const id = `fleet-${n.toString(16).padStart(10, '0')}`.replace(/[^0-9a-f-]/g, 'f');
    (bucketOf(id) < 50 ? low : high).push(id);
  }
  return [...low.slice(0, count / 2), ...high.slice(0, count / 2)];
}

interface Status {
  phase: number;
  verdict: string;
  reason: string;
  operations: number;
  installs?: number;
  criteria: { name: string; sample: number; state: string }[];
}

describe('the fleet view through Prometheus', () => {
  it('judges the A/B criteria of 200 operations from 20 installs at ab-test 50%, which no single install can', async () => {
    const homes: string[] = [];
    for (const id of installIds(20)) {
      const home = freshHome();
      mkdirSync(join(home, '.ggen'), { recursive: true });
      writeFileSync(join(home, '.ggen', 'install-id'), `${id}\n`);
      mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
      writeFileSync(
        join(home, '.config', 'ggen', 'config.yaml'),
        `marketplace:\n  backend: ab-test\n  v2_percentage: 50\n  pushgateway_url: ${metrics.pushgatewayUrl}\n`,
      );
      homes.push(home);
    }
    const env = { GGEN_DAEMON: '1', GGEN_DAEMON_DIR: serviceDir };
    const words = ['agent', 'memory', 'rust', 'finance', 'academic', 'api', 'health', 'workflow', 'sparql', 'template'];
    const failed: string[] = [];
    for (const home of homes) {
      for (const word of words) {
        const run = await runGgen(['marketplace', 'search', word], { bin: launcher, home, env });
        if (run.code !== 0 || run.stderr.includes('could not push'))
          failed.push(`${home} ${word}: ${run.code} ${run.stderr}`);
      }
    }
    expect(failed).toEqual([]);

    // Prometheus scrapes every second: wait until it holds every install's last push.
    let seen: number | null = null;
    for (let attempt = 0; attempt < 120 && seen !== 200; attempt += 1) {
      seen = await promQuery(metrics.prometheusUrl, FLEET_QUERIES.operations, 2000);
      if (seen !== 200) await sleep(250);
    }
    expect(seen).toBe(200);

    // One install sees one arm only: never enough data for the A/B criteria.
    const local = parseJson<Status>(
      await runGgen(['marketplace', 'rollout', 'status', '--json'], { home: homes[0] ?? freshHome() }),
    );
    expect(local.reason).toContain('not enough data');

    // The operator's view: the phase's config, the fleet's data.
    const fleet = await runGgen(['marketplace', 'rollout', 'gate', '--prometheus', metrics.prometheusUrl, '--json'], {
      home: homes[0] ?? freshHome(),
    });
    const status = parseJson<Status>(fleet);
    expect(status).toMatchObject({ phase: 3, operations: 200, installs: 20 });
    const byName = new Map(status.criteria.map((criterion) => [criterion.name, criterion]));
    for (const name of ['error rate (v2)', 'error rate (v1)', 'error-rate difference v1/v2, points']) {
      expect(byName.get(name)).toMatchObject({ state: 'pass', sample: 100 });
    }
    expect(byName.get('search p95 (v2), ms')).toMatchObject({ sample: 100 });
    expect(['pass', 'fail']).toContain(byName.get('search p95 (v2), ms')?.state);
    expect(status.reason).not.toContain('not enough data');
    expect(fleet.code).toBe(status.verdict === 'advance' ? 0 : 1);
  }, 300_000);
});

describe('the Grafana dashboard', () => {
  it('queries only series that the CLI exports, and parses in the real Prometheus', async () => {
    const dashboard = JSON.parse(
      readFileSync(join(workspaceRoot, 'docs', 'grafana', 'ggen-marketplace-dashboard.json'), 'utf8'),
    ) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(8);
    // The series a real run exports: every kind of record, through the exporter itself.
    const record = (op: 'search' | 'install', ok: boolean, error?: string) => ({
      t: 0,
      op,
      strategy: 'compare' as const,
      backend: 'v2' as const,
      ok,
      ms: 5,
      fallback: false,
      attempts: [{ backend: 'v2' as const, ok, ms: 5, ...(error === undefined ? {} : { error }) }],
      comparison: { subject: 'x', overlapAt10: 1, v1Ms: 1, v2Ms: 1 },
    });
    const exported = new Set(
      fleetSeriesText([
        record('search', true),
        record('install', false, 'GGEN_E_REGISTRY_TIMEOUT'),
        {
          ...record('search', true),
          fallback: true,
          attempts: [
            { backend: 'v2', ok: false, ms: 1, error: 'GGEN_E_INDEX_INVALID' },
            { backend: 'v1', ok: true, ms: 1 },
          ],
          backend: 'v1',
        },
      ])
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => /^[a-z0-9_]+/.exec(line)?.[0] ?? ''),
    );
    const named = exprs.flatMap((expr) =>
      [...expr.matchAll(/\bggen_marketplace_[a-z0-9_]+/g)].map((match) => match[0]),
    );
    expect(named.length).toBeGreaterThanOrEqual(exprs.length);
    expect([...new Set(named)].filter((name) => !exported.has(name))).toEqual([]);
    for (const expr of exprs) {
      const response = (await (
        await fetch(`${metrics.prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)
      ).json()) as { status: string; error?: string };
      expect({ expr, status: response.status, error: response.error }).toEqual({
        expr,
        status: 'success',
        error: undefined,
      });
    }
  });
});
