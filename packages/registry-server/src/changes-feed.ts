import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRegularFileSync, withFileLock } from '@ggen/marketplace-core';
import { SERVER_DIR } from './tokens.js';

/** One change to the registry, in order: what mirrors and clients catch up on with `since=<seq>`. */
export interface RegistryChange {
  seq: number;
  name: string;
  action: 'publish' | 'yank' | 'deprecate' | 'dist-tag-add' | 'dist-tag-rm' | 'keys-add' | 'keys-revoke';
  version?: string;
  at: string;
}

const FEED_FILE = 'changes.jsonl';
/** The most a feed answer holds; a client asks again from the last seq it got. */
export const FEED_PAGE = 1000;

/**
 * The registry's change feed, `<registry>/.ggen-server/changes.jsonl`: one JSON line per change,
 * appended under its own lock, so two server instances over one directory number their changes
 * in one sequence.
 */
export class ChangesFeed {
  readonly #path: string;

  constructor(registryDir: string) {
    this.#path = join(registryDir, SERVER_DIR, FEED_FILE);
  }

  async append(change: Omit<RegistryChange, 'seq' | 'at'>, now = new Date()): Promise<RegistryChange> {
    mkdirSync(join(this.#path, '..'), { recursive: true, mode: 0o700 });
    return withFileLock(`${this.#path}.lock`, () => {
      const tail = this.#tail();
      const entry: RegistryChange = { seq: tail.seq + 1, ...change, at: now.toISOString() };
      // A line a crash cut short is ended first, so that it never swallows this one.
      appendFileSync(this.#path, `${tail.complete ? '' : '\n'}${JSON.stringify(entry)}\n`, { mode: 0o600 });
      return entry;
    });
  }

  /** The changes after `since`, at most FEED_PAGE of them, and the last sequence number there is. */
  read(since: number): { changes: RegistryChange[]; last: number } {
    if (!existsSync(this.#path)) return { changes: [], last: 0 };
    const changes: RegistryChange[] = [];
    let last = 0;
    for (const line of readRegularFileSync(this.#path).toString('utf8').split('\n')) {
      const entry = parseLine(line);
      if (entry === undefined) continue;
      last = entry.seq;
      if (entry.seq > since && changes.length < FEED_PAGE) changes.push(entry);
    }
    return { changes, last };
  }

  /** The last sequence number, from the file's tail (a line is far shorter than 64 KiB), and whether the file ends a line. */
  #tail(): { seq: number; complete: boolean } {
    if (!existsSync(this.#path)) return { seq: 0, complete: true };
    const fd = openSync(this.#path, 'r');
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, 64 * 1024);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      const text = buffer.toString('utf8');
      const complete = text === '' || text.endsWith('\n');
      const lines = text.split('\n');
      for (let index = lines.length - 1; index >= 0; index -= 1) {
        const entry = parseLine(lines[index] ?? '');
        if (entry !== undefined) return { seq: entry.seq, complete };
      }
      return { seq: 0, complete };
    } finally {
      closeSync(fd);
    }
  }
}

function parseLine(line: string): RegistryChange | undefined {
  if (line.trim() === '') return undefined;
  try {
    const entry = JSON.parse(line) as RegistryChange;
    return Number.isSafeInteger(entry.seq) && typeof entry.name === 'string' ? entry : undefined;
  } catch {
    // A line cut by a crash mid-append: the next append starts a new line after it.
    return undefined;
  }
}
