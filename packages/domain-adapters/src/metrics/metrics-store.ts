import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationRecord } from './operation-record.js';

const CURRENT = 'operations.jsonl';
const PREVIOUS = 'operations.1.jsonl';
/** The current file rotates at this size, so the store never holds much more than twice it. */
export const METRICS_ROTATE_BYTES = 4 * 1024 * 1024;

export function metricsDir(stateDir: string): string {
  return join(stateDir, 'metrics');
}

/**
 * The local record of routed operations: JSON lines in `<state_dir>/metrics/`, rotated once
 * the current file passes its size. Records are buffered and written once per event-loop turn
 * (and at exit), off the operation's own path. Writes never fail a command: metrics are best effort.
 */
export class MetricsStore {
  readonly dir: string;
  readonly #rotateBytes: number;
  #pending: string[] = [];
  #scheduled = false;
  #size: number | undefined;

  constructor(dir: string, rotateBytes = METRICS_ROTATE_BYTES) {
    this.dir = dir;
    this.#rotateBytes = rotateBytes;
  }

  append(record: OperationRecord): void {
    this.#pending.push(`${JSON.stringify(record)}\n`);
    if (this.#scheduled) return;
    this.#scheduled = true;
    const flush = (): void => {
      this.flush();
    };
    process.once('exit', flush);
    setImmediate(() => {
      process.removeListener('exit', flush);
      this.flush();
    }).unref();
  }

  /** Writes what is buffered now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    const text = this.#pending.join('');
    this.#pending = [];
    const current = join(this.dir, CURRENT);
    try {
      if (this.#size === undefined) {
        mkdirSync(this.dir, { recursive: true });
        try {
          this.#size = statSync(current).size;
        } catch {
          this.#size = 0;
        }
      }
      if (this.#size >= this.#rotateBytes) {
        renameSync(current, join(this.dir, PREVIOUS));
        this.#size = 0;
      }
      appendFileSync(current, text);
      this.#size += Buffer.byteLength(text);
    } catch {
      // Metrics must never break the operation they describe.
      this.#size = undefined;
    }
  }

  /** Records since `sinceMs` (unix ms), oldest first; lines that do not parse are skipped. */
  read(sinceMs = 0): OperationRecord[] {
    this.flush();
    const records: OperationRecord[] = [];
    for (const name of [PREVIOUS, CURRENT]) {
      let text: string;
      try {
        text = readFileSync(join(this.dir, name), 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n')) {
        if (line === '') continue;
        try {
          const record = JSON.parse(line) as OperationRecord;
          if (typeof record.t === 'number' && record.t >= sinceMs && typeof record.op === 'string')
            records.push(record);
        } catch {
          // A line cut short by a crash is skipped.
        }
      }
    }
    return records;
  }
}
