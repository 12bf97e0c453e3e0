// What the launcher (bin/ggen.mjs) and the resident query service share. The launcher runs
// this before anything else of ggen is loaded, so it may import node's own modules only.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const DAEMON_PROTOCOL = 1;

/** The commands the service answers: read-only lookups that gain from a warm store. */
export const DAEMON_COMMANDS: ReadonlySet<string> = new Set(['search', 'info']);

/** Flags that keep a command in-process: help and version print from yargs, --verbose logs to this process's stderr. */
const IN_PROCESS_FLAGS = /^(--help|-h|--version|--verbose)(=.*)?$/;

type Env = Record<string, string | undefined>;

export type DaemonRequest =
  | { protocol: number; kind: 'run'; argv: string[]; cwd: string; env: Record<string, string> }
  | { protocol: number; kind: 'status' }
  | { protocol: number; kind: 'stop' };

export interface DaemonStatus {
  pid: number;
  socket: string;
  build: string;
  startedAt: string;
  served: number;
  idleTimeoutMs: number;
  stores: string[];
  rssBytes: number;
}

/** What the service sends back, one JSON object a line. */
export type DaemonReply = { out: string } | { err: string } | { exit: number } | { declined: string } | { status: DaemonStatus } | { stopping: true };

/** Whether the launcher hands a command to the service: GGEN_DAEMON, else on unless CI is set (as Nx does). */
export function daemonSetting(env: Env): { use: boolean } | { error: string } {
  const raw = env.GGEN_DAEMON?.trim().toLowerCase();
  if (raw === undefined || raw === '') {
    const ci = env.CI?.trim().toLowerCase();
    return { use: ci === undefined || ci === '' || ci === 'false' || ci === '0' };
  }
  if (['1', 'true', 'on', 'yes'].includes(raw)) return { use: true };
  if (['0', 'false', 'off', 'no'].includes(raw)) return { use: false };
  return { error: `GGEN_DAEMON is '${env.GGEN_DAEMON ?? ''}': use 1 (or true, on) or 0 (or false, off)` };
}

/** Whether these arguments name a command the service answers. */
export function daemonEligible(argv: readonly string[]): boolean {
  return argv[0] === 'marketplace' && DAEMON_COMMANDS.has(argv[1] ?? '') && !argv.some((arg) => IN_PROCESS_FLAGS.test(arg));
}

/** The directory of the service's socket and log: GGEN_DAEMON_DIR, else $XDG_RUNTIME_DIR/ggen, else <tmp>/ggen-<uid>. */
export function daemonDir(env: Env): string {
  if (env.GGEN_DAEMON_DIR !== undefined && env.GGEN_DAEMON_DIR !== '') return resolve(env.GGEN_DAEMON_DIR);
  if (env.XDG_RUNTIME_DIR !== undefined && env.XDG_RUNTIME_DIR !== '') return join(env.XDG_RUNTIME_DIR, 'ggen');
  return join(tmpdir(), `ggen-${process.getuid?.() ?? 'user'}`);
}

/**
 * One service per build of the CLI: its socket is named after the bundle's path, size and
 * mtime, so a rebuilt or upgraded CLI never talks to a service running older code.
 */
export function buildKey(bundlePath: string): string {
  const stat = statSync(bundlePath);
  return `${bundlePath}:${stat.size}:${Math.trunc(stat.mtimeMs)}`;
}

/** Unix sockets take at most 107 bytes of path. */
const MAX_SOCKET_PATH = 104;

export function socketPath(dir: string, build: string): string {
  return join(dir, `ggen-${createHash('sha256').update(build).digest('hex').slice(0, 16)}.sock`);
}

/**
 * Creates the service directory (mode 0700) and checks that nobody else can reach into it:
 * the service runs commands with the environment it is sent, so its socket must be the
 * user's alone. Returns what is wrong, or undefined when the directory is fit.
 */
export function checkDaemonDir(dir: string, socket: string): string | undefined {
  if (socket.length > MAX_SOCKET_PATH) return `the socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory()) return `${dir} is not a directory`;
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) return `${dir} belongs to another user (uid ${stat.uid})`;
    if ((stat.mode & 0o077) !== 0) return `${dir} is open to other users (mode ${(stat.mode & 0o777).toString(8)}); it must be 700`;
    return undefined;
  } catch (error) {
    return `${dir} cannot be used: ${(error as Error).message}`;
  }
}

export class DaemonUnavailable extends Error {}

/**
 * Sends one request and collects the replies until the service ends the exchange. Rejects with
 * DaemonUnavailable when no service listens (or it went away before answering in full), so
 * that the caller can run the command itself.
 */
export function daemonRequest(socket: string, request: DaemonRequest, connectTimeoutMs = 1000): Promise<DaemonReply[]> {
  return new Promise((resolvePromise, reject) => {
    const replies: DaemonReply[] = [];
    let buffered = '';
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.destroy();
      if (error === undefined) resolvePromise(replies);
      else reject(error);
    };
    const client = connect(socket);
    const timer = setTimeout(() => {
      finish(new DaemonUnavailable(`no answer from ${socket} within ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    client.setEncoding('utf8');
    client.on('connect', () => {
      // Connected: a command may take as long as it takes (a store refresh, a remote registry).
      clearTimeout(timer);
      client.write(`${JSON.stringify(request)}\n`);
    });
    client.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        let reply: DaemonReply;
        try {
          reply = JSON.parse(line) as DaemonReply;
        } catch {
          finish(new DaemonUnavailable(`the service at ${socket} sent something that is not JSON`));
          return;
        }
        replies.push(reply);
        if ('exit' in reply || 'declined' in reply || 'status' in reply || 'stopping' in reply) {
          finish();
          return;
        }
      }
    });
    client.on('error', (error) => { finish(new DaemonUnavailable(error.message)); });
    client.on('close', () => { finish(new DaemonUnavailable(`the service at ${socket} closed the connection before it answered`)); });
  });
}

/** The status of the service on a socket, or undefined when none answers there. */
export async function daemonStatus(socket: string, connectTimeoutMs?: number): Promise<DaemonStatus | undefined> {
  try {
    const replies = await daemonRequest(socket, { protocol: DAEMON_PROTOCOL, kind: 'status' }, connectTimeoutMs);
    const reply = replies.find((entry) => 'status' in entry);
    return reply === undefined ? undefined : reply.status;
  } catch (error) {
    if (error instanceof DaemonUnavailable) return undefined;
    throw error;
  }
}

/** Where the service started for a socket writes its log. */
export function daemonLogPath(socket: string): string {
  return `${socket.replace(/\.sock$/, '')}.log`;
}

/** Two launchers that both find no service start one between them. */
const STARTING_GRACE_MS = 15_000;

/**
 * Starts the service for `bundlePath` in the background, detached, logging to its log file.
 * `once` (the launcher) starts it only when no other process began starting it in the last
 * seconds. Returns whether a process was started.
 */
export function spawnDaemon(bundlePath: string, dir: string, socket: string, once: boolean): boolean {
  if (checkDaemonDir(dir, socket) !== undefined) return false;
  const marker = `${socket}.starting`;
  if (once) {
    try {
      closeSync(openSync(marker, 'wx', 0o600));
    } catch {
      try {
        if (Date.now() - statSync(marker).mtimeMs < STARTING_GRACE_MS) return false;
        unlinkSync(marker);
        closeSync(openSync(marker, 'wx', 0o600));
      } catch {
        return false;
      }
    }
  }
  try {
    const log = openSync(daemonLogPath(socket), 'a', 0o600);
    const child = spawn(process.execPath, [bundlePath, 'marketplace', 'daemon', 'serve'], { detached: true, stdio: ['ignore', log, log], cwd: dir, env: process.env });
    child.unref();
    closeSync(log);
    return true;
  } catch {
    return false;
  }
}
