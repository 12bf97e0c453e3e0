import { nodeCrypto } from '@ggen/marketplace-core';
import type { KeyObject } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

// @noble/ed25519 v3 needs its SHA-512 for the synchronous API.
ed.hashes.sha512 = sha512;

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the 32 key bytes follow. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * Strict RFC 8032 verification: no ZIP-215 leniency (non-canonical points and S are refused).
 * OpenSSL's (node's own crypto), not @noble/ed25519's: an install verifies two signatures per
 * pack, and noble's BigInt arithmetic is far slower than OpenSSL's in a process that ends before
 * the JIT warms up. Both agree on every
 * Wycheproof case (test/signing.test.ts); noble still signs and derives keys, where one
 * operation per publish or keygen costs nothing that matters.
 */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return nodeCrypto().verify(null, message, keyObject(publicKey), signature);
  } catch {
    return false;
  }
}

/** Imported once per key: an install checks every pack against the same few keys, and an import costs more than a verification. */
const keyObjects = new Map<string, KeyObject>();
const MAX_KEY_OBJECTS = 64;

function keyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey).toString('hex');
  let key = keyObjects.get(id);
  if (key === undefined) {
    key = nodeCrypto().createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]),
      format: 'der',
      type: 'spki',
    });
    if (keyObjects.size >= MAX_KEY_OBJECTS) keyObjects.clear();
    keyObjects.set(id, key);
  }
  return key;
}

/** @noble/ed25519's verification, the same rules: the reference the tests hold OpenSSL's to. */
export function verifyEd25519Noble(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/**
 * A public key no honest key generator makes: a small-order point (the identity among them), or
 * bytes that are no point at all. With a small-order key a crafted signature verifies for any
 * message, so such a key is refused where it is read.
 */
export function isWeakPublicKey(publicKey: Uint8Array): boolean {
  try {
    return ed.Point.fromBytes(publicKey, false).isSmallOrder();
  } catch {
    return true;
  }
}

export function signEd25519(message: Uint8Array, seed: Uint8Array): Uint8Array {
  return ed.sign(message, seed);
}

export function publicKeyOf(seed: Uint8Array): Uint8Array {
  return ed.getPublicKey(seed);
}
