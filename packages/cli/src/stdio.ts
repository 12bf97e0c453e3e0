// Writes to stdout and stderr without node's stream objects. process.stdout is made on first
// use: for a pipe, a net.Socket with node's stream machinery. A write here goes straight to the file
// descriptor, as node's own writes to a pipe, file or terminal on Linux are synchronous anyway.
// Whatever the descriptor does not take (a full non-blocking pipe) goes to the stream, which
// handles it as it always has, and so does every later write to that descriptor, so that
// nothing overtakes what the stream still holds. Once its reader has gone (`ggen ... | head`),
// a descriptor's output is dropped, as a tool killed by SIGPIPE would print no more: the
// command still finishes what it does, with its own exit code, and no stack trace of node's
// unhandled EPIPE. Node's own modules only: the launcher uses it.
import { fstatSync, writeSync } from 'node:fs';

interface Sink {
  write: (chunk: Uint8Array | string) => unknown;
  once?: (event: 'error', listener: (error: unknown) => void) => unknown;
}

const toStream = new Set<number>();
/** Descriptors whose reader has gone: what is written to them is dropped. */
const readerGone = new Set<number>();

const isBrokenPipe = (error: unknown): boolean => (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';

export function writeStdio(fd: 1 | 2, text: string): void {
  writeFd(fd, text, () => (fd === 1 ? process.stdout : process.stderr));
}

/** `text` to `fd` directly, else (from the first write the descriptor refuses on) to `stream()`. */
export function writeFd(fd: number, text: string, stream: () => Sink): void {
  if (readerGone.has(fd)) return;
  if (toStream.has(fd)) {
    stream().write(text);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  try {
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
  } catch (error) {
    if (isBrokenPipe(error)) {
      readerGone.add(fd);
      return;
    }
    toStream.add(fd);
    const sink = stream();
    // The reader may go while the stream still holds output: node would throw its EPIPE from the stream's error event.
    if (typeof sink.once === 'function')
      sink.once('error', (streamError: unknown) => {
        if (!isBrokenPipe(streamError)) throw streamError;
        readerGone.add(fd);
      });
    sink.write(bytes.subarray(offset));
  }
}

/**
 * Whether `fd` may be a terminal: a terminal is a character device, so a pipe, a socket or a
 * file (or a closed descriptor) is surely none; a character device may be (or be /dev/null).
 */
export function mayBeTerminal(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice();
  } catch {
    return false;
  }
}
