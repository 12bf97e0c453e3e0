import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { freePort, startNginx } from '../../../tools/testing/nginx.mjs';
import { freshHome, parseJson, runGgen, serverAddress, spawnGgen } from './helpers/run-ggen.js';

async function names(url: string): Promise<string[]> {
  const found = (await (await fetch(`${url}/-/v1/search?q=scaled&limit=50`)).json()) as {
    packages: { name: string }[];
  };
  return found.packages.map((entry) => entry.name).sort();
}

describe('two registry servers over one directory, behind nginx', () => {
  it('agree: a publish through one is seen through the other, and concurrent publishes through the proxy lose nothing', async () => {
    const registry = mkdtempSync(join(tmpdir(), 'ggen-scaleout-'));
    const serverHome = freshHome();
    const proxyPort = await freePort();
    const publicUrl = `http://127.0.0.1:${proxyPort}`;
    const servers = [0, 1].map(() =>
      spawnGgen(['marketplace', 'registry', 'serve', registry, '--port', '0', '--public-url', publicUrl], {
        home: serverHome,
      }),
    );
    const stopped = servers.map((server) => once(server, 'exit'));
    let proxy: { url: string; stop: () => Promise<void> } | undefined;
    try {
      const [first, second] = await Promise.all(servers.map((server) => serverAddress(server)));
      proxy = await startNginx([first!, second!], proxyPort);
      const token = parseJson<{ token: string }>(
        await runGgen(['marketplace', 'registry', 'token', 'create', registry, '--json'], { home: serverHome }),
      ).token;
      const home = freshHome();
      expect((await runGgen(['marketplace', 'login', publicUrl], { home, input: `${token}\n` })).code).toBe(0);
      const pack = (name: string): string => {
        const dir = join(home, name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(
          join(dir, 'gpack.yaml'),
          `name: ${name}\nversion: 1.0.0\ndescription: A scaled pack\nlicense: MIT\n`,
        );
        writeFileSync(join(dir, 'README.md'), `# ${name}\n`);
        return dir;
      };

      // Through the first instance directly; seen through the second.
      const direct = await runGgen(['marketplace', 'publish', pack('scaled-direct'), '--registry', first!], {
        home,
        env: { GGEN_TOKEN: token },
      });
      expect(direct.code).toBe(0);
      expect(await names(second!)).toEqual(['scaled-direct']);

      // Eight at once through the proxy: every one lands, in one sequence.
      const runs = await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          runGgen(['marketplace', 'publish', pack(`scaled-${index}`), '--registry', publicUrl], { home }),
        ),
      );
      expect(runs.map((run) => [run.code, run.stderr])).toEqual(runs.map(() => [0, '']));
      const all = ['scaled-direct', ...Array.from({ length: 8 }, (_, index) => `scaled-${index}`)].sort();
      expect(await names(first!)).toEqual(all);
      expect(await names(second!)).toEqual(all);
      const feed = (await (await fetch(`${publicUrl}/-/v1/changes`)).json()) as { changes: { seq: number }[] };
      expect(feed.changes.map((change) => change.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);

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
});
