import { nodeCrypto } from '@ggen/marketplace-core';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const INSTALL_ID_FILE = 'install-id';
const ID_PATTERN = /^[0-9a-f-]{16,64}$/;

/**
 * The stable id of this ggen install, created on first use in the state directory. It keeps a
 * user's A/B bucket the same across runs. Unreadable or odd contents are replaced.
 */
export function readInstallId(stateDir: string): string {
  const path = join(stateDir, INSTALL_ID_FILE);
  try {
    const id = readFileSync(path, 'utf8').trim();
    if (ID_PATTERN.test(id)) return id;
  } catch {
    // Missing: created below.
  }
  const id = nodeCrypto().randomUUID();
  try {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(path, `${id}\n`, { flag: 'w' });
  } catch {
    // A read-only home still gets a bucket for this run.
  }
  return id;
}

// The largest multiple of 100 that fits in 32 bits: values at or above it are rejected so that
// every bucket gets exactly the same share of hash values (no modulo bias).
const LIMIT = Math.floor(2 ** 32 / 100) * 100;

/**
 * The A/B bucket 0..99 of an id: SHA-256, 32-bit words taken in turn, rejection-sampled. The
 * digest is @noble/hashes' (the local store's, already loaded): node:crypto costs every routed
 * command its load for one hash.
 */
export function bucketOf(id: string): number {
  const digest = sha256(utf8ToBytes(`ggen-ab:${id}`));
  const words = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
  for (let offset = 0; offset + 4 <= digest.length; offset += 4) {
    const word = words.getUint32(offset);
    if (word < LIMIT) return word % 100;
  }
  // All eight words rejected: probability about 1e-74. Re-hash.
  return bucketOf(Buffer.from(digest).toString('hex'));
}
