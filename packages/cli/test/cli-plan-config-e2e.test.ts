// The plan's text is the interface (issue 12): every config block of the migration plan
// (vendored in fixtures/plan), pasted verbatim into config.yaml, routes as its comments say
// and `rollout status` names the phase the plan would.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { bucketOf } from '@ggen/domain-adapters';
import { copyOfSampleRegistry, freshHome, parseJson, runGgen, workspaceRoot } from './helpers/run-ggen.js';

/** Every `marketplace:` config of the plan's YAML blocks, split where a block holds two days. */
function planBlocks(): { title: string; yaml: string }[] {
  const plan = readFileSync(join(workspaceRoot, 'fixtures', 'plan', 'MIGRATION-PLAN.md'), 'utf8');
  const blocks: { title: string; yaml: string }[] = [];
  for (const match of plan.matchAll(/```yaml\n([\s\S]*?)```/g)) {
    const body = match[1] ?? '';
    if (!body.includes('marketplace:')) continue;
    for (const part of body.split(/\n(?=# .*config\.yaml)/))
      blocks.push({ title: part.split('\n')[0] ?? '', yaml: part });
  }
  return blocks;
}

/** An install id whose A/B bucket is `bucket`, so that routing is known in advance. */
function installIdIn(bucket: number): string {
  for (let n = 0; ; n += 1) {
    const id = `0000000000000000${n.toString(16)}`.slice(-16);
    if (bucketOf(id) === bucket) return id;
  }
}

function homeWith(yaml: string, bucket: number): string {
  const home = freshHome();
  mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
  writeFileSync(join(home, '.config', 'ggen', 'config.yaml'), yaml);
  mkdirSync(join(home, '.ggen'), { recursive: true });
  writeFileSync(join(home, '.ggen', 'install-id'), `${installIdIn(bucket)}\n`);
  return home;
}

interface Status {
  phase: number;
  routing: Record<string, { strategy: string; v2Percentage: number }>;
}

describe("the plan's config blocks, verbatim", () => {
  const blocks = planBlocks();

  it('finds the four blocks of phases 3, 4 and 6', () => {
    expect(blocks.map((block) => /backend: (\S+)/.exec(block.yaml)?.[1])).toEqual([
      'ab-test',
      'ab-test',
      'ab-test',
      'v2',
    ]);
  });

  it.each([
    [0, 3, 'ab-test 10%', 'v1'],
    [1, 4, 'v2-with-fallback', 'ab-test 25%'],
    [2, 6, 'ab-test 75%', 'ab-test 75%'],
    [3, 6, 'v2-with-fallback', 'v2-with-fallback'],
  ])(
    'block %i is phase %i, routes search by %s and install by %s, and serves search in bucket 5 from v2',
    async (index, phase, search, install) => {
      const block = blocks[index];
      expect(block).toBeDefined();
      const home = homeWith(block?.yaml ?? '', 5);
      const status = parseJson<Status>(await runGgen(['marketplace', 'rollout', 'status', '--json'], { home }));
      expect(status.phase).toBe(phase);
      const route = (routing: { strategy: string; v2Percentage: number } | undefined): string =>
        routing?.strategy === 'ab-test' ? `ab-test ${routing.v2Percentage}%` : (routing?.strategy ?? 'none');
      expect([route(status.routing.search), route(status.routing.install)]).toEqual([search, install]);
      const served = await runGgen(['marketplace', 'search', 'agent'], {
        home,
        env: { GGEN_MARKETPLACE_LOG_BACKEND_SELECTION: 'true' },
      });
      expect(served.code).toBe(0);
      expect(served.stderr).toMatch(/^backend: search served by v2 /m);
    },
  );

  it('keeps v1 as the fallback under the day-32 block, and --backend v2 names v2 alone', async () => {
    const day32 = blocks[3]?.yaml ?? '';
    const home = homeWith(day32, 5);
    const v2 = copyOfSampleRegistry();
    writeFileSync(join(v2, 'catalog.nq'), 'damaged\n');
    const env = { GGEN_MARKETPLACE_REGISTRY: copyOfSampleRegistry(), GGEN_MARKETPLACE_V2_REGISTRY: v2 };
    const served = await runGgen(['marketplace', 'install', 'agent-editor', '--target', join(home, 'a')], {
      home,
      env,
    });
    expect(served.stderr).toMatch(/^note: v2 failed \(GGEN_E_INDEX_INVALID: .*\); install served by v1/m);
    expect(served.code).toBe(0);
    const one = await runGgen(
      ['marketplace', 'install', 'agent-editor', '--backend', 'v2', '--target', join(home, 'b', 'gpacks')],
      { home, env },
    );
    expect(one.stderr).toMatch(/^error GGEN_E_INDEX_INVALID: /m);
    expect(one.code).toBe(7);
    // And fallback_on_error: false under v2-with-fallback means no fallback.
    const strict = homeWith('marketplace:\n  backend: v2-with-fallback\n  fallback_on_error: false\n', 5);
    expect((await runGgen(['marketplace', 'install', 'agent-editor'], { home: strict, env })).code).toBe(7);
  });

  it('an ab-test is paused only by enable_ab_testing: false, written out', async () => {
    const home = homeWith('marketplace:\n  backend: ab-test\n  v2_percentage: 75\n  enable_ab_testing: false\n', 5);
    const search = await runGgen(['marketplace', 'search', 'agent'], {
      home,
      env: { GGEN_MARKETPLACE_LOG_BACKEND_SELECTION: 'true' },
    });
    expect(search.stderr).toMatch(/^backend: search served by v1 \(ab-test paused \(enable_ab_testing is false\)\)$/m);
  });
});
