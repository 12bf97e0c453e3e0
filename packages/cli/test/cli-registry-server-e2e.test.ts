import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { freshHome, parseJson, runGgen, serverAddress, spawnGgen } from './helpers/run-ggen.js';

function writePack(dir: string, name: string, version: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'gpack.yaml'),
    `name: ${name}\nversion: ${version}\ndescription: A pack served by a registry server\nlicense: MIT\n`,
  );
  writeFileSync(join(dir, 'README.md'), `# ${name}\n`);
  return dir;
}

describe('a registry server, as a team uses it', () => {
  it('serve, token, login, publish --sign, search, install, yank and dist-tag; 401 without a token, 403 with another scope\u2019s', async () => {
    const registry = mkdtempSync(join(tmpdir(), 'ggen-served-'));
    const serverHome = freshHome();
    const server = spawnGgen(['marketplace', 'registry', 'serve', registry, '--port', '0'], { home: serverHome });
    let logs = '';
    server.stdout?.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
    // It rejects only once the server has exited: nothing is left running.
    const url = await serverAddress(server);
    const carol = freshHome();
    try {
      const created = parseJson<{ token: string; tokens: { id: string }[] }>(
        await runGgen(['marketplace', 'registry', 'token', 'create', registry, '--label', 'alice', '--json'], {
          home: serverHome,
        }),
      );
      expect(created.token).toMatch(/^ggen_/);

      // Alice: login (the token on stdin), keygen, a signed publish.
      const alice = freshHome();
      const env = { GGEN_KEY_PASSWORD: 'pw' };
      const login = await runGgen(['marketplace', 'login', url], { home: alice, input: `${created.token}\n` });
      expect(login.stdout).toContain(`logged in to ${url} as ${created.tokens[0]!.id} (alice): publish, every package`);
      expect(login.stdout).not.toContain(created.token);
      const credentials = join(alice, '.ggen', 'credentials.json');
      expect(statSync(credentials).mode & 0o777).toBe(0o600);
      expect((await runGgen(['marketplace', 'whoami', url], { home: alice })).stdout).toContain('alice');
      const key = join(alice, 'keys', 'signing.key');
      expect((await runGgen(['marketplace', 'keygen', '--output', key], { home: alice, env })).code).toBe(0);
      const pack = writePack(join(alice, 'pack'), 'served-hello', '1.0.0');
      const published = await runGgen(['marketplace', 'publish', pack, '--sign', '--key', key, '--registry', url], {
        home: alice,
        env,
      });
      expect(published.stderr).toBe('');
      expect(published.stdout).toContain(`published served-hello@1.0.0 to ${url}`);
      expect(published.stdout).toMatch(/signed by: [0-9A-F]{16}/);
      expect(readFileSync(join(registry, 'archives', 'served-hello-1.0.0.tgz.minisig'), 'utf8')).toContain(
        'trusted comment: ggen-package name=served-hello version=1.0.0',
      );

      // Nobody: 401. Bob, with a token for another package: 403. Neither writes anything.
      writePack(join(alice, 'pack2'), 'served-hello', '1.0.1');
      const anonymous = await runGgen(['marketplace', 'publish', join(alice, 'pack2'), '--registry', url]);
      expect([anonymous.code, anonymous.stderr]).toEqual([12, expect.stringContaining('GGEN_E_AUTH_REQUIRED')]);
      const bobToken = parseJson<{ token: string }>(
        await runGgen(['marketplace', 'registry', 'token', 'create', registry, '--package', 'other', '--json'], {
          home: serverHome,
        }),
      ).token;
      const bob = await runGgen(['marketplace', 'publish', join(alice, 'pack2'), '--registry', url], {
        env: { GGEN_TOKEN: bobToken },
      });
      expect([bob.code, bob.stderr]).toEqual([12, expect.stringContaining('GGEN_E_FORBIDDEN')]);
      const status = await fetch(`${url}/-/v1/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bobToken}` },
        body: JSON.stringify({
          archive: readFileSync(join(registry, 'archives', 'served-hello-1.0.0.tgz')).toString('base64'),
        }),
      });
      expect(status.status).toBe(403);

      // Alice's second version must be signed: the package is owned.
      const unsigned = await runGgen(['marketplace', 'publish', join(alice, 'pack2'), '--registry', url], {
        home: alice,
      });
      expect([unsigned.code, unsigned.stderr]).toEqual([6, expect.stringContaining('GGEN_E_SIGNATURE_MISSING')]);
      expect(
        (
          await runGgen(['marketplace', 'publish', join(alice, 'pack2'), '--sign', '--key', key, '--registry', url], {
            home: alice,
            env,
          })
        ).code,
      ).toBe(0);

      // Carol, from another HOME: search and install from the server.
      const found = parseJson<{ packages: { name: string; version: string }[] }>(
        await runGgen(['marketplace', 'search', 'served', '--registry', url, '--json'], { home: carol }),
      );
      expect(found.packages.map((entry) => `${entry.name}@${entry.version}`)).toEqual(['served-hello@1.0.1']);
      const installed = await runGgen(['marketplace', 'install', 'served-hello@1.0.0', '--registry', url], {
        home: carol,
      });
      expect(installed.stdout).toContain('served-hello  1.0.0');
      expect(readFileSync(join(carol, '.ggen', 'packages', 'served-hello', 'README.md'), 'utf8')).toBe(
        '# served-hello\n',
      );
      // Read again, a kept document is revalidated: the server answers 304, no body.
      const before = (logs.match(/"statusCode":304/g) ?? []).length;
      expect((await runGgen(['marketplace', 'info', 'served-hello', '--registry', url], { home: carol })).code).toBe(0);
      expect((logs.match(/"statusCode":304/g) ?? []).length).toBeGreaterThan(before);

      // Lifecycle through the server: an owner's signed yank and dist-tag; unsigned is refused.
      const unsignedYank = await runGgen(['marketplace', 'yank', 'served-hello@1.0.1', '--registry', url], {
        home: alice,
      });
      expect(unsignedYank.stderr).toContain('GGEN_E_SIGNATURE_MISSING');
      const yank = await runGgen(['marketplace', 'yank', 'served-hello@1.0.1', '--key', key, '--registry', url], {
        home: alice,
        env,
      });
      expect(yank.stdout).toContain('yanked served-hello@1.0.1');
      const tag = await runGgen(
        ['marketplace', 'dist-tag', 'add', 'served-hello@1.0.0', 'stable', '--key', key, '--registry', url],
        { home: alice, env },
      );
      expect(tag.stdout).toContain('stable: 1.0.0');
      const document = (await (await fetch(`${url}/-/v1/packages/served-hello`)).json()) as {
        distTags: Record<string, string>;
        versions: { version: string; yanked: boolean }[];
      };
      expect(document.distTags).toEqual({ stable: '1.0.0' });
      expect(document.versions.map((entry) => [entry.version, entry.yanked])).toEqual([
        ['1.0.1', true],
        ['1.0.0', false],
      ]);
      // Key statements through the server: Alice adds a second key, which then speaks for the package.
      const second = join(alice, 'keys', 'second.key');
      expect((await runGgen(['marketplace', 'keygen', '--output', second], { home: alice, env })).code).toBe(0);
      const added = await runGgen(
        [
          'marketplace',
          'keys',
          'add',
          '--package',
          'served-hello',
          '--public-key',
          join(alice, 'keys', 'second.pub'),
          '--key',
          key,
          '--registry',
          url,
        ],
        { home: alice, env },
      );
      expect([added.code, added.stderr]).toEqual([0, '']);
      expect(added.stdout).toMatch(/^added key [0-9A-F]{16} for served-hello/);
      const undo = await runGgen(
        ['marketplace', 'yank', 'served-hello@1.0.1', '--undo', '--key', second, '--registry', url],
        { home: alice, env },
      );
      expect(undo.stdout).toContain('restored served-hello@1.0.1');
      const feed = (await (await fetch(`${url}/-/v1/changes`)).json()) as { changes: { action: string }[] };
      expect(feed.changes.map((change) => change.action)).toEqual([
        'publish',
        'publish',
        'yank',
        'dist-tag-add',
        'keys-add',
        'yank',
      ]);

      // Revoked: the stored token stops working at once.
      await runGgen(['marketplace', 'registry', 'token', 'revoke', registry, created.tokens[0]!.id], {
        home: serverHome,
      });
      const revoked = await runGgen(['marketplace', 'whoami', url], { home: alice });
      expect([revoked.code, revoked.stderr]).toEqual([12, expect.stringContaining('unknown, expired or revoked')]);
      expect((await runGgen(['marketplace', 'logout', url], { home: alice })).stdout).toContain(`logged out of ${url}`);
      expect(JSON.parse(readFileSync(credentials, 'utf8'))).toEqual({ registries: {} });
    } finally {
      server.kill('SIGTERM');
      const [code] = (await once(server, 'exit')) as [number | null];
      expect(code).toBe(0);
    }
    // With the server gone, what Carol read answers from her cache (offline).
    const offline = await runGgen(['marketplace', 'info', 'served-hello', '--registry', url], { home: carol });
    expect([offline.code, offline.stdout]).toEqual([0, expect.stringContaining('served-hello@1.0.1')]);
    const unknown = await runGgen(['marketplace', 'info', 'never-read', '--registry', url], { home: carol });
    // The server is down: said as a refused connection, not as a package missing.
    expect([unknown.code, unknown.stderr]).toEqual([
      8,
      expect.stringContaining('error GGEN_E_REGISTRY_REFUSED: Nothing is listening at'),
    ]);
    // pino JSON logs with request ids, and no token in them.
    const lines = logs
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { reqId?: string; msg: string });
    expect(lines.filter((line) => line.msg === 'published').length).toBe(2);
    const completed = lines.filter((line) => line.msg === 'request completed');
    expect(completed.length).toBeGreaterThan(10);
    expect(completed.filter((line) => line.reqId === undefined)).toEqual([]);
    expect(logs).not.toMatch(/ggen_[A-Za-z0-9_-]{43}/);
    // Clients read package documents and the server's search, never the whole catalog.
    expect(logs).toContain('"url":"/-/v1/packages/served-hello"');
    expect(logs).toContain('"url":"/-/v1/search?q=served');
    expect(logs).not.toContain('"url":"/catalog.nq"');
    expect(logs).toContain('stopped (SIGTERM)');
  });
});
