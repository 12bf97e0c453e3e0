// Runs a build of the CLI (one CommonJS bundle, ggen.cjs) in this process with V8's code
// cache: the first run of a command compiles the bundle and, as it exits, saves the bytecode
// of every function it ran; later runs of that command load that instead of compiling 3.5 MB
// of JavaScript again (node 20 has no compile cache of its own). Node's own modules only: every command
// pays for what this file loads, so node:os, node:module, vm and v8 load where they are used.
import { isAscii } from 'node:buffer';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildId, privateDirProblem, SERVE_ARGV } from './daemon/daemon-common.js';

type Env = Record<string, string | undefined>;

/**
 * Code caches kept per user: one per build, node version, compile mode and command. Each
 * holds what its command ran (~1.5 MB): an install that used a search's cache compiled its
 * own functions (the archive reader, YAML, the resolver) again, ~40 ms of a verified install.
 */
const KEPT_CACHES = 24;

/**
 * Where the code caches live: beside the catalog store, in a directory of this user's own
 * with mode 700 (a code cache is code: one that someone else could write is never read).
 * `GGEN_CODE_CACHE=0` turns it off.
 */
export function codeCacheDir(env: Env): string | undefined {
  if (env.GGEN_CODE_CACHE === '0') return undefined;
  const base =
    env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== ''
      ? env.XDG_CACHE_HOME
      : join(env.HOME !== undefined && env.HOME !== '' ? env.HOME : process.getBuiltinModule('node:os').homedir(), '.cache');
  return join(base, 'ggen', 'code-cache');
}

/**
 * One command per process compiles oxigraph's wasm with Liftoff, V8's baseline compiler, only.
 * By default V8 also tiers hot functions up with TurboFan on background threads, and a process
 * that ends soon after waits for those compiles at exit: ~110 ms and ~28 MB more for a search
 * of the sample on this machine. The resident query service (`daemon serve`) runs thousands of
 * queries, so it keeps V8's default. Set before the bundle compiles: V8 rejects a code cache
 * made under other flags.
 */
function compileModeFor(argv: string[]): 'quick-start' | 'long-running' {
  return SERVE_ARGV.every((word, index) => argv[index] === word) ? 'long-running' : 'quick-start';
}

/**
 * Which cache a command uses: its first two words (`marketplace-install`), so that what a
 * search ran does not stand in for an install. Only the words: no flag, value or search text
 * reaches a file name (anything else is `x`), so a user's queries cannot multiply the caches.
 */
export function commandKey(argv: string[]): string {
  const words = argv
    .filter((word) => !word.startsWith('-'))
    .slice(0, 2)
    .map((word) => (/^[a-z][a-z0-9-]{0,31}$/.test(word) ? word : 'x'));
  return words.length === 0 ? 'none' : words.join('-');
}

/** Runs the bundle at `programPath` as node would run it, with the code cache when there is a usable one. */
export function runProgram(programPath: string, argv: string[], env: Env): void {
  const mode = compileModeFor(argv);
  // node's vm and v8 load here, not for what the launcher answers itself or hands to the service.
  const { constants, Script } = process.getBuiltinModule('node:vm');
  // oxigraph's wasm is ours (a pinned dependency): each function is validated as it first
  // compiles instead of all 4 MB at load, ~17 ms less for every command that opens a store.
  // A command keeps most of what it allocates (the store's index, the lines it read): V8's young
  // generation, doubled at each scavenge by default, grows eightfold instead, so that what
  // survives is copied fewer times (a 10k search: five scavenges, ~15 ms, become three; ~8 ms
  // less in all, peak RSS the same). Heap sizes cannot change once node runs; the growth can.
  if (mode === 'quick-start') process.getBuiltinModule('node:v8').setFlagsFromString('--liftoff-only --wasm-lazy-validation --semi-space-growth-factor=8');
  const bytes = readFileSync(programPath);
  const dir = codeCacheDir(env);
  const cache = dir === undefined ? undefined : { dir, file: join(dir, `${buildId(programPath)}-${process.version}-${mode}-${commandKey(argv)}.bin`) };
  const cachedData = cache === undefined ? undefined : readCache(cache.dir, cache.file);
  // node's own CommonJS wrapper, on the bundle's first line so that stack traces keep its line numbers.
  // The build writes ASCII (bundle.mjs): read as latin1, which copies, instead of decoding UTF-8.
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, {
    filename: programPath,
    ...(cachedData === undefined ? {} : { cachedData }),
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cache !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    // Saved as the command ends, so that it holds every function the command ran.
    process.once('exit', () => {
      writeCache(cache.dir, cache.file, script);
    });
  }
  const module = { exports: {}, filename: programPath, id: '.', loaded: false, children: [], paths: [] };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  const { createRequire } = process.getBuiltinModule('node:module');
  run.call(module.exports, module.exports, createRequire(programPath), module, programPath, dirname(programPath));
}

function readCache(dir: string, file: string): Buffer | undefined {
  try {
    if (privateDirProblem(dir) !== undefined) return undefined;
    const stat = statSync(file);
    if (!stat.isFile() || (process.getuid !== undefined && stat.uid !== process.getuid())) return undefined;
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Written to a new file of its own, then renamed into place: a reader sees a whole cache or none. Best effort: a cache that cannot be written costs the next run its compile, nothing else. */
function writeCache(dir: string, file: string, script: import('node:vm').Script): void {
  const temp = `${file}.tmp-${process.pid}-${process.getBuiltinModule('node:crypto').randomBytes(6).toString('hex')}`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (privateDirProblem(dir) !== undefined) return;
    const data = script.createCachedData();
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
    pruneCaches(dir);
  } catch {
    try {
      unlinkSync(temp);
    } catch {
      // never created
    }
  }
}

/** Older builds' caches go: the newest KEPT_CACHES stay (the v1, v2 and parallel builds, each with its modes). */
function pruneCaches(dir: string): void {
  const caches = readdirSync(dir)
    .filter((name) => name.endsWith('.bin'))
    .map((name) => ({ path: join(dir, name), mtimeMs: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const stale of caches.slice(KEPT_CACHES)) unlinkSync(stale.path);
}
