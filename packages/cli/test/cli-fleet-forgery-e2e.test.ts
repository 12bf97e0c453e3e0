// Issue 27 (low finding): the fleet verdict took impossible figures, a negative counter or one
// install claiming 3,000,000 operations, and said ADVANCE. Forged pushes go to a real
// Pushgateway, a real Prometheus (this file's own, with its own data) scrapes them, and
// `rollout gate --prometheus` must refuse to judge them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { FLEET_QUERIES, promQuery } from '@ggen/domain-adapters';
import { startPrometheus, type RunningPrometheus } from '../../../tools/testing/prometheus.mjs';
import { freshHome, runGgen } from './helpers/run-ggen.js';

let metrics: RunningPrometheus;

beforeAll(async () => {
  metrics = await startPrometheus();
});

afterAll(async () => {
  await metrics.stop();
});

async function push(installId: string, text: string): Promise<void> {
  const response = await fetch(`${metrics.pushgatewayUrl}/metrics/job/ggen/install_id/${installId}`, {
    method: 'PUT',
    body: text,
    headers: { 'content-type': 'text/plain; version=0.0.4' },
  });
  expect(response.status).toBeLessThan(300);
}

async function remove(installId: string): Promise<void> {
  await fetch(`${metrics.pushgatewayUrl}/metrics/job/ggen/install_id/${installId}`, { method: 'DELETE' });
}

/** Polls Prometheus (it scrapes every second) until `query` answers `expected`. */
async function until(query: string, expected: number): Promise<void> {
  let seen: number | null = null;
  for (let attempt = 0; attempt < 120 && seen !== expected; attempt += 1) {
    seen = await promQuery(metrics.prometheusUrl, query, 2000);
    if (seen !== expected) await sleep(250);
  }
  expect(seen).toBe(expected);
}

const honest = (ops: number): string =>
  `# TYPE ggen_marketplace_operations_total counter\nggen_marketplace_operations_total{operation="search"} ${ops}\n`;

const gate = ['marketplace', 'rollout', 'gate', '--phase', '3', '--since', '10m'];

describe('the fleet gate refuses figures no fleet produces', () => {
  it('refuses one install that claims more operations than all others together, then a negative counter', async () => {
    // Every install is seen once first: a verdict judges what its series gained within the window.
    for (const id of ['honest-a', 'honest-b', 'honest-c', 'forged-big']) await push(id, honest(1));
    await until(FLEET_QUERIES.operations, 4);
    for (const id of ['honest-a', 'honest-b', 'honest-c']) await push(id, honest(11));
    await push('forged-big', honest(3_000_001));
    await until(FLEET_QUERIES.operations, 3_000_034);
    const home = freshHome();
    const dominated = await runGgen([...gate, '--prometheus', metrics.prometheusUrl], { home });
    expect(dominated.stderr).toMatch(
      /^error GGEN_E_BACKEND_MALFORMED: The fleet's figures in .* cannot be judged: one install accounts for \d{7,} of \d{7,} operations/m,
    );
    expect(dominated.code).toBe(8);

    await remove('forged-big');
    await push(
      'forged-negative',
      `${honest(10)}# TYPE ggen_marketplace_attempts_total counter\nggen_marketplace_attempts_total{backend="v2",result="backend_error"} -500\n`,
    );
    await until(FLEET_QUERIES.negativeSeries, 1);
    const negative = await runGgen([...gate, '--prometheus', metrics.prometheusUrl], { home });
    expect(negative.stderr).toMatch(
      /^error GGEN_E_BACKEND_MALFORMED: The fleet's figures in .* cannot be judged: 1 series are negative/m,
    );
    expect(negative.code).toBe(8);

    // Honest figures alone are judged again (whatever the verdict of so small a fleet).
    await remove('forged-negative');
    await until(FLEET_QUERIES.installs, 3);
    // Judged over a window after the forged groups were removed (a window that held them still would).
    const scraped = await promQuery(metrics.prometheusUrl, 'max(timestamp(ggen_marketplace_operations_total))', 2000);
    const since = new Date((scraped ?? 0) * 1000 - 500).toISOString();
    for (const id of ['honest-a', 'honest-b', 'honest-c']) await push(id, honest(21));
    await until(FLEET_QUERIES.operations, 63);
    const judged = await runGgen(
      ['marketplace', 'rollout', 'gate', '--phase', '3', '--since', since, '--prometheus', metrics.prometheusUrl],
      { home },
    );
    expect(judged.stderr).not.toContain('GGEN_E_BACKEND_MALFORMED');
    expect([0, 1]).toContain(judged.code);
  }, 120_000);
});
