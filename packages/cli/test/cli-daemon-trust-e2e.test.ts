// The query service's trust boundary (issue 11, findings 5, 12, 13): the launcher talks only
// to its own user's service, sends only what a lookup reads, never shares TLS settings across
// callers, and a stuck service costs a lookup its deadline, not forever.
import { afterAll, describe, expect, it } from '@jest/globals';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKey, socketPath } from '../src/daemon/daemon-common.js';
import { cliRoot, freshHome, parseJson, runGgen, type Run } from './helpers/run-ggen.js';

const launcher = join(cliRoot, 'bin', 'ggen.cjs');
const bundlePath = join(cliRoot, 'dist', 'parallel', 'ggen.cjs');
const NOBODY = 65534;
const servers: Server[] = [];
const serviceDirs: string[] = [];

afterAll(async () => {
  for (const server of servers) server.close();
  for (const dir of serviceDirs)
    await runGgen(['marketplace', 'daemon', 'stop'], {
      bin: launcher,
      env: { GGEN_DAEMON: '1', GGEN_DAEMON_DIR: dir },
    });
});

interface Listener {
  requests: { env: Record<string, string> }[];
  connections: number;
}

/** A listener on the socket the launcher would use in `dir`: answers like a service, or never (stuck). */
async function listen(dir: string, mode: 'answer' | 'stuck'): Promise<Listener> {
  const state: Listener = { requests: [], connections: 0 };
  const server = createServer((connection) => {
    state.connections += 1;
    connection.setEncoding('utf8');
    let buffered = '';
    connection.on('data', (chunk: string) => {
      buffered += chunk;
      if (!buffered.includes('\n')) return;
      state.requests.push(JSON.parse(buffered.slice(0, buffered.indexOf('\n'))) as { env: Record<string, string> });
      if (mode === 'answer')
        connection.end(
          `${JSON.stringify({ started: true })}\n${JSON.stringify({ out: 'ANSWER FROM THE LISTENER' })}\n${JSON.stringify({ exit: 0 })}\n`,
        );
    });
    connection.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((resolvePromise) => server.listen(socketPath(dir, buildKey(bundlePath)), resolvePromise));
  return state;
}

const search = (env: Record<string, string>): Promise<Run> =>
  runGgen(['marketplace', 'search', 'agent editor', '--limit', '1'], {
    bin: launcher,
    env: { GGEN_DAEMON: '1', ...env },
  });

describe("the launcher talks to its own user's service only", () => {
  it('sends nothing to a listener in a predictable <tmp>/ggen-<uid> that another user created', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'ggen-shared-tmp-'));
    chmodSync(tmp, 0o1777);
    const planted = join(tmp, `ggen-${process.getuid?.() ?? 0}`);
    mkdirSync(planted, { mode: 0o700 });
    const attacker = await listen(planted, 'answer');
    chownSync(planted, NOBODY, NOBODY);
    const run = await search({ TMPDIR: tmp, GGEN_KEY_PASSWORD: 'secret', AWS_SECRET_ACCESS_KEY: 'cloud-secret' });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('agent-editor');
    expect(run.stdout).not.toContain('ANSWER FROM THE LISTENER');
    expect(attacker.connections).toBe(0);
  });

  it("sends nothing to a socket owned by another user, even in the user's own directory", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ggen-svc-')), 'run');
    mkdirSync(dir, { mode: 0o700 });
    const attacker = await listen(dir, 'answer');
    chownSync(socketPath(dir, buildKey(bundlePath)), NOBODY, NOBODY);
    const run = await search({ GGEN_DAEMON_DIR: dir });
    expect(run.stdout).not.toContain('ANSWER FROM THE LISTENER');
    expect(run.code).toBe(0);
    expect(attacker.connections).toBe(0);
  });

  it('sends its own service only the variables a lookup reads', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ggen-svc-')), 'run');
    mkdirSync(dir, { mode: 0o700 });
    const own = await listen(dir, 'answer');
    const run = await search({
      GGEN_DAEMON_DIR: dir,
      GGEN_KEY_PASSWORD: 'secret',
      AWS_SECRET_ACCESS_KEY: 'cloud-secret',
      GGEN_MARKETPLACE_TIMEOUT_MS: '5000',
    });
    expect(run.stdout).toBe('ANSWER FROM THE LISTENER\n');
    expect(own.requests).toHaveLength(1);
    const sent = Object.keys(own.requests[0]?.env ?? {}).sort();
    expect(sent).toEqual(['GGEN_DAEMON', 'GGEN_DAEMON_DIR', 'GGEN_MARKETPLACE_TIMEOUT_MS', 'HOME']);
  });

  it('answers in its own process when the service accepts and never answers', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ggen-svc-')), 'run');
    mkdirSync(dir, { mode: 0o700 });
    const stuck = await listen(dir, 'stuck');
    const run = await search({ GGEN_DAEMON_DIR: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('agent-editor');
    expect(stuck.requests).toHaveLength(1);
  });
});

describe("the service never carries one caller's environment to another (finding 12)", () => {
  it("keeps only its starter's TLS settings, and serves only callers with the same ones", async () => {
    const home = freshHome();
    const dir = join(mkdtempSync(join(tmpdir(), 'ggen-svc-')), 'run');
    serviceDirs.push(dir);
    const env = { GGEN_DAEMON: '1', GGEN_DAEMON_DIR: dir };
    const start = await runGgen(['marketplace', 'daemon', 'start'], {
      bin: launcher,
      home,
      env: {
        ...env,
        NODE_TLS_REJECT_UNAUTHORIZED: '0',
        GGEN_KEY_PASSWORD: 'secret',
        AWS_SECRET_ACCESS_KEY: 'cloud-secret',
      },
    });
    expect(start.stdout).toMatch(/^started/);
    const status = async (): Promise<{ status: { pid: number; served: number } }> =>
      parseJson(await runGgen(['marketplace', 'daemon', 'status', '--json'], { bin: launcher, home, env }));
    const { pid } = (await status()).status;
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ.some((entry) => entry.startsWith('PATH='))).toBe(true);
    expect(environ.filter((entry) => /^(GGEN_KEY_PASSWORD|AWS_SECRET_ACCESS_KEY)=/.test(entry))).toEqual([]);

    // A caller with TLS verification on is not served by a service that has it off: it runs in-process.
    const careful = await search({ ...env, HOME: home });
    expect(careful.stdout).toContain('agent-editor');
    expect((await status()).status.served).toBe(0);
    // The same settings as the service's: served.
    const same = await search({ ...env, HOME: home, NODE_TLS_REJECT_UNAUTHORIZED: '0' });
    expect(same.stdout).toContain('agent-editor');
    expect((await status()).status.served).toBe(1);
    // A private CA of its own: in-process again.
    const ca = await search({
      ...env,
      HOME: home,
      NODE_TLS_REJECT_UNAUTHORIZED: '0',
      NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt',
    });
    expect(ca.stdout).toContain('agent-editor');
    expect((await status()).status.served).toBe(1);
  });
});
