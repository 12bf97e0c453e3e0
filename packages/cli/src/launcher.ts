// The `ggen` entry point (bin/ggen.cjs) of the default build. Lookups (`marketplace search`,
// `marketplace info`) go to the resident query service when one runs for this build: the CLI
// bundle and the catalog store stay loaded there, so a lookup costs node's start and one
// round trip. Anything else, or no service, runs in this process exactly as before. The
// service is started on purpose (`daemon start`), or on the first lookup with GGEN_DAEMON=1. Node's own modules only here:
// whatever this file imports, every command pays for.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildKey,
  checkDaemonPeer,
  DAEMON_PROTOCOL,
  daemonDir,
  daemonEligible,
  daemonRequest,
  daemonSetting,
  DaemonUnavailable,
  LAUNCHER_DEADLINES,
  processSettings,
  requestEnvironment,
  socketPath,
  spawnDaemon,
  type DaemonReply,
} from './daemon/daemon-common.js';
import { featuresResult, PARALLEL_BUILD, renderFeatures } from './build-facts.js';
import { runProgram } from './program-loader.js';
import { writeStdio } from './stdio.js';
import { versionLine } from './version.js';

// The build's program: what the service runs and is named after, and what runs here otherwise.
const bundle = join(fileURLToPath(new URL('.', import.meta.url)), 'ggen.cjs');

async function viaDaemon(argv: string[], start: boolean): Promise<number | undefined> {
  const env = process.env;
  const dir = daemonDir(env);
  let socket: string;
  try {
    socket = socketPath(dir, buildKey(bundle));
  } catch {
    return undefined;
  }
  if (!existsSync(socket)) {
    // Only with GGEN_DAEMON=1 is one started for the next lookup; this one runs here.
    if (start) spawnDaemon(bundle, dir, socket, true);
    return undefined;
  }
  // Nothing is sent to a socket that is not this user's own, in a directory only this user can enter.
  if (checkDaemonPeer(dir, socket) !== undefined) return undefined;
  let replies: DaemonReply[];
  try {
    // The service declines a caller whose TLS, CA or proxy settings differ from its own; the lookup then runs here.
    const request = {
      protocol: DAEMON_PROTOCOL,
      kind: 'run' as const,
      argv,
      cwd: process.cwd(),
      env: requestEnvironment(env),
      settings: processSettings(env),
    };
    replies = await daemonRequest(socket, request, LAUNCHER_DEADLINES);
  } catch (error) {
    if (!(error instanceof DaemonUnavailable)) throw error;
    // A dead service (its socket refuses) is replaced for the next lookup; a busy or stuck one is left alone.
    if (!error.busy && start) spawnDaemon(bundle, dir, socket, true);
    return undefined;
  }
  const last = replies.at(-1);
  if (last === undefined || !('exit' in last)) return undefined;
  // Written only once the whole answer is in: a service that dies halfway leaves no half output.
  let out = '';
  let err = '';
  for (const reply of replies) {
    if ('out' in reply) out += `${reply.out}\n`;
    else if ('err' in reply) err += `${reply.err}\n`;
  }
  if (err !== '') writeStdio(2, err);
  if (out !== '') writeStdio(1, out);
  return last.exit;
}

/** What a command line costs before anything of the CLI loads: answered here, or handed to the service, or run in this process. */
async function launch(argv: string[]): Promise<void> {
  let exitCode: number | undefined;
  // The version needs none of the CLI: answered here, in node's own start time.
  if (argv.length === 1 && ['--version', '-V', '-v', 'version'].includes(argv[0] ?? '')) {
    writeStdio(1, `${versionLine(PARALLEL_BUILD.name)}\n`);
    exitCode = 0;
  } else if (
    argv[0] === 'marketplace' &&
    argv[1] === 'features' &&
    argv.slice(2).every((flag) => ['--json', '--quiet', '--verbose'].includes(flag))
  ) {
    // What the build holds is known without loading it (the same facts its FeatureSet is made of).
    const result = featuresResult(PARALLEL_BUILD);
    writeStdio(1, `${argv.includes('--json') ? JSON.stringify(result, null, 2) : renderFeatures(result)}\n`);
    exitCode = 0;
  } else if (daemonEligible(argv)) {
    const setting = daemonSetting(process.env);
    if ('error' in setting) {
      const hint = 'Unset GGEN_DAEMON to use the default (the service runs except under CI).';
      if (argv.includes('--json'))
        writeStdio(
          1,
          `${JSON.stringify({ error: { code: 'GGEN_E_CONFIG_INVALID', message: setting.error, hint } }, null, 2)}\n`,
        );
      else writeStdio(2, `error GGEN_E_CONFIG_INVALID: ${setting.error}\nhint: ${hint}\n`);
      exitCode = 2;
    } else if (setting.use) exitCode = await viaDaemon(argv, setting.start);
  }
  if (exitCode === undefined) runProgram(bundle, process.env);
  else process.exitCode = exitCode;
}

// No top-level await: the launcher is CommonJS (node starts a CommonJS entry sooner than an ES module).
void launch(process.argv.slice(2));
