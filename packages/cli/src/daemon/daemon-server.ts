import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { isAbsolute } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MarketplaceError } from '@ggen/marketplace-core';
import { QueryCache, SERVICE_LOADED_PACKAGES } from '@ggen/marketplace-v2';
import type { Io } from '../cli-context.js';
import type { FeatureSet } from '../features.js';
import {
  buildKey,
  checkDaemonDir,
  DAEMON_PROTOCOL,
  daemonEligible,
  daemonStatus,
  processSettings,
  requestEnvironment,
  settingDifference,
  type DaemonReply,
  type DaemonRequest,
  type DaemonStatus,
} from './daemon-common.js';

/** A request line larger than this is not a command line. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** Stores kept open: the registries a user switches between, not every one ever searched. */
const RETAINED_STORES = 2;
const BUILD_CHECK_MS = 60_000;

export interface DaemonOptions {
  socket: string;
  dir: string;
  bundlePath: string;
  idleTimeoutMs: number;
  features: FeatureSet;
  /** Runs one command line for a caller (the CLI's own runner), with the service's cache. */
  run: (argv: string[], features: FeatureSet, io: Io, state: { cache: QueryCache }) => Promise<number>;
  log: (line: string) => void;
}

export interface DaemonOutcome {
  socket: string;
  served: number;
  reason: 'idle' | 'stopped' | 'signal' | 'rebuilt';
}

/**
 * The resident query service: listens on a Unix socket in a directory only its user can
 * enter, and runs each lookup through the same runner as the CLI with the caller's
 * arguments, working directory and environment; output goes back line by line. Commands run
 * one at a time. It stops when idle, when asked, on SIGTERM/SIGINT, or once the CLI bundle it
 * was started from has been rebuilt.
 */
export async function serveDaemon(options: DaemonOptions): Promise<DaemonOutcome> {
  requireDaemonDir(options.dir, options.socket);
  const build = buildKey(options.bundlePath);
  await claimSocket(options.socket);
  // The service's state, explicit: one cache for its lifetime, handed to every command it runs.
  const cache = new QueryCache({ retain: RETAINED_STORES, maxLoadedPackages: SERVICE_LOADED_PACKAGES });

  const startedAt = new Date();
  let served = 0;
  let queue: Promise<unknown> = Promise.resolve();
  let idleTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let settle: (reason: DaemonOutcome['reason']) => void = () => undefined;
  const done = new Promise<DaemonOutcome['reason']>((resolvePromise) => (settle = resolvePromise));
  const finish = (reason: DaemonOutcome['reason']): void => {
    stopping = true;
    clearTimeout(idleTimer);
    settle(reason);
  };

  const armIdle = (): void => {
    clearTimeout(idleTimer);
    if (stopping) return;
    idleTimer = setTimeout(() => {
      finish('idle');
    }, options.idleTimeoutMs);
  };

  const status = (): DaemonStatus => ({
    pid: process.pid,
    socket: options.socket,
    build,
    startedAt: startedAt.toISOString(),
    served,
    idleTimeoutMs: options.idleTimeoutMs,
    stores: cache.stores(),
    rssBytes: process.memoryUsage().rss,
  });

  const handle = async (connection: Socket, request: DaemonRequest): Promise<void> => {
    const send = (reply: DaemonReply): void => {
      if (!connection.destroyed) connection.write(`${JSON.stringify(reply)}\n`);
    };
    if (request.kind === 'status') {
      send({ status: status() });
      return;
    }
    if (request.kind === 'stop') {
      send({ stopping: true });
      finish('stopped');
      return;
    }
    if (!daemonEligible(request.argv)) {
      send({ declined: `the service answers marketplace search and info only, not '${request.argv.join(' ')}'` });
      return;
    }
    const different = settingDifference(request.settings, processSettings(process.env));
    if (different !== undefined) {
      send({
        declined: `the caller's ${different} differs from the service's: its TLS, CA and proxy settings apply in its own process`,
      });
      return;
    }
    // A caller that gave up while waiting for its turn (Ctrl-C, or the launcher's deadline) gets nothing run for it.
    if (connection.destroyed || connection.readyState !== 'open') return;
    send({ started: true });
    const io: Io = {
      cwd: request.cwd,
      env: requestEnvironment(request.env),
      stdout: (text) => {
        send({ out: text });
      },
      stderr: (text) => {
        send({ err: text });
      },
      isTty: false,
    };
    const exit = await options.run(request.argv, options.features, io, { cache });
    // Metrics lines are written one event-loop turn after the operation.
    await nextTurn();
    served += 1;
    send({ exit });
  };

  const server: Server = createServer((connection) => {
    armIdle();
    let buffered = '';
    let received = false;
    connection.setEncoding('utf8');
    connection.on('error', () => undefined);
    connection.on('data', (chunk: string) => {
      // One request a connection: anything after it is ignored.
      if (received) return;
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) {
        if (buffered.length > MAX_REQUEST_BYTES) connection.destroy();
        return;
      }
      received = true;
      const line = buffered.slice(0, newline);
      const request = parseRequest(line);
      if (typeof request === 'string') {
        connection.end(`${JSON.stringify({ declined: request } satisfies DaemonReply)}\n`);
        return;
      }
      // Status and stop are answered at once, never behind a long command.
      if (request.kind !== 'run') {
        void handle(connection, request).finally(() => connection.end());
        return;
      }
      // One command at a time, in arrival order: commands share the process and its stores.
      queue = queue
        .then(() => handle(connection, request))
        .catch((error: unknown) => {
          options.log(`request failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
          if (!connection.destroyed)
            connection.write(
              `${JSON.stringify({ declined: 'the service failed on this request' } satisfies DaemonReply)}\n`,
            );
        })
        .finally(() => {
          connection.end();
          armIdle();
        });
    });
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      // Another service started in the same instant and won the socket.
      reject(
        error.code === 'EADDRINUSE'
          ? new MarketplaceError(
              'GGEN_E_DAEMON_RUNNING',
              `A query service for this build already listens on ${options.socket}`,
              {
                hint: 'See it with ggen marketplace daemon status.',
              },
            )
          : error,
      );
    });
    server.listen(options.socket, () => {
      server.removeAllListeners('error');
      server.on('error', (error) => {
        options.log(`socket error: ${error.message}`);
      });
      resolvePromise();
    });
  });
  chmodSync(options.socket, 0o600);
  rmSync(`${options.socket}.starting`, { force: true });
  options.log(
    `ggen query service ${process.pid} listening on ${options.socket} (idle timeout ${Math.round(options.idleTimeoutMs / 1000)} s)`,
  );
  armIdle();

  const onSignal = (): void => {
    finish('signal');
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const buildCheck = setInterval(() => {
    let current: string | undefined;
    try {
      current = buildKey(options.bundlePath);
    } catch {
      current = undefined;
    }
    if (current !== build) finish('rebuilt');
  }, BUILD_CHECK_MS);
  buildCheck.unref();

  const reason = await done;
  clearTimeout(idleTimer);
  clearInterval(buildCheck);
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  // Stop taking connections, let the command in flight finish, then remove the socket.
  const closed = new Promise<void>((resolvePromise) => {
    server.close(() => {
      resolvePromise();
    });
  });
  await queue.catch(() => undefined);
  rmSync(options.socket, { force: true });
  await closed;
  options.log(`ggen query service ${process.pid} stopped (${reason}) after ${served} command(s)`);
  return { socket: options.socket, served, reason };
}

/** Creates the service directory, or says with a code why it cannot be used (checkDaemonDir). */
export function requireDaemonDir(dir: string, socket: string): void {
  const problem = checkDaemonDir(dir, socket);
  if (problem !== undefined) {
    throw new MarketplaceError('GGEN_E_DAEMON', `The query service cannot use its directory: ${problem}`, {
      hint: 'Set GGEN_DAEMON_DIR to a directory of your own (it is created with mode 700).',
    });
  }
}

/** Takes over a socket path left by a service that died; refuses one that is alive. */
async function claimSocket(socket: string): Promise<void> {
  if (!existsSync(socket)) return;
  if ((await daemonStatus(socket)) === undefined) {
    rmSync(socket, { force: true });
    return;
  }
  throw new MarketplaceError('GGEN_E_DAEMON_RUNNING', `A query service for this build already listens on ${socket}`, {
    hint: 'See it with ggen marketplace daemon status; stop it with ggen marketplace daemon stop.',
  });
}

function parseRequest(line: string): DaemonRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'the request is not JSON';
  }
  if (typeof value !== 'object' || value === null) return 'the request is not an object';
  const request = value as Record<string, unknown>;
  if (request.protocol !== DAEMON_PROTOCOL)
    return `protocol ${String(request.protocol)} is not ${DAEMON_PROTOCOL}: the launcher and the service are different builds`;
  if (request.kind === 'status' || request.kind === 'stop') return { protocol: DAEMON_PROTOCOL, kind: request.kind };
  if (request.kind !== 'run') return `unknown request kind ${String(request.kind)}`;
  const { argv, cwd, env, settings } = request;
  const strings = (value: unknown): value is Record<string, string> =>
    typeof value === 'object' && value !== null && Object.values(value).every((entry) => typeof entry === 'string');
  if (!Array.isArray(argv) || !argv.every((arg) => typeof arg === 'string')) return 'argv must be a list of strings';
  if (typeof cwd !== 'string' || !isAbsolute(cwd)) return 'cwd must be an absolute path';
  if (!strings(env)) return 'env must map names to strings';
  if (!strings(settings)) return 'settings must map names to strings';
  return { protocol: DAEMON_PROTOCOL, kind: 'run', argv: argv, cwd, env, settings };
}
