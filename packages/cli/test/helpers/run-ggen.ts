import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const cliRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const workspaceRoot = resolve(cliRoot, '..', '..');
export const sampleRegistry = join(cliRoot, 'sample-registry');
export const bundle = (features: 'v1' | 'v2' | 'parallel' | 'v2-default'): string =>
  join(cliRoot, 'dist', features, 'ggen.mjs');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  home?: string;
  cwd?: string;
  env?: Record<string, string>;
  features?: 'v1' | 'v2' | 'parallel' | 'v2-default';
  bin?: string;
  /** What the command reads on stdin (a token for login); stdin is closed after it either way. */
  input?: string;
}

/** A fresh HOME so that no test sees the machine's own ~/.config/ggen or ~/.ggen. */
export function freshHome(): string {
  return mkdtempSync(join(tmpdir(), 'ggen-home-'));
}

/** Runs the built CLI binary as a user would, with a clean environment. */
export function runGgen(args: string[], options: RunOptions = {}): Promise<Run> {
  const home = options.home ?? freshHome();
  return new Promise((resolvePromise) => {
    const child = execFile(
      process.execPath,
      [options.bin ?? bundle(options.features ?? 'parallel'), ...args],
      {
        cwd: options.cwd ?? home,
        env: { PATH: process.env.PATH ?? '', HOME: home, ...options.env },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolvePromise({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

export function spawnGgen(args: string[], options: RunOptions = {}): ChildProcess {
  const home = options.home ?? freshHome();
  return spawn(process.execPath, [bundle(options.features ?? 'parallel'), ...args], {
    cwd: options.cwd ?? home,
    env: { PATH: process.env.PATH ?? '', HOME: home, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function copyOfSampleRegistry(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ggen-registry-'));
  cpSync(sampleRegistry, dir, { recursive: true });
  return dir;
}

/**
 * A directory registry's catalog.nq once its journal of changes is folded in (`registry compact`):
 * the whole catalog as one file, for a test to read, or to rewrite as an attacker would.
 */
export async function compactedCatalog(registry: string): Promise<string> {
  const run = await runGgen(['marketplace', 'registry', 'compact', '--registry', registry]);
  if (run.code !== 0) throw new Error(`registry compact failed (exit ${run.code}):\n${run.stderr}`);
  return readFileSync(join(registry, 'catalog.nq'), 'utf8');
}

export function parseJson<T>(run: Run): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** The address a `registry serve` child prints once it listens (the line is the event: no sleep); rejects if it exits first. */
export function serverAddress(server: ChildProcess): Promise<string> {
  let seen = '';
  return new Promise((resolve, reject) => {
    server.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = / at (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    server.once('exit', (code) => {
      reject(new Error(`the server exited (${String(code)}) before listening:\n${seen}`));
    });
  });
}
