import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { InstallResult, PackageDetails, SearchResults } from '@ggen/marketplace-core';
import { startStaticServer, type StaticServer } from '../../../tools/testing/static-server.mjs';
import { copyOfSampleRegistry, freshHome, parseJson, runGgen } from './helpers/run-ggen.js';

describe('the v2 backend from the CLI', () => {
  it('answers search and info in the same shape as v1', async () => {
    const v1 = parseJson<SearchResults>(
      await runGgen(['marketplace', 'search', 'agent memory', '--json', '--backend', 'v1']),
    );
    const v2 = parseJson<SearchResults>(
      await runGgen(['marketplace', 'search', 'agent memory', '--json', '--backend', 'v2']),
    );
    expect(v2.backend).toBe('v2');
    expect(Object.keys(v2).sort()).toEqual(['backend', 'packages', 'queryTimeMs', 'total']);
    expect(Object.keys(v2.packages[0] ?? {}).sort()).toEqual(Object.keys(v1.packages[0] ?? {}).sort());
    expect(v2.packages[0]?.name).toBe('agent-memory-forge');
    const infoV1 = parseJson<PackageDetails>(
      await runGgen(['marketplace', 'info', 'agent-reasoning-mcp', '--json', '--backend', 'v1']),
    );
    const infoV2 = parseJson<PackageDetails>(
      await runGgen(['marketplace', 'info', 'agent-reasoning-mcp', '--json', '--backend', 'v2']),
    );
    expect(infoV2).toEqual(infoV1);
  });

  it('runs in the v2-only build, where v2 is the default', async () => {
    const result = await runGgen(['marketplace', 'search', 'bibtex', '--json'], { features: 'v2' });
    expect(parseJson<SearchResults>(result)).toMatchObject({
      backend: 'v2',
      packages: [{ name: 'academic-bibliography-manager' }],
    });
    const refused = await runGgen(['marketplace', 'search', 'bibtex', '--backend', 'v1'], { features: 'v2' });
    expect([refused.code, refused.stderr.split('\n')[0]]).toEqual([
      2,
      "error GGEN_E_BACKEND_UNAVAILABLE: Backend 'v1' (from --backend) is not compiled into this build (marketplace-v2)",
    ]);
  });

  it('runs read-only SPARQL and refuses updates', async () => {
    const select = await runGgen([
      'marketplace',
      'sparql',
      'PREFIX gg: <https://ggen.dev/ns/marketplace#> SELECT ?name WHERE { ?p gg:name ?name ; gg:categoryKey "finance" } ORDER BY ?name LIMIT 2',
    ]);
    expect(select.stdout).toBe('name\nbanking-core\ncryptocurrency-exchange\n\n2 row(s)\n');
    const ask = await runGgen(['marketplace', 'sparql', 'ASK { ?s ?p ?o }', '--json']);
    expect(parseJson(ask)).toEqual({ kind: 'ask', value: true });
    const update = await runGgen(['marketplace', 'sparql', 'DROP ALL']);
    expect([update.code, update.stderr.split('\n')[0]]).toEqual([
      2,
      'error GGEN_E_SPARQL_UPDATE_REFUSED: SPARQL updates are refused: this command is read-only',
    ]);
    const file = join(freshHome(), 'q.rq');
    writeFileSync(file, 'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }');
    const slow = await runGgen(['marketplace', 'sparql', '--file', file, '--timeout', '300']);
    expect([slow.code, slow.stderr.split('\n')[0]]).toEqual([
      8,
      'error GGEN_E_SPARQL_TIMEOUT: The query did not finish within 300 ms and was stopped',
    ]);
  });
});

describe('a migrated v1 registry, in a directory and over HTTP', () => {
  let registry: string;
  let server: StaticServer;
  beforeAll(async () => {
    registry = copyOfSampleRegistry();
    rmSync(join(registry, 'catalog.nq'));
    server = await startStaticServer(registry);
  });
  afterAll(async () => {
    await server.close();
  });

  it('migrates with the CLI, then searches, installs and publishes through v2', async () => {
    const before = await runGgen(['marketplace', 'search', 'agent', '--backend', 'v2', '--registry', registry]);
    expect(before.stderr).toContain('error GGEN_E_REGISTRY_UNREACHABLE: No v2 catalog at');
    const migrate = await runGgen(['marketplace', 'registry', 'migrate', '--from', registry, '--to', registry]);
    expect(migrate.stdout).toContain('migrated 77 package(s), 77 version(s)');
    expect(existsSync(join(registry, 'catalog.nq'))).toBe(true);

    for (const location of [registry, server.url]) {
      const home = freshHome();
      const found = parseJson<SearchResults>(
        await runGgen(['marketplace', 'search', 'reasoning', '--json', '--backend', 'v2', '--registry', location], {
          home,
        }),
      );
      expect(found.packages[0]?.name).toBe('agent-reasoning-mcp');
      const installed = parseJson<InstallResult>(
        await runGgen(
          ['marketplace', 'install', 'agent-reasoning-mcp', '--json', '--backend', 'v2', '--registry', location],
          { home },
        ),
      );
      expect(installed.installed.map((entry) => `${entry.name}:${entry.backend}`)).toEqual([
        'agent-memory-forge:v2',
        'agent-context-crafter:v2',
        'agent-reasoning-mcp:v2',
      ]);
    }

    const dir = mkdtempSync(join(tmpdir(), 'ggen-v2gpack-'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(
      join(dir, 'gpack.yaml'),
      'name: v2-only-pack\nversion: 0.1.0\ndescription: Published straight to the v2 catalog\n',
    );
    writeFileSync(join(dir, 'templates', 't.tmpl'), 't');
    const publish = await runGgen(['marketplace', 'publish', dir, '--backend', 'v2', '--registry', registry]);
    expect(publish.code).toBe(0);
    const home = freshHome();
    const info = parseJson<PackageDetails>(
      await runGgen(['marketplace', 'info', 'v2-only-pack', '--json', '--backend', 'v2', '--registry', server.url], {
        home,
      }),
    );
    expect(info).toMatchObject({ name: 'v2-only-pack', version: '0.1.0' });
    // Appended to the catalog's journal: the catalog itself is not rewritten for one package.
    expect(readFileSync(join(registry, 'catalog.journal.nq'), 'utf8')).toContain('v2-only-pack');
    expect(readFileSync(join(registry, 'catalog.nq'), 'utf8')).not.toContain('v2-only-pack');
  });
});
