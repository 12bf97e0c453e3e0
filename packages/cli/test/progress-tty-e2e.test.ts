import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { cliRoot, freshHome, runGgen } from './helpers/run-ggen.js';

// The install progress bar, on a real terminal: util-linux's `script` gives the command a
// pseudo-terminal (as a user's shell does), and the same install through pipes has no bar.
const launcher = join(cliRoot, 'bin', 'ggen.cjs');
const quote = (word: string): string => `'${word.replaceAll("'", "'\\''")}'`;

function onTerminal(
  args: string[],
  home: string,
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const command = [process.execPath, launcher, ...args].map(quote).join(' ');
  return new Promise((resolvePromise) => {
    execFile(
      'script',
      ['-qec', command, '/dev/null'],
      { cwd: home, env: { PATH: process.env.PATH ?? '', HOME: home, GGEN_DAEMON: '0', TERM: 'xterm', ...env } },
      (error, stdout) => {
        resolvePromise({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, output: stdout });
      },
    );
  });
}

describe('install progress', () => {
  it('draws a bar on a terminal for a closure of several packs, and none through a pipe', async () => {
    const home = freshHome();
    const tty = await onTerminal(
      ['marketplace', 'install', 'agent-reasoning-mcp', '--target', join(home, 'tty', 'gpacks')],
      home,
    );
    expect(tty.code).toBe(0);
    expect(tty.output).toContain('installing [');
    expect(tty.output).toContain('3/3 agent-reasoning-mcp@1.0.0');
    expect(tty.output).toContain('installed 3 package(s)');
    expect(existsSync(join(home, 'tty', 'gpacks', 'agent-reasoning-mcp'))).toBe(true);

    const piped = await runGgen(
      ['marketplace', 'install', 'agent-reasoning-mcp', '--target', join(home, 'pipe', 'gpacks')],
      { bin: launcher, home, env: { GGEN_DAEMON: '0' } },
    );
    expect(piped.code).toBe(0);
    expect(piped.stdout).toContain('installed 3 package(s)');
    expect(`${piped.stdout}${piped.stderr}`).not.toContain('installing [');
  });
});

describe('colour on a terminal', () => {
  it('colours an error and its hint on a terminal, and not with NO_COLOR', async () => {
    const home = freshHome();
    const coloured = await onTerminal(['marketplace', 'info', 'nope'], home);
    expect(coloured.code).toBe(4);
    expect(coloured.output).toContain(
      "\u001b[31merror GGEN_E_PACKAGE_NOT_FOUND: Package 'nope' is not in the registry",
    );
    expect(coloured.output).toContain('\u001b[36mhint: ');
    const plain = await onTerminal(['marketplace', 'info', 'nope'], home, { NO_COLOR: '1' });
    expect(plain.code).toBe(4);
    expect(plain.output).toContain("error GGEN_E_PACKAGE_NOT_FOUND: Package 'nope' is not in the registry");
    expect(plain.output).not.toContain('\u001b[31m');
  });
});
