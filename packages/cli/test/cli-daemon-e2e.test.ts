import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from '@jest/globals';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PackageDetails, SearchResults } from '@ggen/marketplace-core';
import { cliRoot, copyOfSampleRegistry, freshHome, parseJson, runGgen, type Run } from './helpers/run-ggen.js';

// The resident query service, end to end: the real launcher (bin/ggen.cjs), a real service
// process on a real Unix socket, and the answers compared with the same command run in-process.
const launcher = join(cliRoot, 'bin', 'ggen.cjs');
const started: string[] = [];

interface Status {
  running: boolean;
  socket: string;
  status?: { pid: number; served: number; stores: string[] };
}

function serviceDir(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'ggen-svc-')), 'run');
  started.push(dir);
  return dir;
}

const viaLauncher = (args: string[], home: string, dir: string, env: Record<string, string> = {}): Promise<Run> =>
  runGgen(args, { bin: launcher, home, env: { GGEN_DAEMON: '1', GGEN_DAEMON_DIR: dir, ...env } });

const statusOf = async (home: string, dir: string): Promise<Status> =>
  parseJson<Status>(await viaLauncher(['marketplace', 'daemon', 'status', '--json'], home, dir));

async function waitForService(home: string, dir: string): Promise<Status> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const status = await statusOf(home, dir);
    if (status.running) return status;
    await sleep(100);
  }
  throw new Error(`no query service came up in ${dir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Timings differ from run to run; everything else must be the same. */
const withoutTimings = (text: string): string =>
  text.replace(/\((v1|v2), [\d.]+ ms\)/g, '($1, _ ms)').replace(/"queryTimeMs": [\d.]+/g, '"queryTimeMs": _');

afterAll(async () => {
  for (const dir of started) {
    const status = await statusOf(freshHome(), dir).catch(() => undefined);
    if (status?.running === true) await viaLauncher(['marketplace', 'daemon', 'stop'], freshHome(), dir);
    if (status?.status !== undefined && alive(status.status.pid)) process.kill(status.status.pid, 'SIGKILL');
  }
});

describe('the resident query service', () => {
  it('is not wedged by a registry file that is a FIFO: the lookup is refused at once, status and stop still answer (issue 27, finding 11)', async () => {
    const home = freshHome();
    const dir = serviceDir();
    await viaLauncher(['marketplace', 'daemon', 'start'], home, dir);
    const first = await waitForService(home, dir);
    const registry = mkdtempSync(join(tmpdir(), 'ggen-fifo-registry-'));
    execFileSync('mkfifo', [join(registry, 'catalog.nq')]);
    const lookup = await viaLauncher(
      ['marketplace', 'search', 'agent', '--backend', 'v2', '--registry', registry],
      home,
      dir,
    );
    expect(lookup.stderr).toMatch(/catalog\.nq is not a regular file/);
    expect(lookup.code).not.toBe(0);
    const after = await statusOf(home, dir);
    expect(after.running).toBe(true);
    expect(after.status?.pid).toBe(first.status?.pid);
    expect(after.status?.served).toBeGreaterThan(first.status?.served ?? 0);
    expect((await viaLauncher(['marketplace', 'daemon', 'stop'], home, dir)).code).toBe(0);
    expect((await statusOf(home, dir)).running).toBe(false);
  });

  it('starts on the first lookup and then answers lookups exactly as the command run in its own process', async () => {
    const home = freshHome();
    const dir = serviceDir();
    const registry = copyOfSampleRegistry();
    const commands = [
      ['marketplace', 'search', 'agent memory', '--registry', registry],
      ['marketplace', 'search', 'rust web', '--registry', registry, '--backend', 'v2', '--json'],
      ['marketplace', 'search', 'agnet', '--registry', registry, '--backend', 'v1'],
      ['marketplace', 'info', 'agent-reasoning-mcp', '--registry', registry, '--json'],
      ['marketplace', 'info', 'no-such-pack', '--registry', registry],
      ['marketplace', 'search', 'x', '--registry', registry, '--limit', 'many'],
    ];
    const first = await viaLauncher(commands[0] ?? [], home, dir);
    expect(first.code).toBe(0);
    const status = await waitForService(home, dir);
    expect(status.status?.served).toBe(0);

    for (const args of commands) {
      const served = await viaLauncher(args, home, dir);
      const inProcess = await viaLauncher(args, home, dir, { GGEN_DAEMON: '0' });
      expect({ args, code: served.code, stdout: withoutTimings(served.stdout), stderr: served.stderr }).toEqual({
        args,
        code: inProcess.code,
        stdout: withoutTimings(inProcess.stdout),
        stderr: inProcess.stderr,
      });
    }
    const after = await statusOf(home, dir);
    expect(after.status?.pid).toBe(status.status?.pid);
    expect(after.status?.served).toBe(commands.length);
    expect(after.status?.stores).toHaveLength(1);
    // The error cases kept their codes through the service.
    expect((await viaLauncher(commands[4] ?? [], home, dir)).code).toBe(4);
    expect((await viaLauncher(commands[5] ?? [], home, dir)).code).toBe(2);
    // Its operations are recorded in the caller's metrics like any other.
    const metricsLines = readFileSync(join(home, '.ggen', 'metrics', 'operations.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(metricsLines.length).toBeGreaterThanOrEqual(commands.length * 2);
  }, 120_000);

  it('runs each command with the caller’s working directory, HOME and environment', async () => {
    const dir = serviceDir();
    const registry = copyOfSampleRegistry();
    const homeA = freshHome();
    await viaLauncher(['marketplace', 'daemon', 'start'], homeA, dir);
    // Three callers of one service: a project ggen.yaml, a user config under HOME, an environment variable.
    const project = mkdtempSync(join(tmpdir(), 'ggen-project-'));
    writeFileSync(join(project, 'ggen.yaml'), 'marketplace:\n  backend: v1\n');
    const homeB = freshHome();
    mkdirSync(join(homeB, '.config', 'ggen'), { recursive: true });
    writeFileSync(join(homeB, '.config', 'ggen', 'config.yaml'), 'marketplace:\n  backend: v1\n');
    const search = ['marketplace', 'search', 'agent', '--registry', registry, '--json'];
    const inProject = await runGgen(search, {
      bin: launcher,
      home: homeA,
      cwd: project,
      env: { GGEN_DAEMON: '1', GGEN_DAEMON_DIR: dir },
    });
    const outside = await viaLauncher(search, homeA, dir);
    const userConfig = await viaLauncher(search, homeB, dir);
    const viaEnv = await viaLauncher(search, homeB, dir, { GGEN_MARKETPLACE_BACKEND: 'v2' });
    expect([inProject, outside, userConfig, viaEnv].map((run) => parseJson<SearchResults>(run).backend)).toEqual([
      'v1',
      'v2',
      'v1',
      'v2',
    ]);
    // A relative --registry is relative to the caller's directory, not the service's.
    const relative = await runGgen(['marketplace', 'info', 'agent-editor', '--registry', '.', '--json'], {
      bin: launcher,
      home: homeA,
      cwd: registry,
      env: { GGEN_DAEMON: '1', GGEN_DAEMON_DIR: dir },
    });
    expect(parseJson<PackageDetails>(relative).name).toBe('agent-editor');
    expect((await statusOf(homeA, dir)).status?.served).toBe(5);
  }, 120_000);

  it('sees a file registry change at once: a publish is found by the next search', async () => {
    const home = freshHome();
    const dir = serviceDir();
    const registry = copyOfSampleRegistry();
    await viaLauncher(['marketplace', 'daemon', 'start'], home, dir);
    const before = parseJson<SearchResults>(
      await viaLauncher(
        ['marketplace', 'search', 'zebra-stripes', '--registry', registry, '--backend', 'v2', '--json'],
        home,
        dir,
      ),
    );
    expect(before.packages.map((pkg) => pkg.name)).not.toContain('zebra-stripes');
    const pack = mkdtempSync(join(tmpdir(), 'ggen-pack-'));
    writeFileSync(
      join(pack, 'gpack.yaml'),
      'name: zebra-stripes\nversion: 1.0.0\ndescription: Zebra stripes generator for service daemons\ncategory: templates\n',
    );
    mkdirSync(join(pack, 'templates'));
    writeFileSync(join(pack, 'templates', 'a.tmpl'), 'stripes\n');
    const published = await runGgen(['marketplace', 'publish', pack, '--registry', registry], { home });
    expect(published.code).toBe(0);
    const after = parseJson<SearchResults>(
      await viaLauncher(
        ['marketplace', 'search', 'zebra-stripes', '--registry', registry, '--backend', 'v2', '--json'],
        home,
        dir,
      ),
    );
    expect(after.packages[0]?.name).toBe('zebra-stripes');
    const info = parseJson<PackageDetails>(
      await viaLauncher(
        ['marketplace', 'info', 'zebra-stripes', '--registry', registry, '--backend', 'v2', '--json'],
        home,
        dir,
      ),
    );
    expect(info.description).toBe('Zebra stripes generator for service daemons');
    expect((await statusOf(home, dir)).status?.served).toBe(3);
  }, 120_000);

  it('recovers from a killed service: the lookup runs in-process and a new service takes over the stale socket', async () => {
    const home = freshHome();
    const dir = serviceDir();
    const first = await waitForService(home, (await viaLauncher(['marketplace', 'daemon', 'start'], home, dir), dir));
    const pid = first.status?.pid ?? 0;
    process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(20);
    expect(existsSync(first.socket)).toBe(true);
    const search = await viaLauncher(['marketplace', 'search', 'agent memory', '--json'], home, dir);
    expect(parseJson<SearchResults>(search).packages[0]?.name).toBe('agent-memory-forge');
    const second = await waitForService(home, dir);
    expect(second.status?.pid).not.toBe(pid);
    expect(second.socket).toBe(first.socket);
  }, 120_000);

  it('stops when asked, or once idle, and removes its socket', async () => {
    const home = freshHome();
    const dir = serviceDir();
    const start = await viaLauncher(['marketplace', 'daemon', 'start'], home, dir);
    expect(start.stdout).toMatch(/^started\npid +\d+/);
    const again = await viaLauncher(['marketplace', 'daemon', 'start'], home, dir);
    expect(again.stdout).toMatch(/^already running/);
    const { socket, status } = await statusOf(home, dir);
    const stop = await viaLauncher(['marketplace', 'daemon', 'stop'], home, dir);
    expect(stop.stdout).toBe(`stopped\nsocket: ${socket}\n`);
    expect(existsSync(socket)).toBe(false);
    for (let attempt = 0; attempt < 100 && alive(status?.pid ?? 0); attempt += 1) await sleep(50);
    expect(alive(status?.pid ?? 0)).toBe(false);
    expect((await viaLauncher(['marketplace', 'daemon', 'stop'], home, dir)).stdout).toMatch(/^not running/);

    // In the foreground with a short idle timeout (0.02 min): it stops by itself.
    const serve = await viaLauncher(['marketplace', 'daemon', 'serve', '--idle-timeout', '0.02'], home, dir);
    expect(serve.code).toBe(0);
    expect(serve.stdout).toMatch(/^stopped \(idle\) after 0 command\(s\); socket .* removed/);
    expect(serve.stderr).toMatch(/listening on .*\.sock \(idle timeout 1 s\)/);
    expect(readdirSync(dir).filter((name) => name.endsWith('.sock'))).toEqual([]);
    const badTimeout = await viaLauncher(['marketplace', 'daemon', 'serve', '--idle-timeout', '-1'], home, dir);
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toMatch(/^error GGEN_E_USAGE: --idle-timeout must be a positive number/m);
  }, 120_000);

  it('is reached through node:net, loading nothing the launcher needs only to run a command itself, with the same answers and no warning under --pending-deprecation', async () => {
    // A preload (node --require) that reports the launcher's loaded node modules at exit; the
    // service runs it too (NODE_OPTIONS is one of the settings it shares with its callers) but
    // has no report file to write.
    const work = mkdtempSync(join(tmpdir(), 'ggen-transport-'));
    const preload = join(work, 'report-loaded.cjs');
    writeFileSync(
      preload,
      `process.on('exit', () => {
  if (process.env.GGEN_TEST_LOADED === undefined) return;
  const builtins = process.moduleLoadList.filter((entry) => entry.startsWith('NativeModule ')).map((entry) => entry.slice('NativeModule '.length));
  require('node:fs').writeFileSync(process.env.GGEN_TEST_LOADED, JSON.stringify(builtins));
});
`,
    );
    const search = ['marketplace', 'search', 'rust web', '--json'];
    const home = freshHome();
    const inProcess = await viaLauncher(search, home, serviceDir(), { GGEN_DAEMON: '0' });
    for (const nodeOptions of [`--require ${preload}`, `--require ${preload} --pending-deprecation`]) {
      const dir = serviceDir();
      const env = { NODE_OPTIONS: nodeOptions };
      await viaLauncher(['marketplace', 'daemon', 'start'], home, dir, env);
      const report = join(mkdtempSync(join(work, 'run-')), 'loaded.json');
      const served = await viaLauncher(search, home, dir, { ...env, GGEN_TEST_LOADED: report });
      expect({ nodeOptions, code: served.code, stdout: withoutTimings(served.stdout), stderr: served.stderr }).toEqual({
        nodeOptions,
        code: 0,
        stdout: withoutTimings(inProcess.stdout),
        stderr: '',
      });
      expect((await statusOf(home, dir)).status?.served).toBe(1);
      const builtins = JSON.parse(readFileSync(report, 'utf8')) as string[];
      expect({ nodeOptions, net: builtins.includes('net') }).toEqual({ nodeOptions, net: true });
      // Nothing the launcher needs only to run a command itself (os for the cache directory, vm, v8).
      expect(builtins.filter((name) => ['os', 'vm', 'v8'].includes(name))).toEqual([]);
      // The report is right: node's own fs is always there.
      expect(builtins).toContain('fs');
    }
  }, 120_000);

  it('is not used under CI, when turned off, or when its directory is open to others; a bad GGEN_DAEMON is a coded error', async () => {
    const home = freshHome();
    const ciDir = serviceDir();
    const underCi = await runGgen(['marketplace', 'search', 'agent'], {
      bin: launcher,
      home,
      env: { CI: 'true', GGEN_DAEMON_DIR: ciDir },
    });
    expect(underCi.code).toBe(0);
    const off = await viaLauncher(['marketplace', 'search', 'agent'], home, ciDir, { GGEN_DAEMON: '0' });
    expect(withoutTimings(off.stdout)).toBe(withoutTimings(underCi.stdout));
    // A launcher that starts a service makes its directory before it spawns it: none here.
    expect(existsSync(ciDir)).toBe(false);

    // By default (no GGEN_DAEMON, not CI) a lookup uses a running service but never starts one.
    const quietDir = serviceDir();
    const byDefault = await runGgen(['marketplace', 'search', 'agent'], {
      bin: launcher,
      home,
      env: { GGEN_DAEMON_DIR: quietDir },
    });
    expect(withoutTimings(byDefault.stdout)).toBe(withoutTimings(underCi.stdout));
    expect(existsSync(quietDir)).toBe(false);

    const openDir = serviceDir();
    mkdirSync(openDir, { recursive: true });
    chmodSync(openDir, 0o777);
    const served = await viaLauncher(['marketplace', 'search', 'agent'], home, openDir);
    expect(served.code).toBe(0);
    expect(readdirSync(openDir)).toEqual([]);
    const start = await viaLauncher(['marketplace', 'daemon', 'start'], home, openDir);
    expect(start.code).toBe(9);
    expect(start.stderr).toMatch(
      /^error GGEN_E_DAEMON: The query service cannot use its directory: .* is open to other users \(mode 777\)/m,
    );
    expect(start.stderr).toMatch(/^hint: Set GGEN_DAEMON_DIR/m);

    const bad = await viaLauncher(['marketplace', 'search', 'agent'], home, serviceDir(), { GGEN_DAEMON: 'sometimes' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error GGEN_E_CONFIG_INVALID: GGEN_DAEMON is 'sometimes'/m);
    expect(bad.stderr).toMatch(/^hint: /m);
    const badJson = await viaLauncher(['marketplace', 'info', 'agent-editor', '--json'], home, serviceDir(), {
      GGEN_DAEMON: 'sometimes',
    });
    expect([badJson.code, parseJson<{ error: { code: string } }>(badJson).error.code]).toEqual([
      2,
      'GGEN_E_CONFIG_INVALID',
    ]);
  }, 120_000);
});
