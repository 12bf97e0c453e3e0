import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SearchResults } from '@ggen/marketplace-core';
import { startVirtuoso, type RunningVirtuoso } from '../../../tools/testing/virtuoso.mjs';
import { freshHome, parseJson, runGgen } from './helpers/run-ggen.js';

let virtuoso: RunningVirtuoso;
let home: string;

beforeAll(async () => {
  virtuoso = await startVirtuoso();
  home = freshHome();
  mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
  writeFileSync(
    join(home, '.config', 'ggen', 'config.yaml'),
    `marketplace:\n  backend: v2\n  sparql_endpoint: ${virtuoso.queryUrl}\n  sparql_graph_store: ${virtuoso.graphStoreUrl}\n  sparql_user: ${virtuoso.user}\n`,
  );
}, 90_000);

afterAll(async () => {
  await virtuoso.stop();
}, 30_000);

describe('the remote SPARQL mode from the CLI', () => {
  it('pushes the catalog with the password from the environment, then searches and installs through the endpoint', async () => {
    const env = { GGEN_MARKETPLACE_SPARQL_PASSWORD: virtuoso.password };
    const noPassword = await runGgen(['marketplace', 'registry', 'push'], { home });
    expect(noPassword.stderr.split('\n')[0]).toBe(
      'error GGEN_E_CONFIG_INVALID: Pushing a catalog needs marketplace.sparql_graph_store, sparql_user and sparql_password',
    );
    const push = await runGgen(['marketplace', 'registry', 'push'], { home, env });
    expect(push.code).toBe(0);
    expect(push.stdout).toMatch(/^pushed \d+ triples from .*catalog\.nq to http:\/\/127\.0\.0\.1:\d+\/sparql/);
    // Progress from the start to the end of the upload, on stderr.
    const total = /^pushed (\d+) triples/.exec(push.stdout)?.[1] ?? '';
    expect(push.stderr).toContain(`pushing: 0 of ${total} triples`);
    expect(push.stderr).toContain(`pushing: ${total} of ${total} triples`);

    const found = parseJson<SearchResults>(
      await runGgen(['marketplace', 'search', 'agent memory', '--json'], { home }),
    );
    expect([found.backend, found.packages[0]?.name]).toEqual(['v2', 'agent-memory-forge']);
    const install = await runGgen(['marketplace', 'install', 'agent-context-crafter'], { home });
    expect(install.stdout).toContain('installed 2 package(s)');
    const sparql = await runGgen(
      [
        'marketplace',
        'sparql',
        'PREFIX gg: <https://ggen.dev/ns/marketplace#> SELECT ?name WHERE { ?p gg:name ?name ; gg:categoryKey "finance" } ORDER BY ?name LIMIT 2',
      ],
      { home },
    );
    expect(sparql.stdout).toBe('name\nbanking-core\ncryptocurrency-exchange\n\n2 row(s)\n');
  });
});
