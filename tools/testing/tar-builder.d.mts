import type { HeaderData } from 'tar';
export function buildTgz(entries: (HeaderData & { content?: string | Buffer })[]): Buffer;
