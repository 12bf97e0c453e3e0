import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { PackageDetails, SearchResults } from '@ggen/marketplace-core';
import { startStaticServer } from '../../../tools/testing/static-server.mjs';
import { copyOfSampleRegistry, freshHome, parseJson, runGgen } from './helpers/run-ggen.js';

describe('ggen marketplace sync', () => {
  it('builds the local store once and then finds nothing to do', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    const first = await runGgen(['marketplace', 'sync', '--registry', registry], { home });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^synced: .*\n {2}77 packages, \d+ search tokens, \d+ triples/);
    const second = parseJson<{ status: string; packages: number }>(
      await runGgen(['marketplace', 'sync', '--registry', registry, '--json'], { home }),
    );
    expect(second).toMatchObject({ status: 'unchanged', packages: 77 });
    const forced = parseJson<{ status: string }>(
      await runGgen(['marketplace', 'sync', '--registry', registry, '--force', '--json'], { home }),
    );
    expect(forced.status).toBe('updated');
  });

  it('cuts the catalog in its worker: a damaged catalog is a coded error from there, and the last good store stays', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    expect((await runGgen(['marketplace', 'sync', '--registry', registry], { home })).code).toBe(0);
    // Cut short: the closing count line is gone.
    const catalog = join(registry, 'catalog.nq');
    const lines = readFileSync(catalog, 'utf8').trimEnd().split('\n');
    writeFileSync(catalog, `${lines.slice(0, -1).join('\n')}\n`);
    const damaged = await runGgen(['marketplace', 'sync', '--registry', registry], { home });
    expect(damaged.code).toBe(7);
    expect(damaged.stderr).toMatch(/^error GGEN_E_INDEX_INVALID: The v2 catalog .* is unusable: it has no closing/m);
    expect(damaged.stderr).toContain('the last good local copy stays');
    // The catalog as it was: the store kept is the one it matches.
    writeFileSync(catalog, `${lines.join('\n')}\n`);
    const restored = parseJson<{ status: string; packages: number }>(
      await runGgen(['marketplace', 'sync', '--registry', registry, '--json'], { home }),
    );
    expect(restored).toMatchObject({ status: 'unchanged', packages: 77 });
  });

  it('lets an http registry be searched and read offline once synced', async () => {
    const home = freshHome();
    const server = await startStaticServer(copyOfSampleRegistry());
    const url = server.url;
    try {
      expect((await runGgen(['marketplace', 'sync', '--registry', url], { home })).code).toBe(0);
    } finally {
      await server.close();
    }
    const search = parseJson<SearchResults>(
      await runGgen(['marketplace', 'search', 'agent memory', '--registry', url, '--backend', 'v2', '--json'], {
        home,
      }),
    );
    expect(search.packages[0]?.name).toBe('agent-memory-forge');
    const info = parseJson<PackageDetails>(
      await runGgen(['marketplace', 'info', 'agent-reasoning-mcp', '--registry', url, '--backend', 'v2', '--json'], {
        home,
      }),
    );
    expect(info.dependencies).toEqual({ 'agent-context-crafter': '*', 'agent-memory-forge': '*' });
    // Without a synced store the same offline registry is a coded network error.
    const unsynced = await runGgen(['marketplace', 'search', 'agent', '--registry', url, '--backend', 'v2'], {
      home: freshHome(),
    });
    expect(unsynced.code).toBe(8);
    expect(unsynced.stderr).toMatch(/^error GGEN_E_REGISTRY_REFUSED: /m);
  });

  it('has nothing to sync when the catalog lives on a SPARQL endpoint', async () => {
    const result = await runGgen(['marketplace', 'sync'], {
      env: { GGEN_MARKETPLACE_SPARQL_ENDPOINT: 'http://127.0.0.1:9/sparql' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error GGEN_E_USAGE: The catalog is on a remote SPARQL endpoint');
  });
});
