import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { MarketplaceError } from '@ggen/marketplace-core';
import type { CliContext } from '../cli-context.js';
import { defineCommand, defineGroup, table } from '../command-spec.js';
import type { DaemonStatus } from '../daemon/daemon-common.js';
import type { DaemonOutcome } from '../daemon/daemon-server.js';
import { runCli } from '../run-cli.js';

/** The service's own modules load for daemon commands only: with them node's net and child_process, which no other command needs. */
const daemonCommon = (): Promise<typeof import('../daemon/daemon-common.js')> => import('../daemon/daemon-common.js');
const daemonServer = (): Promise<typeof import('../daemon/daemon-server.js')> => import('../daemon/daemon-server.js');

const START_WAIT_MS = 20_000;
const STOP_WAIT_MS = 10_000;

/** This build's bundle: the service runs it, and its socket is named after it. */
const bundlePath = (): string => fileURLToPath(import.meta.url);

async function where(context: CliContext): Promise<{ dir: string; socket: string; log: string }> {
  const { buildKey, daemonDir, daemonLogPath, socketPath } = await daemonCommon();
  const dir = daemonDir(context.io.env);
  const socket = socketPath(dir, buildKey(bundlePath()));
  return { dir, socket, log: daemonLogPath(socket) };
}

interface DaemonState {
  running: boolean;
  socket: string;
  log: string;
  action?: 'started' | 'already running' | 'stopped' | 'not running';
  status?: DaemonStatus;
}

function renderState(state: DaemonState): string {
  const head = state.action ?? (state.running ? 'running' : 'not running');
  const status = state.status;
  if (status === undefined) return `${head}\nsocket: ${state.socket}`;
  const uptime = Math.round((Date.now() - Date.parse(status.startedAt)) / 1000);
  return [
    head,
    table([
      ['pid', String(status.pid)],
      ['socket', status.socket],
      ['up', `${uptime} s (idle timeout ${Math.round(status.idleTimeoutMs / 60_000)} min)`],
      ['commands served', String(status.served)],
      ['memory (RSS)', `${(status.rssBytes / 1024 / 1024).toFixed(0)} MB`],
      ['stores open', status.stores.length === 0 ? '-' : status.stores.join(', ')],
      ['log', state.log],
    ]),
  ].join('\n');
}

export const daemonStatusCommand = defineCommand({
  command: 'status',
  describe: 'Whether the resident query service runs for this build, and what it holds',
  builder: (yargs) => yargs.example('$0 marketplace daemon status', 'pid, socket, commands served, stores open'),
  run: async (context): Promise<DaemonState> => {
    const { socket, log } = await where(context);
    const { daemonStatus } = await daemonCommon();
    const status = await daemonStatus(socket);
    return { running: status !== undefined, socket, log, ...(status === undefined ? {} : { status }) };
  },
  render: renderState,
});

export const daemonStartCommand = defineCommand({
  command: 'start',
  describe: 'Start the resident query service in the background (lookups also start it when it is missing)',
  builder: (yargs) => yargs.example('$0 marketplace daemon start', 'keep the catalog store loaded for search and info'),
  run: async (context): Promise<DaemonState> => {
    const { dir, socket, log } = await where(context);
    const { daemonStatus, spawnDaemon } = await daemonCommon();
    const { requireDaemonDir } = await daemonServer();
    const running = await daemonStatus(socket);
    if (running !== undefined) return { running: true, action: 'already running', socket, log, status: running };
    requireDaemonDir(dir, socket);
    if (!spawnDaemon(bundlePath(), dir, socket, false)) {
      throw new MarketplaceError('GGEN_E_DAEMON', 'The query service could not be started', { hint: `See ${log}.` });
    }
    const deadline = Date.now() + START_WAIT_MS;
    while (Date.now() < deadline) {
      await sleep(100);
      const status = await daemonStatus(socket);
      if (status !== undefined) return { running: true, action: 'started', socket, log, status };
    }
    throw new MarketplaceError(
      'GGEN_E_DAEMON',
      `The query service did not answer on ${socket} within ${START_WAIT_MS / 1000} s`,
      { hint: `See ${log}.` },
    );
  },
  render: renderState,
});

export const daemonStopCommand = defineCommand({
  command: 'stop',
  describe: 'Stop the resident query service of this build',
  builder: (yargs) =>
    yargs.example('$0 marketplace daemon stop', 'lookups then run in their own process until it is started again'),
  run: async (context): Promise<DaemonState> => {
    const { socket, log } = await where(context);
    const { DAEMON_PROTOCOL, daemonRequest, DaemonUnavailable } = await daemonCommon();
    try {
      await daemonRequest(socket, { protocol: DAEMON_PROTOCOL, kind: 'stop' });
    } catch (error) {
      if (error instanceof DaemonUnavailable) return { running: false, action: 'not running', socket, log };
      throw error;
    }
    const deadline = Date.now() + STOP_WAIT_MS;
    while (existsSync(socket) && Date.now() < deadline) await sleep(50);
    if (existsSync(socket)) {
      throw new MarketplaceError(
        'GGEN_E_DAEMON',
        `The query service on ${socket} did not stop within ${STOP_WAIT_MS / 1000} s`,
        {
          hint: 'It finishes the command in flight first; if it hangs, end it with kill and its pid from daemon status.',
        },
      );
    }
    return { running: false, action: 'stopped', socket, log };
  },
  render: renderState,
});

export const daemonServeCommand = defineCommand({
  command: 'serve',
  describe: 'Run the resident query service in the foreground (what daemon start runs)',
  options: {
    'idle-timeout': { type: 'number', default: 10, describe: 'minutes without a command before the service stops' },
  },
  builder: (yargs) => yargs.example('$0 marketplace daemon serve --idle-timeout 5', 'watch it work; Ctrl-C stops it'),
  run: async (context, args): Promise<DaemonOutcome> => {
    // The service runs until stopped and takes Ctrl-C itself.
    context.terminal?.close();
    const minutes = args['idle-timeout'];
    if (!Number.isFinite(minutes) || minutes <= 0) {
      throw new MarketplaceError(
        'GGEN_E_USAGE',
        `--idle-timeout must be a positive number of minutes, not ${String(minutes)}`,
        { hint: 'e.g. --idle-timeout 10' },
      );
    }
    const { dir, socket } = await where(context);
    const { serveDaemon } = await daemonServer();
    return serveDaemon({
      socket,
      dir,
      bundlePath: bundlePath(),
      idleTimeoutMs: minutes * 60_000,
      features: context.features,
      run: runCli,
      log: (line) => {
        context.io.stderr(`${new Date().toISOString()} ${line}`);
      },
    });
  },
  render: (outcome) =>
    `stopped (${outcome.reason}) after ${outcome.served} command(s); socket ${outcome.socket} removed`,
});

export const daemonGroup = defineGroup({
  group: 'daemon',
  describe: 'The resident query service for search and info',
  subcommands: [daemonStatusCommand, daemonStartCommand, daemonStopCommand, daemonServeCommand],
});
