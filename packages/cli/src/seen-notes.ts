import { readRegularFileSync, writeFileAtomicSync, nodeCrypto } from '@ggen/marketplace-core';

/** How many notes are remembered; the oldest are forgotten first. */
const REMEMBERED = 500;

/**
 * Whether `line` was seen before, remembering it if not. The file holds short digests only, and
 * is read as any file ggen did not just write: a damaged or foreign one counts as empty.
 */
export function seenBefore(file: string, line: string): boolean {
  const digest = nodeCrypto().createHash('sha256').update(line).digest('hex').slice(0, 16);
  let seen: string[] = [];
  try {
    const parsed: unknown = JSON.parse(readRegularFileSync(file, 64 * 1024).toString('utf8'));
    if (Array.isArray(parsed)) seen = parsed.filter((item): item is string => typeof item === 'string');
  } catch {
    // None yet, or unreadable: nothing was seen.
  }
  if (seen.includes(digest)) return true;
  try {
    writeFileAtomicSync(file, JSON.stringify([...seen, digest].slice(-REMEMBERED)), { mode: 0o600 });
  } catch {
    // A state directory that cannot be written: the note is said each time.
  }
  return false;
}
