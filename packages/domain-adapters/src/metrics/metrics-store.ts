import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
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
 * the current file passes its size. Writes never fail a command: metrics are best effort.
 */
export class MetricsStore {
  readonly dir: string;
  readonly #rotateBytes: number;

  constructor(dir: string, rotateBytes = METRICS_ROTATE_BYTES) {
    this.dir = dir;
    this.#rotateBytes = rotateBytes;
  }

  append(record: OperationRecord): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      const current = join(this.dir, CURRENT);
      if (existsSync(current) && statSync(current).size >= this.#rotateBytes) renameSync(current, join(this.dir, PREVIOUS));
      appendFileSync(current, `${JSON.stringify(record)}\n`);
    } catch {
      // Metrics must never break the operation they describe.
    }
  }

  /** Records since `sinceMs` (unix ms), oldest first; lines that do not parse are skipped. */
  read(sinceMs = 0): OperationRecord[] {
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
          if (typeof record.t === 'number' && record.t >= sinceMs && typeof record.op === 'string') records.push(record);
        } catch {
          // A line cut short by a crash is skipped.
        }
      }
    }
    return records;
  }
}
