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

describe('the fleet gate refuses figures no fleet produces', () => {
  it('refuses one install that claims more operations than all others together, then a negative counter', async () => {
    for (const id of ['honest-a', 'honest-b', 'honest-c']) await push(id, honest(10));
    await push('forged-big', honest(3_000_000));
    await until(FLEET_QUERIES.installs, 4);
    const home = freshHome();
    const dominated = await runGgen(['marketplace', 'rollout', 'gate', '--prometheus', metrics.prometheusUrl], {
      home,
    });
    expect(dominated.stderr).toMatch(
      /^error GGEN_E_BACKEND_MALFORMED: The fleet's figures in .* cannot be judged: one install accounts for 3000000 of 3000030 operations/m,
    );
    expect(dominated.code).toBe(8);

    await remove('forged-big');
    await push(
      'forged-negative',
      `${honest(10)}# TYPE ggen_marketplace_attempts_total counter\nggen_marketplace_attempts_total{backend="v2",result="backend_error"} -500\n`,
    );
    await until(FLEET_QUERIES.negativeSeries, 1);
    const negative = await runGgen(['marketplace', 'rollout', 'gate', '--prometheus', metrics.prometheusUrl], { home });
    expect(negative.stderr).toMatch(
      /^error GGEN_E_BACKEND_MALFORMED: The fleet's figures in .* cannot be judged: 1 series are negative/m,
    );
    expect(negative.code).toBe(8);

    // Honest figures alone are judged again (whatever the verdict of so small a fleet).
    await remove('forged-negative');
    await until(FLEET_QUERIES.installs, 3);
    const judged = await runGgen(['marketplace', 'rollout', 'gate', '--prometheus', metrics.prometheusUrl], { home });
    expect(judged.stderr).not.toContain('GGEN_E_BACKEND_MALFORMED');
    expect([0, 1]).toContain(judged.code);
  }, 120_000);
});
