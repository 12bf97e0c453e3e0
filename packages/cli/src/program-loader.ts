// Runs a build of the CLI (one CommonJS bundle, ggen.cjs) in this process with node's own
// require. Where node has a compile cache (`module.enableCompileCache()`, node 22.1 and later)
// it is turned on first, in a directory of this user's own with mode 700: a compile cache is
// code, and one that someone else could write is never used. Node's own modules only: every
// command pays for what this file loads.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { privateDirProblem } from './daemon/daemon-common.js';

type Env = Record<string, string | undefined>;

/**
 * Where node's compile cache lives: `$XDG_CACHE_HOME/ggen/compile-cache` (else
 * `~/.cache/ggen/compile-cache`). `GGEN_CODE_CACHE=0` turns it off.
 */
export function codeCacheDir(env: Env): string | undefined {
  if (env.GGEN_CODE_CACHE === '0') return undefined;
  const base =
    env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== ''
      ? env.XDG_CACHE_HOME
      : join(
          env.HOME !== undefined && env.HOME !== '' ? env.HOME : process.getBuiltinModule('node:os').homedir(),
          '.cache',
        );
  return join(base, 'ggen', 'compile-cache');
}

/** `module.enableCompileCache`, public since node 22.1; absent on node 20. */
export type EnableCompileCache = (directory?: string) => { status: number; message?: string; directory?: string };

/**
 * Turns node's compile cache on in `codeCacheDir(env)` where node has one (`enable`; null where
 * it has none) and the directory is this user's alone; gives the directory it turned on, else
 * undefined.
 */
export function enableCompileCache(
  env: Env,
  enable: EnableCompileCache | null = (
    process.getBuiltinModule('node:module') as { enableCompileCache?: EnableCompileCache }
  ).enableCompileCache ?? null,
): string | undefined {
  const dir = codeCacheDir(env);
  if (typeof enable !== 'function' || dir === undefined) return undefined;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (privateDirProblem(dir) !== undefined) return undefined;
  } catch {
    // A cache that cannot be made costs the command its compile, nothing else.
    return undefined;
  }
  enable(dir);
  return dir;
}

/** Runs the bundle at `programPath` as node runs a CommonJS module, with the compile cache where node has one. */
export function runProgram(programPath: string, env: Env): void {
  enableCompileCache(env);
  process.getBuiltinModule('node:module').createRequire(programPath)(programPath);
}
