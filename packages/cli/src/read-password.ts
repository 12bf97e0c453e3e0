import { MarketplaceError } from '@ggen/marketplace-core';
import type { CliContext } from './cli-context.js';

/**
 * A key password: GGEN_KEY_PASSWORD (for CI), else the first line of stdin when it is not a
 * terminal, else asked on the terminal without echo (twice when `confirm`).
 */
export async function readPassword(context: CliContext, prompt: string, confirm = false): Promise<string> {
  const fromEnv = context.io.env.GGEN_KEY_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
    if (line === '') throw noPassword();
    return line;
  }
  // The terminal is the prompt's now: no status line drawn over it.
  context.terminal?.stop();
  const first = await ask(prompt);
  if (first === '') throw noPassword();
  if (confirm && (await ask('Repeat the password: ')) !== first) {
    throw new MarketplaceError('GGEN_E_KEY_PASSWORD', 'The two passwords differ', {
      hint: 'Run keygen again and type the same password twice.',
    });
  }
  return first;
}

/** A token for login: the first line of stdin when it is not a terminal, else asked without echo. */
export async function readToken(prompt: string): Promise<string> {
  let line: string;
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  } else line = await ask(prompt);
  if (line.trim() === '')
    throw new MarketplaceError('GGEN_E_USAGE', 'No token given', {
      hint: 'Paste the token the registry operator created (ggen marketplace registry token create), or pipe it on stdin.',
    });
  return line.trim();
}

function noPassword(): MarketplaceError {
  return new MarketplaceError('GGEN_E_KEY_PASSWORD', 'No password given', {
    hint: 'Type one when asked, pipe it on stdin, set GGEN_KEY_PASSWORD, or use keygen --no-password (not recommended).',
  });
}

async function ask(prompt: string): Promise<string> {
  // node's readline loads only when a password is typed, not at every command's start.
  const { createInterface } = process.getBuiltinModule('node:readline');
  const { Writable } = process.getBuiltinModule('node:stream');
  let muted = false;
  const output = new Writable({
    write: (chunk: Buffer, _encoding: BufferEncoding, done: () => void) => {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  process.stderr.write(prompt);
  muted = true;
  try {
    return await new Promise<string>((resolve) => {
      rl.question('', resolve);
    });
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
