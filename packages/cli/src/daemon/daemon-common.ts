// What the launcher (bin/ggen.cjs) and the resident query service share. The launcher runs
// this before anything else of ggen is loaded, so it may import node's own modules only.
import { closeSync, lstatSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectSocket, type ConnectSocket } from './daemon-socket.js';

export const DAEMON_PROTOCOL = 2;

/** The commands the service answers: read-only lookups that gain from a warm store. */
export const DAEMON_COMMANDS: ReadonlySet<string> = new Set(['search', 'info']);

/** Flags that keep a command in-process: help and version print from yargs, --verbose logs to this process's stderr. */
const IN_PROCESS_FLAGS = /^(--help|-h|--version|--verbose)(=.*)?$/;

type Env = Record<string, string | undefined>;

export type DaemonRequest =
  | {
      protocol: number;
      kind: 'run';
      argv: string[];
      cwd: string;
      env: Record<string, string>;
      settings: Record<string, string>;
    }
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

/** What the service sends back, one JSON object a line; `started` when the command leaves the queue. */
export type DaemonReply =
  | { started: true }
  | { out: string }
  | { err: string }
  | { exit: number }
  | { declined: string }
  | { status: DaemonStatus }
  | { stopping: true };

/**
 * The variables a lookup reads (config, its files and the service's own switches): the only
 * ones a caller sends. Secrets that a lookup never needs (GGEN_KEY_PASSWORD, cloud tokens)
 * stay in the caller's process.
 */
const SENT_VARIABLES =
  /^(HOME|XDG_CONFIG_HOME|XDG_CACHE_HOME|XDG_RUNTIME_DIR|CI|GGEN_DAEMON|GGEN_DAEMON_DIR|GGEN_MARKETPLACE_[A-Z0-9_]+)$/;

/**
 * Variables that change how a node process trusts the network or what code it runs (most are
 * read once, when node starts). The service has the ones it was started with; a caller whose
 * settings differ is declined and runs in its own process, so that one shell's
 * NODE_TLS_REJECT_UNAUTHORIZED=0 (or private CA, or proxy) never serves another caller.
 */
const PROCESS_SETTINGS = [
  'NODE_TLS_REJECT_UNAUTHORIZED',
  'NODE_EXTRA_CA_CERTS',
  'NODE_OPTIONS',
  'NODE_USE_ENV_PROXY',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

/** What the launcher sends for a caller: the variables a lookup reads, nothing else. */
export function requestEnvironment(env: Env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => SENT_VARIABLES.test(entry[0]) && entry[1] !== undefined,
    ),
  );
}

/** The TLS, CA, proxy and NODE_OPTIONS settings of an environment (those set). */
export function processSettings(env: Env): Record<string, string> {
  return Object.fromEntries(
    PROCESS_SETTINGS.map((name) => [name, env[name]]).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

/** The first setting in which two environments differ, or undefined when they agree. */
export function settingDifference(a: Record<string, string>, b: Record<string, string>): string | undefined {
  return PROCESS_SETTINGS.find((name) => a[name] !== b[name]);
}

/**
 * The fixed environment the service runs with: nothing of its starter's but the process
 * settings (compared with every caller's) and HOME, LANG, TZ. Its directory is passed as
 * an absolute path: the service runs in that directory, where a relative GGEN_DAEMON_DIR would
 * name another one.
 */
export function serviceEnvironment(env: Env, dir: string): Record<string, string> {
  const clean: Record<string, string> = {
    PATH: env.PATH ?? '/usr/bin:/bin',
    GGEN_DAEMON_DIR: dir,
    ...processSettings(env),
  };
  for (const name of ['HOME', 'LANG', 'TZ']) {
    const value = env[name];
    if (value !== undefined) clean[name] = value;
  }
  return clean;
}

/** Whether the launcher hands a command to the service: GGEN_DAEMON, else on unless CI is set (as Nx does). */
export function daemonSetting(env: Env): { use: boolean; start: boolean } | { error: string } {
  const raw = env.GGEN_DAEMON?.trim().toLowerCase();
  if (raw === undefined || raw === '') {
    // By default a service started on purpose (`daemon start`) is used; none is started silently.
    const ci = env.CI?.trim().toLowerCase();
    return { use: ci === undefined || ci === '' || ci === 'false' || ci === '0', start: false };
  }
  if (['1', 'true', 'on', 'yes'].includes(raw)) return { use: true, start: true };
  if (['0', 'false', 'off', 'no'].includes(raw)) return { use: false, start: false };
  return {
    error: `GGEN_DAEMON is '${env.GGEN_DAEMON ?? ''}': use 1 (or true, on: start the service on the first lookup) or 0 (or false, off)`,
  };
}

/** Whether these arguments name a command the service answers. */
export function daemonEligible(argv: readonly string[]): boolean {
  return (
    argv[0] === 'marketplace' && DAEMON_COMMANDS.has(argv[1] ?? '') && !argv.some((arg) => IN_PROCESS_FLAGS.test(arg))
  );
}

/** The directory of the service's socket and log: GGEN_DAEMON_DIR, else $XDG_RUNTIME_DIR/ggen, else <tmp>/ggen-<uid>. */
export function daemonDir(env: Env): string {
  if (env.GGEN_DAEMON_DIR !== undefined && env.GGEN_DAEMON_DIR !== '') return resolve(env.GGEN_DAEMON_DIR);
  if (env.XDG_RUNTIME_DIR !== undefined && env.XDG_RUNTIME_DIR !== '') return join(env.XDG_RUNTIME_DIR, 'ggen');
  // node:os loads only here, not for every lookup through the service.
  return join(process.getBuiltinModule('node:os').tmpdir(), `ggen-${process.getuid?.() ?? 'user'}`);
}

/**
 * Which build of the CLI a bundle file is, as it is on disk: its path, device, inode, size
 * and nanosecond modification and change times (any write or replacement moves them; the
 * change time cannot be set back). One service per build: its socket is named after it, so a
 * rebuilt or upgraded CLI never talks to a service running older code; and the code cache of
 * one build is never read for another.
 */
export function buildKey(bundlePath: string): string {
  const { dev, ino, size, mtimeNs, ctimeNs } = statSync(bundlePath, { bigint: true });
  return `${bundlePath}:${dev}:${ino}:${size}:${mtimeNs}:${ctimeNs}`;
}

/** A build's key as 16 hex digits, for file names (cheaper than hashing the whole bundle on every command). */
export function buildId(bundlePath: string): string {
  return fnv1a64(buildKey(bundlePath));
}

/** Unix sockets take at most 107 bytes of path. */
const MAX_SOCKET_PATH = 104;

export function socketPath(dir: string, build: string): string {
  return join(dir, `ggen-${fnv1a64(build)}.sock`);
}

/**
 * 64-bit FNV-1a, as 16 hex digits: names one build's socket and code caches (its buildKey) in a
 * directory only its user can enter, so it needs no cryptographic hash; loading node:crypto
 * would cost every lookup through the service its load.
 */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, '0');
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
    return privateDirProblem(dir);
  } catch (error) {
    return `${dir} cannot be used: ${(error as Error).message}`;
  }
}

/**
 * Checks, before a single byte is sent, that the service on `socket` is this user's own: the
 * directory is a real directory (not a link) owned by this user with mode 700, and the socket
 * in it is a socket owned by this user. Nobody else can then have put a listener there, even in
 * a predictable <tmp>/ggen-<uid> that another user created first. Returns what is wrong.
 */
export function checkDaemonPeer(dir: string, socket: string): string | undefined {
  try {
    const problem = privateDirProblem(dir);
    if (problem !== undefined) return problem;
    const socketStat = lstatSync(socket);
    const uid = process.getuid?.();
    if (!socketStat.isSocket()) return `${socket} is not a socket`;
    if (uid !== undefined && socketStat.uid !== uid) return `${socket} belongs to another user (uid ${socketStat.uid})`;
    return undefined;
  } catch (error) {
    return `${socket} cannot be checked: ${(error as Error).message}`;
  }
}

/** What makes `dir` unfit to hold what only this user may write (the service's socket, a code cache): not a real directory of this user's with mode 700. Throws when it cannot be read. */
export function privateDirProblem(dir: string): string | undefined {
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) return `${dir} is not a directory`;
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) return `${dir} belongs to another user (uid ${stat.uid})`;
  if ((stat.mode & 0o077) !== 0)
    return `${dir} is open to other users (mode ${(stat.mode & 0o777).toString(8)}); it must be 700`;
  return undefined;
}

export class DaemonUnavailable extends Error {
  /** The service is there but did not answer in time (busy or stuck), rather than gone. */
  readonly busy: boolean;

  constructor(message: string, busy = false) {
    super(message);
    this.busy = busy;
  }
}

export interface RequestDeadlines {
  /** To connect and, for a command, to hear that it started (the service runs one at a time). */
  startMs: number;
  /** For the whole answer once the command started. */
  answerMs: number;
}

/** A stuck or busy service costs a lookup at most this before it runs in its own process. */
export const LAUNCHER_DEADLINES: RequestDeadlines = { startMs: 2_000, answerMs: 60_000 };

/**
 * Sends one request and collects the replies until the service ends the exchange. Rejects with
 * DaemonUnavailable when no service listens (or it went away before answering in full), so
 * that the caller can run the command itself.
 */
export function daemonRequest(
  socket: string,
  request: DaemonRequest,
  deadlines: RequestDeadlines = { startMs: 1000, answerMs: 2 ** 31 - 1 },
  connect: ConnectSocket = connectSocket,
): Promise<DaemonReply[]> {
  return new Promise((resolvePromise, reject) => {
    const replies: DaemonReply[] = [];
    // The bytes of a line not yet ended (a newline never falls inside a UTF-8 character).
    let partial: Uint8Array[] = [];
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.destroy();
      if (error === undefined) resolvePromise(replies);
      else reject(error);
    };
    const arm = (ms: number, what: string): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        finish(new DaemonUnavailable(`${what} from ${socket} within ${ms} ms`, connected));
      }, ms);
    };
    /** One reply line; false once the exchange is over. */
    const take = (line: string): boolean => {
      let reply: DaemonReply;
      try {
        reply = JSON.parse(line) as DaemonReply;
      } catch {
        finish(new DaemonUnavailable(`the service at ${socket} sent something that is not JSON`));
        return false;
      }
      if ('started' in reply) {
        // Running: the answer may take as long as a store refresh or a remote registry does.
        arm(deadlines.answerMs, 'no complete answer');
        return true;
      }
      replies.push(reply);
      if ('exit' in reply || 'declined' in reply || 'status' in reply || 'stopping' in reply) {
        finish();
        return false;
      }
      return true;
    };
    let connected = false;
    const client = connect(socket, {
      connect: () => {
        connected = true;
        client.write(`${JSON.stringify(request)}\n`);
      },
      data: (chunk) => {
        let start = 0;
        let newline = chunk.indexOf(10);
        while (newline >= 0) {
          partial.push(chunk.subarray(start, newline));
          const line = Buffer.concat(partial).toString('utf8');
          partial = [];
          if (!take(line)) return;
          start = newline + 1;
          newline = chunk.indexOf(10, start);
        }
        if (start < chunk.length) partial.push(chunk.subarray(start));
      },
      error: (message) => {
        finish(new DaemonUnavailable(message));
      },
      end: () => {
        finish(new DaemonUnavailable(`the service at ${socket} closed the connection before it answered`));
      },
    });
    arm(deadlines.startMs, request.kind === 'run' ? 'the command did not start' : 'no answer');
  });
}

/** The status of the service on a socket, or undefined when none answers there. */
export async function daemonStatus(socket: string, connectTimeoutMs = 1000): Promise<DaemonStatus | undefined> {
  try {
    const replies = await daemonRequest(
      socket,
      { protocol: DAEMON_PROTOCOL, kind: 'status' },
      { startMs: connectTimeoutMs, answerMs: connectTimeoutMs },
    );
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
/** The command line that runs the service (`daemon start` and the launcher spawn it so). */
export const SERVE_ARGV: readonly string[] = ['marketplace', 'daemon', 'serve'];

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
    const child = process.getBuiltinModule('node:child_process').spawn(process.execPath, [bundlePath, ...SERVE_ARGV], {
      detached: true,
      stdio: ['ignore', log, log],
      cwd: dir,
      env: serviceEnvironment(process.env, dir),
    });
    child.unref();
    closeSync(log);
    return true;
  } catch {
    return false;
  }
}
