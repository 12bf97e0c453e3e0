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
  #active = false;
  #label = '';
  #started = 0;
  #delayMs = 0;
  #drawnAt = 0;
  #frame = 0;
  #kept: (() => string) | undefined;
  #cleanups = new Set<() => void>();
  readonly #onSigint = (): void => {
    for (const cleanup of this.#cleanups) cleanup();
    this.#stopActivity();
    // Only a command that knows what it leaves says more (an install: whether it committed).
    const kept = this.#kept?.() ?? 'stopped before it finished';
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
    this.#label = label;
    this.#started = Date.now();
    this.#delayMs = delayMs;
    this.#active = true;
    const tick = (): void => {
      this.#draw();
      this.#timer = setTimeout(tick, 250).unref();
    };
    this.#timer = setTimeout(tick, delayMs).unref();
  }

  #draw(): void {
    this.#shown = true;
    this.#drawnAt = Date.now();
    const seconds = Math.round((this.#drawnAt - this.#started) / 1000);
    this.#write(`\r\u001b[2K${SPINNER[this.#frame % SPINNER.length] ?? ''} ${this.#label} ${seconds} s`);
    this.#frame += 1;
  }

  /**
   * How far long work has got. Drawn at once when due (work that keeps the event loop busy
   * starves the timer), at most every 100 ms, and not before the line's first second.
   */
  progress(label: string): void {
    this.#label = label;
    const now = Date.now();
    if (this.#active && now - this.#started >= this.#delayMs && now - this.#drawnAt >= 100) this.#draw();
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

  /** Says what an interruption now would keep (undefined: only that the command stopped). */
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
    this.#active = false;
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
