import type { Io } from './cli-context.js';

/** Shows the cursor again (a progress bar hides it) and clears the current line. */
const RESTORE = '\r\u001b[2K\u001b[?25h';
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * What a command on a terminal shows while it works, and what Ctrl-C leaves: a status line from
 * the first second of a wait (nothing is silent for long), and on SIGINT the cursor restored and
 * one line saying what was kept, then exit 130 as shells expect. A command that knows more
 * (an install: whether it had committed) says it through `keep`. Only for a one-shot run on a
 * TTY: the query service and pipes get none of it.
 */
export class TerminalSession {
  readonly #write: (text: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #shown = false;
  #kept: (() => string) | undefined;
  #cleanups = new Set<() => void>();
  readonly #onSigint = (): void => {
    for (const cleanup of this.#cleanups) cleanup();
    this.#stopActivity();
    const kept = this.#kept?.() ?? 'nothing was changed';
    this.#write(`${RESTORE}interrupted (Ctrl-C): ${kept}\n`);
    process.exit(130);
  };

  constructor(write: (text: string) => void) {
    this.#write = write;
    process.once('SIGINT', this.#onSigint);
  }

  /** From `delayMs` on, a line with a spinner and the seconds spent, until output or a bar takes over. */
  startActivity(label: string, delayMs = 1000): void {
    this.#stopActivity();
    const started = Date.now();
    let frame = 0;
    const draw = (): void => {
      this.#shown = true;
      const seconds = Math.round((Date.now() - started) / 1000);
      this.#write(`\r\u001b[2K${SPINNER[frame % SPINNER.length] ?? ''} ${label} ${seconds} s`);
      frame += 1;
      this.#timer = setTimeout(draw, 250).unref();
    };
    this.#timer = setTimeout(draw, delayMs).unref();
  }

  /** Clears the status line before another line is written; it is drawn again, below, at its next tick. */
  pause(): void {
    if (this.#shown) this.#write('\r\u001b[2K');
    this.#shown = false;
  }

  /** Ends the status line for this command: a bar or a prompt has the terminal now. */
  stop(): void {
    this.#stopActivity();
  }

  /** Says what an interruption now would keep (undefined: nothing was changed). */
  keep(describe: (() => string) | undefined): void {
    this.#kept = describe;
  }

  /** Runs on interruption before the last line (a progress bar stops, showing the cursor). */
  onInterrupt(cleanup: () => void): () => void {
    this.#cleanups.add(cleanup);
    return () => this.#cleanups.delete(cleanup);
  }

  /** Stops the status line and gives Ctrl-C back (to a server that handles it, or at the end of the command). */
  close(): void {
    this.#stopActivity();
    process.off('SIGINT', this.#onSigint);
  }

  #stopActivity(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#shown) this.#write('\r\u001b[2K');
    this.#shown = false;
  }
}

/** A session for a one-shot run on a terminal; undefined otherwise (pipes, --json, --quiet, the query service). */
export function terminalSession(
  io: Io,
  args: { json: boolean; quiet?: boolean },
  oneShot: boolean,
): TerminalSession | undefined {
  if (!oneShot || !io.isTty || args.json || args.quiet === true) return undefined;
  return new TerminalSession((text) => process.stderr.write(text));
}
