// The fleet view (issue 12, item 4): rollout decisions are made on many installs. Each CLI run
// pushes its install's cumulative series to a real Pushgateway, a real Prometheus scrapes it,
// and `rollout gate --prometheus` judges the A/B criteria with PromQL across every install.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  bucketOf,
  FLEET_QUERIES,
  FLEET_SERIES,
  fleetSeriesText,
  promQuery,
  pushFleetSeries,
  type OperationRecord,
} from '@ggen/domain-adapters';
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

/** Polls Prometheus (it scrapes every second) until `query` answers `expected`: the event waited for is a scrape. */
async function until(query: string, expected: number): Promise<void> {
  let seen: number | null = null;
  for (let attempt = 0; attempt < 240 && seen !== expected; attempt += 1) {
    seen = await promQuery(metrics.prometheusUrl, query, 2000);
    if (seen !== expected) await sleep(250);
  }
  expect(seen).toBe(expected);
}

/**
 * The start of a window that holds the fleet's last scrape before what comes next: its time
 * less half a scrape interval, as --since takes it. A window's first sample is its baseline.
 */
async function windowStart(): Promise<string> {
  const scraped = await promQuery(metrics.prometheusUrl, `max(timestamp(${FLEET_SERIES.operations}))`, 2000);
  if (scraped === null) throw new Error('Prometheus has not scraped the fleet yet');
  return new Date(scraped * 1000 - 500).toISOString();
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
    const searchAll = async (few: string[]): Promise<void> => {
      for (const home of homes) {
        for (const word of few) {
          const run = await runGgen(['marketplace', 'search', word], { bin: launcher, home, env });
          if (run.code !== 0 || run.stderr.includes('could not push'))
            failed.push(`${home} ${word}: ${run.code} ${run.stderr}`);
        }
      }
    };
    // Each install is seen once first: the window judges what its series gain after that.
    await searchAll(words.slice(0, 1));
    await until(FLEET_QUERIES.operations, 20);
    const since = await windowStart();
    await searchAll(words.slice(1));
    expect(failed).toEqual([]);
    // Prometheus scrapes every second: wait until it holds every install's last push.
    await until(FLEET_QUERIES.operations, 200);

    // One install sees one arm only: never enough data for the A/B criteria.
    const local = parseJson<Status>(
      await runGgen(['marketplace', 'rollout', 'status', '--json'], { home: homes[0] ?? freshHome() }),
    );
    expect(local.reason).toContain('not enough data');

    // The operator's view: the phase's config, the fleet's data.
    const fleet = await runGgen(
      [
        'marketplace',
        'rollout',
        'gate',
        '--prometheus',
        metrics.prometheusUrl,
        '--phase',
        '3',
        '--since',
        since,
        '--json',
      ],
      { home: homes[0] ?? freshHome() },
    );
    const status = parseJson<Status>(fleet);
    // 180 operations in the window (PromQL extrapolates a window's counts to its edges a little).
    expect(status).toMatchObject({ phase: 3, installs: 20 });
    expect(status.operations).toBeGreaterThanOrEqual(170);
    expect(status.operations).toBeLessThanOrEqual(230);
    const byName = new Map(status.criteria.map((criterion) => [criterion.name, criterion]));
    for (const name of ['error rate (v2)', 'error rate (v1)', 'error-rate difference v1/v2, points']) {
      expect(byName.get(name)).toMatchObject({ state: 'pass' });
      expect(byName.get(name)?.sample).toBeGreaterThanOrEqual(60);
    }
    expect(byName.get('search p95 (v2), ms')?.sample).toBeGreaterThanOrEqual(60);
    expect(['pass', 'fail']).toContain(byName.get('search p95 (v2), ms')?.state);
    expect(status.reason).not.toContain('not enough data');
    expect(fleet.code).toBe(status.verdict === 'advance' ? 0 : 1);
  }, 300_000);
});

describe('the fleet rollout, judged over a window', () => {
  it('8 installs: a clean month, ADVANCE; an outage, ROLL BACK within one scrape; rolled back, HOLD; v2 clean again, ADVANCE', async () => {
    const ids = Array.from({ length: 8 }, (_, index) => `month-${index}`);
    const history = new Map<string, OperationRecord[]>(ids.map((id) => [id, []]));
    const served = (op: 'search' | 'install', v2: 'ok' | 'down' | 'off'): OperationRecord => ({
      t: Date.now(),
      op,
      strategy: v2 === 'off' ? 'v1' : 'v2-with-fallback',
      backend: v2 === 'ok' ? 'v2' : 'v1',
      ok: true,
      ms: v2 === 'down' ? 60 : 4,
      fallback: v2 === 'down',
      attempts: [
        ...(v2 === 'off'
          ? []
          : [
              {
                backend: 'v2' as const,
                ok: v2 === 'ok',
                ms: v2 === 'ok' ? 4 : 50,
                ...(v2 === 'down' ? { error: 'GGEN_E_REGISTRY_UNREACHABLE' } : {}),
              },
            ]),
        ...(v2 === 'ok' ? [] : [{ backend: 'v1' as const, ok: true, ms: 4 }]),
      ],
    });
    // Each install pushes its whole cumulative record, as the CLI does after every command.
    const pushAll = async (each: () => OperationRecord[]): Promise<void> => {
      const before = (await promQuery(metrics.prometheusUrl, FLEET_QUERIES.operations, 2000)) ?? 0;
      let added = 0;
      for (const id of ids) {
        const records = history.get(id) ?? [];
        const more = each();
        records.push(...more);
        added += more.length;
        await pushFleetSeries(metrics.pushgatewayUrl, id, fleetSeriesText(records), 5000);
      }
      await until(FLEET_QUERIES.operations, before + added);
    };
    const judge = async (since: string): Promise<{ code: number; status: Status }> => {
      const run = await runGgen(
        [
          'marketplace',
          'rollout',
          'gate',
          '--prometheus',
          metrics.prometheusUrl,
          '--phase',
          '6',
          '--since',
          since,
          '--json',
        ],
        { home: freshHome() },
      );
      return { code: run.code, status: parseJson<Status>(run) };
    };
    const timeline: string[] = [];

    // A month of clean history, then a clean window: 10 searches and 5 installs per install on v2.
    await pushAll(() => Array.from({ length: 300 }, () => served('search', 'ok')));
    const clean = await windowStart();
    await pushAll(() => [
      ...Array.from({ length: 10 }, () => served('search', 'ok')),
      ...Array.from({ length: 5 }, () => served('install', 'ok')),
    ]);
    const advance = await judge(clean);
    timeline.push(
      `clean window: ${advance.status.verdict} (${advance.status.operations} operations, ${advance.status.installs} installs)`,
    );
    expect({ code: advance.code, verdict: advance.status.verdict, installs: advance.status.installs }).toEqual({
      code: 0,
      verdict: 'advance',
      installs: 8,
    });

    // v2 goes down: every install's next 5 searches fail over to v1. Judged as soon as Prometheus scraped them.
    const outage = await windowStart();
    await pushAll(() => Array.from({ length: 5 }, () => served('search', 'down')));
    const rollBack = await judge(outage);
    timeline.push(`outage: ${rollBack.status.verdict} (${rollBack.status.reason})`);
    expect({ code: rollBack.code, verdict: rollBack.status.verdict }).toEqual({ code: 11, verdict: 'roll back' });
    const v2Errors = new Map(rollBack.status.criteria.map((criterion) => [criterion.name, criterion])).get(
      'error rate (v2)',
    );
    expect(v2Errors).toMatchObject({ state: 'fail' });
    // A window that still holds the outage still says so: the month of clean history does not outvote it.
    expect((await judge(clean)).status.verdict).toBe('roll back');

    // Rolled back (backend: v1): no v2 attempts, so the window after the rollback holds, it does not roll back.
    const rolledBack = await windowStart();
    await pushAll(() => Array.from({ length: 10 }, () => served('search', 'off')));
    const hold = await judge(rolledBack);
    timeline.push(`rolled back: ${hold.status.verdict} (${hold.status.reason})`);
    expect({ code: hold.code, verdict: hold.status.verdict }).toEqual({ code: 1, verdict: 'hold' });

    // v2 fixed and back: a clean window after the rollback advances again.
    const fixed = await windowStart();
    await pushAll(() => [
      ...Array.from({ length: 10 }, () => served('search', 'ok')),
      ...Array.from({ length: 5 }, () => served('install', 'ok')),
    ]);
    const again = await judge(fixed);
    timeline.push(`v2 clean again: ${again.status.verdict} (${again.status.operations} operations)`);
    expect({ code: again.code, verdict: again.status.verdict }).toEqual({ code: 0, verdict: 'advance' });
    process.stdout.write(`fleet verdict timeline:\n  ${timeline.join('\n  ')}\n`);
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
