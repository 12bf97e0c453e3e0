import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { mayBeTerminal, writeFd } from '../src/stdio.js';

// A real FIFO opened non-blocking, with no one reading: it takes what its buffer holds (64 KiB on
// Linux), then refuses with EAGAIN, as a full non-blocking pipe refuses a command's output.
function fullPipe({ keepOpen = true } = {}): { write: number; read: number } {
  const path = join(mkdtempSync(join(tmpdir(), 'ggen-stdio-')), 'fifo');
  execFileSync('mkfifo', [path]);
  const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const write = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  if (keepOpen) opened.push(write);
  return { write, read };
}

// writeFd remembers, per descriptor, that one went to its stream or lost its reader (a process
// has one stdout): each test's write end stays open until all have run, so that no test gets
// a descriptor number another used.
const opened: number[] = [];
afterAll(() => {
  for (const fd of opened) closeSync(fd);
});

function drain(fd: number): Buffer {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(65_536);
  for (;;) {
    let got: number;
    try {
      got = readSync(fd, buffer, 0, buffer.length, null);
    } catch {
      break;
    }
    if (got === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, got)));
  }
  return Buffer.concat(chunks);
}

describe('writing to stdout and stderr', () => {
  it('writes to the descriptor, and from the first write it refuses on, everything to the stream, in order', () => {
    const pipe = fullPipe();
    const streamed: Buffer[] = [];
    const stream = { write: (chunk: Uint8Array | string) => streamed.push(Buffer.from(chunk)) };
    const first = 'a'.repeat(1000);
    const big = `${'é'.repeat(60_000)}\n`;
    const last = 'the end\n';
    writeFd(pipe.write, first, () => stream);
    expect(streamed).toEqual([]);
    writeFd(pipe.write, big, () => stream);
    const direct = drain(pipe.read);
    // The pipe has room again, but what the stream holds must come first: the next write goes after it.
    writeFd(pipe.write, last, () => stream);
    expect(drain(pipe.read).length).toBe(0);
    // The pipe took its fill; the stream got the rest of that write and the whole of the next.
    expect(direct.length).toBeGreaterThan(1000);
    expect(streamed.length).toBe(2);
    expect(Buffer.concat([direct, ...streamed]).toString('utf8')).toBe(first + big + last);
    closeSync(pipe.read);
  });

  it('drops what is written once the reader has gone (| head), instead of throwing EPIPE', () => {
    const pipe = fullPipe();
    closeSync(pipe.read);
    const streamed: Buffer[] = [];
    const stream = { write: (chunk: Uint8Array | string) => streamed.push(Buffer.from(chunk)) };
    expect(() => {
      writeFd(pipe.write, 'first\n', () => stream);
      writeFd(pipe.write, 'second\n', () => stream);
    }).not.toThrow();
    expect(streamed).toEqual([]);
  });

  it('drops the rest when the reader goes while the stream still holds output', async () => {
    // The stream owns the write end: it closes it when it fails.
    const pipe = fullPipe({ keepOpen: false });
    // node's own stream over the pipe, as process.stdout is for a pipe.
    const socket = new Socket({ fd: pipe.write, readable: false });
    let streamWrites = 0;
    const sink = {
      write: (chunk: Uint8Array | string) => {
        streamWrites += 1;
        return socket.write(chunk);
      },
      once: (event: 'error', listener: (error: unknown) => void) => socket.once(event, listener),
    };
    // More than the pipe holds: the rest waits in the stream, which gets EPIPE once the reader closes.
    writeFd(pipe.write, 'x'.repeat(200_000), () => sink);
    expect(streamWrites).toBe(1);
    const closed = new Promise((resolvePromise) => socket.once('close', resolvePromise));
    closeSync(pipe.read);
    await closed;
    writeFd(pipe.write, 'after\n', () => sink);
    expect(streamWrites).toBe(1);
  });

  it('tells a pipe, a file or a closed descriptor from what may be a terminal without node’s streams', () => {
    const pipe = fullPipe();
    const file = join(mkdtempSync(join(tmpdir(), 'ggen-stdio-')), 'out.txt');
    const fileFd = openSync(file, 'w');
    const devNull = openSync('/dev/null', 'w');
    expect([mayBeTerminal(pipe.write), mayBeTerminal(fileFd), mayBeTerminal(devNull)]).toEqual([false, false, true]);
    closeSync(fileFd);
    closeSync(devNull);
    closeSync(pipe.read);
    // A descriptor that is not open is no terminal either.
    expect(mayBeTerminal(fileFd)).toBe(false);
  });
});
