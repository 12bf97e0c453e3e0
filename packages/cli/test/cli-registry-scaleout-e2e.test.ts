import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { freePort, startNginx } from '../../../tools/testing/nginx.mjs';
import { startVirtuoso } from '../../../tools/testing/virtuoso.mjs';
import {
  compactedCatalog,
  copyOfSampleRegistry,
  freshHome,
  parseJson,
  runGgen,
  serverAddress,
  spawnGgen,
} from './helpers/run-ggen.js';

async function names(url: string): Promise<string[]> {
  const found = (await (await fetch(`${url}/-/v1/search?q=scaled&limit=50`)).json()) as {
    packages: { name: string }[];
  };
  return found.packages.map((entry) => entry.name).sort();
}

/** A token made on the server for `registry`, and a client HOME logged in with it at `url`. */
async function loggedIn(registry: string, serverHome: string, url: string): Promise<{ token: string; home: string }> {
  const { token } = parseJson<{ token: string }>(
    await runGgen(['marketplace', 'registry', 'token', 'create', registry, '--json'], { home: serverHome }),
  );
  const home = freshHome();
  expect((await runGgen(['marketplace', 'login', url], { home, input: `${token}\n` })).code).toBe(0);
  return { token, home };
}

/** Eight packs published at once through `url`, each landing; the names then in the registry (with scaled-direct). */
async function publishEight(home: string, url: string): Promise<string[]> {
  const runs = await Promise.all(
    Array.from({ length: 8 }, (_, index) =>
      runGgen(['marketplace', 'publish', pack(home, `scaled-${index}`), '--registry', url], { home }),
    ),
  );
  expect(runs.map((run) => [run.code, run.stderr])).toEqual(runs.map(() => [0, '']));
  return ['scaled-direct', ...Array.from({ length: 8 }, (_, index) => `scaled-${index}`)].sort();
}

/** A pack directory in `home`, ready to publish. */
function pack(home: string, name: string): string {
  const dir = join(home, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'gpack.yaml'), `name: ${name}\nversion: 1.0.0\ndescription: A scaled pack\nlicense: MIT\n`);
  writeFileSync(join(dir, 'README.md'), `# ${name}\n`);
  return dir;
}

describe('two registry servers over one directory, behind nginx', () => {
  it('agree: a publish through one is seen through the other, and concurrent publishes through the proxy lose nothing while a compaction runs aside', async () => {
    const registry = mkdtempSync(join(tmpdir(), 'ggen-scaleout-'));
    const serverHome = freshHome();
    const proxyPort = await freePort();
    const publicUrl = `http://127.0.0.1:${proxyPort}`;
    // A compaction aside once the journal holds 4 entries: it runs while the publishes below go on.
    const servers = [0, 1].map(() =>
      spawnGgen(
        ['marketplace', 'registry', 'serve', registry, '--port', '0', '--public-url', publicUrl, '--compact-at', '4'],
        { home: serverHome },
      ),
    );
    const stopped = servers.map((server) => once(server, 'exit'));
    // The servers' log lines (pino JSON on stdout): the end of a compaction is an event there.
    let logs = '';
    const compactionEnded = new Promise<string>((resolveEnd) => {
      for (const server of servers)
        server.stdout?.on('data', (chunk: Buffer) => {
          logs += chunk.toString('utf8');
          const ended = /"msg":"(compacted the catalog aside|the compaction aside failed)"/.exec(logs);
          if (ended?.[1] !== undefined) resolveEnd(ended[1]);
        });
    });
    let proxy: { url: string; stop: () => Promise<void> } | undefined;
    try {
      const [first, second] = await Promise.all(servers.map((server) => serverAddress(server)));
      proxy = await startNginx([first!, second!], proxyPort);
      const { token, home } = await loggedIn(registry, serverHome, publicUrl);

      // Through the first instance directly; seen through the second.
      const direct = await runGgen(['marketplace', 'publish', pack(home, 'scaled-direct'), '--registry', first!], {
        home,
        env: { GGEN_TOKEN: token },
      });
      expect(direct.code).toBe(0);
      expect(await names(second!)).toEqual(['scaled-direct']);

      // Eight at once through the proxy: every one lands, in one sequence.
      const all = await publishEight(home, publicUrl);
      expect(await names(first!)).toEqual(all);
      expect(await names(second!)).toEqual(all);
      const feed = (await (await fetch(`${publicUrl}/-/v1/changes`)).json()) as { changes: { seq: number }[] };
      expect(feed.changes.map((change) => change.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // The compaction (ggen registry compact, a child of the server) folded the journal as it stood.
      expect(await compactionEnded).toBe('compacted the catalog aside');
      const catalog = readFileSync(join(registry, 'catalog.nq'), 'utf8');
      expect(catalog).toContain('/package/scaled-direct>');
      // At least the four entries it started with are in catalog.nq now, no longer in the journal.
      const folded = all.filter((name) => catalog.includes(`/package/${name}>`));
      expect(folded.length).toBeGreaterThanOrEqual(5);
      expect(await names(first!)).toEqual(all);

      // Documents name archives at the public address; an install through the proxy works.
      const document = (await (await fetch(`${publicUrl}/-/v1/packages/scaled-3`)).json()) as {
        versions: { tarball: string }[];
      };
      expect(document.versions[0]?.tarball).toBe(`${publicUrl}/archives/scaled-3-1.0.0.tgz`);
      const installed = await runGgen(['marketplace', 'install', 'scaled-3', '--registry', publicUrl], {
        home: freshHome(),
      });
      expect(installed.stdout).toContain('scaled-3  1.0.0');
    } finally {
      await proxy?.stop();
      for (const server of servers) server.kill('SIGTERM');
      const codes = (await Promise.all(stopped)).map(([code]) => code as number | null);
      expect(codes).toEqual([0, 0]);
    }
  });

  it('agree with the catalog on one Virtuoso: publishes and a yank through either are in the endpoint and seen through both', async () => {
    const virtuoso = await startVirtuoso();
    try {
      const registry = copyOfSampleRegistry();
      // Written whole once with its statistics (the sample has none, so its first change would write
      // it whole, and the endpoint would take it by a push aside): changes are journal entries.
      await compactedCatalog(registry);
      const serverHome = freshHome();
      mkdirSync(join(serverHome, '.config', 'ggen'), { recursive: true });
      writeFileSync(
        join(serverHome, '.config', 'ggen', 'config.yaml'),
        `marketplace:\n  sparql_endpoint: ${virtuoso.queryUrl}\n  sparql_graph_store: ${virtuoso.graphStoreUrl}\n  sparql_user: ${virtuoso.user}\n`,
      );
      const serve = ['marketplace', 'registry', 'serve', registry, '--port', '0', '--catalog', 'remote'];
      // Without the endpoint's password the server does not start, and says which setting is missing.
      const refused = await runGgen(serve, { home: serverHome });
      expect([refused.code, refused.stderr.split('\n')[0]]).toEqual([
        2,
        'error GGEN_E_CONFIG_INVALID: A registry server with its catalog on a SPARQL endpoint needs marketplace.sparql_graph_store, sparql_user and sparql_password',
      ]);
      const env = { GGEN_MARKETPLACE_SPARQL_PASSWORD: virtuoso.password };
      const proxyPort = await freePort();
      const publicUrl = `http://127.0.0.1:${proxyPort}`;
      const servers = [0, 1].map(() => spawnGgen([...serve, '--public-url', publicUrl], { home: serverHome, env }));
      const stopped = servers.map((server) => once(server, 'exit'));
      // The first instance's log lines (pino JSON on stdout): a push aside ending is an event there.
      let firstLog = '';
      servers[0]?.stdout?.on('data', (chunk: Buffer) => {
        firstLog += chunk.toString('utf8');
      });
      const logged = (message: string): Promise<void> =>
        new Promise((resolveLogged) => {
          const look = (): void => {
            if (firstLog.includes(`"msg":"${message}"`)) resolveLogged();
            else servers[0]?.stdout?.once('data', look);
          };
          look();
        });
      let proxy: { url: string; stop: () => Promise<void> } | undefined;
      /** The package names the endpoint's live graph holds, asked of Virtuoso itself. */
      const inEndpoint = async (prefix: string): Promise<string[]> => {
        const sparql = `SELECT ?name WHERE { GRAPH ?g { ?p <https://ggen.dev/ns/marketplace#name> ?name } GRAPH <https://ggen.dev/registry/catalog-meta> { ?r <https://ggen.dev/ns/marketplace#currentGraph> ?g ; <https://ggen.dev/ns/marketplace#switchedAt> ?at } FILTER(STRSTARTS(?name, "${prefix}")) { SELECT (MAX(?t) AS ?at) WHERE { GRAPH <https://ggen.dev/registry/catalog-meta> { ?x <https://ggen.dev/ns/marketplace#switchedAt> ?t } } } }`;
        const response = await fetch(`${virtuoso.queryUrl}?query=${encodeURIComponent(sparql)}`, {
          headers: { accept: 'application/sparql-results+json' },
        });
        const body = (await response.json()) as { results: { bindings: { name: { value: string } }[] } };
        return body.results.bindings.map((row) => row.name.value).sort();
      };
      try {
        const [first, second] = await Promise.all(servers.map((server) => serverAddress(server)));
        proxy = await startNginx([first!, second!], proxyPort);
        // The sample's catalog was pushed as the first instance started.
        expect(await inEndpoint('agent-memory')).toEqual(['agent-memory-forge']);
        const { token, home } = await loggedIn(registry, serverHome, publicUrl);

        // Logged in at the proxy's address; an instance's own address takes the token from the environment.
        const direct = await runGgen(['marketplace', 'publish', pack(home, 'scaled-direct'), '--registry', first!], {
          home,
          env: { GGEN_TOKEN: token },
        });
        expect([direct.code, direct.stderr]).toEqual([0, '']);
        expect(await inEndpoint('scaled')).toEqual(['scaled-direct']);
        expect(await names(second!)).toEqual(['scaled-direct']);

        const all = await publishEight(home, publicUrl);
        expect(await inEndpoint('scaled')).toEqual(all);
        expect(await names(first!)).toEqual(all);
        expect(await names(second!)).toEqual(all);

        // A yank through one instance; the other's document (read from the endpoint) says so.
        const yank = await runGgen(['marketplace', 'yank', 'scaled-3@1.0.0', '--registry', second!], {
          home,
          env: { GGEN_TOKEN: token },
        });
        expect(yank.stdout).toContain('yanked scaled-3@1.0.0');
        const document = (await (await fetch(`${first!}/-/v1/packages/scaled-3`)).json()) as {
          versions: { version: string; yanked: boolean; tarball: string }[];
        };
        expect(document.versions.map((entry) => [entry.version, entry.yanked, entry.tarball])).toEqual([
          ['1.0.0', true, `${publicUrl}/archives/scaled-3-1.0.0.tgz`],
        ]);
        // A compaction writes catalog.nq whole: the endpoint holds another catalog. The first read
        // through an instance starts a push aside (and is answered from the endpoint as it is); a
        // publish after the push is applied to the new generation as an update.
        const compact = await runGgen(['marketplace', 'registry', 'compact', '--registry', registry]);
        expect(compact.stdout).toMatch(/^compacted .*: 10 journal entries folded into a catalog of 86 packages/);
        const pushed = logged('pushed the catalog to the SPARQL endpoint');
        expect(await names(first!)).toEqual(all);
        await pushed;
        const after = await runGgen(['marketplace', 'publish', pack(home, 'scaled-after'), '--registry', first!], {
          home,
          env: { GGEN_TOKEN: token },
        });
        expect([after.code, after.stderr]).toEqual([0, '']);
        expect(await inEndpoint('scaled')).toEqual([...all, 'scaled-after'].sort());
        expect(await names(second!)).toEqual([...all, 'scaled-after'].sort());
        // The server's SPARQL endpoint is the remote one (no size limit of its own).
        const sparql = (await (
          await fetch(
            `${publicUrl}/-/v1/sparql?query=${encodeURIComponent('PREFIX gg: <https://ggen.dev/ns/marketplace#> SELECT (COUNT(?p) AS ?n) WHERE { ?p gg:name ?name FILTER(STRSTARTS(?name, "scaled")) }')}`,
          )
        ).json()) as { rows: { n: { value: string } }[] };
        expect(sparql.rows[0]?.n.value).toBe('10');

        // Reads are the endpoint's: with it gone, a search says so, naming it.
        expect(
          (await runGgen(['marketplace', 'search', 'scaled', '--backend', 'v2', '--registry', first!], { home }))
            .stdout,
        ).toContain('scaled-direct');
        await virtuoso.stop();
        expect((await fetch(`${second!}/healthz`)).status).toBe(502);
        const search = ['marketplace', 'search', 'scaled', '--backend', 'v2', '--registry', first!];
        const down = await runGgen(search, { home });
        expect([down.code, down.stdout]).toEqual([8, '']);
        expect(down.stderr.split('\n')[0]).toMatch(
          new RegExp(
            `^error GGEN_E_REGISTRY_HTTP: GET ${first!}/-/v1/search\\S* answered 502 Bad Gateway: .*${virtuoso.queryUrl}`,
          ),
        );
      } finally {
        await proxy?.stop();
        for (const server of servers) server.kill('SIGTERM');
        const codes = (await Promise.all(stopped)).map(([code]) => code as number | null);
        expect(codes).toEqual([0, 0]);
      }
    } finally {
      await virtuoso.stop();
    }
  }, 240_000);
});
