import { blake2b } from '@noble/hashes/blake2.js';
import { MarketplaceError, nodeCrypto } from '@ggen/marketplace-core';
import { isWeakPublicKey, publicKeyOf, signEd25519, verifyEd25519 } from './ed25519.js';

// minisign's formats (https://jedisct1.github.io/minisign/), byte for byte, so that keys and
// signatures move between ggen and the minisign tool in both directions.

const SIG_ALG = Buffer.from('Ed');
const SIG_ALG_PREHASHED = Buffer.from('ED');
const KDF_SCRYPT = Buffer.from('Sc');
const KDF_NONE = Buffer.from([0, 0]);
const CHK_BLAKE2B = Buffer.from('B2');
const SECRET_KEY_BYTES = 158;
const KEYNUM_SK_BYTES = 104;

/** scrypt cost of keys ggen writes: N = 2^17, r = 8, p = 1 (128 MiB, about a second here). */
export const DEFAULT_KDF = { opslimit: 2 ** 22, memlimit: 2 ** 27 } as const;
/** The most a key file may ask for: minisign's own default (N = 2^20, 1 GiB). */
const MAX_MEMLIMIT = 2 ** 30;

export interface PublicKey {
  /** 8 bytes, as stored (little-endian). */
  keyId: Uint8Array;
  publicKey: Uint8Array;
}

export interface SecretKey extends PublicKey {
  /** The Ed25519 seed (first half of libsodium's 64-byte secret key). */
  seed: Uint8Array;
}

/** The key id as minisign prints it: the little-endian 64-bit number in upper-case hex. */
export function formatKeyId(keyId: Uint8Array): string {
  return Buffer.from(keyId).reverse().toString('hex').toUpperCase();
}

function keyError(
  code: 'GGEN_E_KEY_INVALID' | 'GGEN_E_KEY_PASSWORD' | 'GGEN_E_SIGNATURE_MALFORMED',
  message: string,
  hint: string,
): MarketplaceError {
  return new MarketplaceError(code, message, { hint });
}

/** The two lines of a minisign file: comment, then base64. */
function lines(text: string, what: string): string[] {
  const all = text.replace(/\r\n/g, '\n').split('\n');
  if (all.length < 2 || !all[0]?.startsWith('untrusted comment:')) {
    throw keyError(
      what === 'signature' ? 'GGEN_E_SIGNATURE_MALFORMED' : 'GGEN_E_KEY_INVALID',
      `The ${what} file does not start with 'untrusted comment:'`,
      `Is this a minisign ${what} file?`,
    );
  }
  return all;
}

function decodeBase64(
  text: string | undefined,
  length: number,
  what: string,
  code: 'GGEN_E_KEY_INVALID' | 'GGEN_E_SIGNATURE_MALFORMED',
): Buffer {
  const trimmed = (text ?? '').trim();
  const bytes = Buffer.from(trimmed, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || bytes.length !== length) {
    throw keyError(
      code,
      `The ${what} is not ${length} bytes of base64`,
      'The file is truncated or was edited; use the original file.',
    );
  }
  return bytes;
}

/**
 * A key's identity is the whole public key: its 8-byte id is a label its creator chooses, and
 * anyone can make a key with the id of another. Two keys with one id are two keys.
 */
export function sameKey(a: PublicKey, b: PublicKey): boolean {
  return Buffer.from(a.keyId).equals(Buffer.from(b.keyId)) && Buffer.from(a.publicKey).equals(Buffer.from(b.publicKey));
}

/** The label people read for a key line (its id), or the text itself when it is not a key line. */
export function keyLabel(line: string): string {
  if (!isPublicKeyLine(line)) return line;
  return formatKeyId(Buffer.from(line.trim(), 'base64').subarray(2, 10));
}

/** The key as one base64 line (RW...): what users put in trusted_keys and `minisign -P` takes. */
export function publicKeyLine(key: PublicKey): string {
  return Buffer.concat([SIG_ALG, key.keyId, key.publicKey]).toString('base64');
}

const PUBLIC_KEY_LINE = /^RW[A-Za-z0-9+/]{54}$/;

export function isPublicKeyLine(text: string): boolean {
  return PUBLIC_KEY_LINE.test(text.trim());
}

export function formatPublicKey(key: PublicKey): string {
  return `untrusted comment: minisign public key ${formatKeyId(key.keyId)}\n${publicKeyLine(key)}\n`;
}

/** A public key file, or the bare base64 line (as config `trusted_keys` and `minisign -P` take it). */
export function parsePublicKey(text: string): PublicKey {
  const trimmed = text.trim();
  const line = trimmed.startsWith('untrusted comment:') ? lines(trimmed, 'public key')[1] : trimmed;
  const bytes = decodeBase64(line, 42, 'public key', 'GGEN_E_KEY_INVALID');
  if (!bytes.subarray(0, 2).equals(SIG_ALG))
    throw keyError(
      'GGEN_E_KEY_INVALID',
      'The public key is not an Ed25519 minisign key',
      'Use a key made by ggen marketplace keygen or minisign -G.',
    );
  const publicKey = new Uint8Array(bytes.subarray(10, 42));
  if (isWeakPublicKey(publicKey)) {
    throw keyError(
      'GGEN_E_KEY_INVALID',
      'The public key is a small-order point, for which any signature verifies',
      'Such a key is never made by keygen or minisign; it was crafted. Do not trust it.',
    );
  }
  return { keyId: new Uint8Array(bytes.subarray(2, 10)), publicKey };
}

/** libsodium's crypto_pwhash_scryptsalsa208sha256 parameter choice, which minisign uses. */
function scryptParams(opslimit: number, memlimit: number): { N: number; r: number; p: number } {
  const ops = Math.max(opslimit, 32768);
  const r = 8;
  let nLog2 = 1;
  if (ops < memlimit / 32) {
    const maxN = ops / (r * 4);
    while (nLog2 < 63 && 2 ** nLog2 <= maxN / 2) nLog2 += 1;
    return { N: 2 ** nLog2, r, p: 1 };
  }
  const maxN = memlimit / (r * 128);
  while (nLog2 < 63 && 2 ** nLog2 <= maxN / 2) nLog2 += 1;
  const maxrp = Math.min(Math.floor(ops / 4 / 2 ** nLog2), 0x3fffffff);
  return { N: 2 ** nLog2, r, p: Math.max(1, Math.floor(maxrp / r)) };
}

function keystream(password: string, salt: Uint8Array, opslimit: number, memlimit: number): Buffer {
  if (memlimit > MAX_MEMLIMIT || opslimit > 2 ** 33) {
    throw keyError(
      'GGEN_E_KEY_INVALID',
      `The secret key asks for scrypt limits beyond minisign's (${opslimit} ops, ${memlimit} bytes)`,
      'The key file was tampered with or is not a minisign key.',
    );
  }
  const { N, r, p } = scryptParams(opslimit, memlimit);
  return nodeCrypto().scryptSync(Buffer.from(password, 'utf8'), salt, KEYNUM_SK_BYTES, {
    N,
    r,
    p,
    maxmem: 128 * N * r * p + 64 * 1024 * 1024,
  });
}

function checksum(keyId: Uint8Array, seed: Uint8Array, publicKey: Uint8Array): Buffer {
  return Buffer.from(blake2b(Buffer.concat([SIG_ALG, keyId, seed, publicKey]), { dkLen: 32 }));
}

export function generateSecretKey(): SecretKey {
  const seed = new Uint8Array(nodeCrypto().randomBytes(32));
  return { seed, publicKey: publicKeyOf(seed), keyId: new Uint8Array(nodeCrypto().randomBytes(8)) };
}

/** The secret key file; without a password, the key is stored unencrypted (minisign -W). */
export function formatSecretKey(
  key: SecretKey,
  password: string | undefined,
  kdf: { opslimit: number; memlimit: number } = DEFAULT_KDF,
): string {
  const keynum = Buffer.concat([key.keyId, key.seed, key.publicKey, checksum(key.keyId, key.seed, key.publicKey)]);
  const salt = nodeCrypto().randomBytes(32);
  const limits = Buffer.alloc(16);
  if (password !== undefined) {
    limits.writeBigUInt64LE(BigInt(kdf.opslimit), 0);
    limits.writeBigUInt64LE(BigInt(kdf.memlimit), 8);
    const stream = keystream(password, salt, kdf.opslimit, kdf.memlimit);
    for (let index = 0; index < keynum.length; index += 1) keynum[index] = (keynum[index] ?? 0) ^ (stream[index] ?? 0);
  }
  const body = Buffer.concat([
    SIG_ALG,
    password === undefined ? KDF_NONE : KDF_SCRYPT,
    CHK_BLAKE2B,
    salt,
    limits,
    keynum,
  ]);
  const comment = password === undefined ? 'minisign secret key' : 'minisign encrypted secret key';
  return `untrusted comment: ${comment}\n${body.toString('base64')}\n`;
}

export function secretKeyIsEncrypted(text: string): boolean {
  const bytes = decodeBase64(lines(text, 'secret key')[1], SECRET_KEY_BYTES, 'secret key', 'GGEN_E_KEY_INVALID');
  return bytes.subarray(2, 4).equals(KDF_SCRYPT);
}

/** Decrypts and checks a secret key file; a wrong password fails the checksum, not later. */
export function parseSecretKey(text: string, password: string | undefined): SecretKey {
  const bytes = decodeBase64(lines(text, 'secret key')[1], SECRET_KEY_BYTES, 'secret key', 'GGEN_E_KEY_INVALID');
  if (!bytes.subarray(0, 2).equals(SIG_ALG) || !bytes.subarray(4, 6).equals(CHK_BLAKE2B)) {
    throw keyError(
      'GGEN_E_KEY_INVALID',
      'The secret key is not an Ed25519 minisign key with a BLAKE2b checksum',
      'Use a key made by ggen marketplace keygen or minisign -G.',
    );
  }
  const kdf = bytes.subarray(2, 4);
  const keynum = Buffer.from(bytes.subarray(54, 54 + KEYNUM_SK_BYTES));
  if (kdf.equals(KDF_SCRYPT)) {
    if (password === undefined)
      throw keyError(
        'GGEN_E_KEY_PASSWORD',
        'The secret key is encrypted and no password was given',
        'Type it when asked, pipe it on stdin, or set GGEN_KEY_PASSWORD.',
      );
    const opslimit = Number(bytes.readBigUInt64LE(38));
    const memlimit = Number(bytes.readBigUInt64LE(46));
    const stream = keystream(password, bytes.subarray(6, 38), opslimit, memlimit);
    for (let index = 0; index < keynum.length; index += 1) keynum[index] = (keynum[index] ?? 0) ^ (stream[index] ?? 0);
  } else if (!kdf.equals(KDF_NONE)) {
    throw keyError(
      'GGEN_E_KEY_INVALID',
      `The secret key uses an unknown key derivation '${kdf.toString('latin1')}'`,
      'Use a key made by ggen marketplace keygen or minisign -G.',
    );
  }
  const keyId = new Uint8Array(keynum.subarray(0, 8));
  const seed = new Uint8Array(keynum.subarray(8, 40));
  const publicKey = new Uint8Array(keynum.subarray(40, 72));
  // minisign -W leaves the checksum of an unencrypted key zeroed; the public key derived from
  // the seed still has to match.
  const storedChecksum = keynum.subarray(72, 104);
  const checksumOk =
    checksum(keyId, seed, publicKey).equals(storedChecksum) ||
    (kdf.equals(KDF_NONE) && storedChecksum.every((byte) => byte === 0));
  if (!checksumOk || !Buffer.from(publicKeyOf(seed)).equals(publicKey)) {
    throw kdf.equals(KDF_SCRYPT)
      ? keyError(
          'GGEN_E_KEY_PASSWORD',
          'Wrong password for the secret key (its checksum does not match)',
          'Try again; the password is the one given to keygen.',
        )
      : keyError(
          'GGEN_E_KEY_INVALID',
          'The secret key is damaged: its checksum does not match',
          'Restore the key file from your backup.',
        );
  }
  return { keyId, seed, publicKey };
}

export interface MinisignSignature {
  keyId: Uint8Array;
  prehashed: boolean;
  signature: Uint8Array;
  untrustedComment: string;
  trustedComment: string;
  globalSignature: Uint8Array;
}

export function signMessage(
  key: SecretKey,
  message: Uint8Array,
  trustedComment: string,
  untrustedComment = 'signature from ggen marketplace',
): string {
  if (/[\r\n]/.test(trustedComment)) throw new Error('a trusted comment is one line');
  const signature = signEd25519(blake2b(message, { dkLen: 64 }), key.seed);
  const global = signEd25519(Buffer.concat([signature, Buffer.from(trustedComment, 'utf8')]), key.seed);
  return [
    `untrusted comment: ${untrustedComment}`,
    Buffer.concat([SIG_ALG_PREHASHED, key.keyId, signature]).toString('base64'),
    `trusted comment: ${trustedComment}`,
    Buffer.from(global).toString('base64'),
    '',
  ].join('\n');
}

export function parseSignature(text: string): MinisignSignature {
  const all = lines(text, 'signature');
  const sigLine = decodeBase64(all[1], 74, 'signature', 'GGEN_E_SIGNATURE_MALFORMED');
  const trusted = all[2] ?? '';
  if (!trusted.startsWith('trusted comment: ')) {
    throw keyError(
      'GGEN_E_SIGNATURE_MALFORMED',
      "The signature has no 'trusted comment:' line",
      'The .minisig file is truncated; publish the signature again.',
    );
  }
  const alg = sigLine.subarray(0, 2);
  if (!alg.equals(SIG_ALG) && !alg.equals(SIG_ALG_PREHASHED)) {
    throw keyError(
      'GGEN_E_SIGNATURE_MALFORMED',
      `Unknown signature algorithm '${alg.toString('latin1')}'`,
      'Sign with ggen marketplace sign or minisign -S.',
    );
  }
  return {
    prehashed: alg.equals(SIG_ALG_PREHASHED),
    keyId: new Uint8Array(sigLine.subarray(2, 10)),
    signature: new Uint8Array(sigLine.subarray(10, 74)),
    untrustedComment: (all[0] ?? '').slice('untrusted comment:'.length).trim(),
    trustedComment: trusted.slice('trusted comment: '.length),
    globalSignature: new Uint8Array(
      decodeBase64(all[3], 64, 'trusted comment signature', 'GGEN_E_SIGNATURE_MALFORMED'),
    ),
  };
}

export type SignatureCheck = 'verified' | 'wrong-key' | 'invalid' | 'comment-invalid';

/** Whether the signature of the trusted comment verifies with `key` (whatever the message). */
export function checkCommentSignature(parsed: MinisignSignature, key: PublicKey): boolean {
  return verifyEd25519(
    parsed.globalSignature,
    Buffer.concat([parsed.signature, Buffer.from(parsed.trustedComment, 'utf8')]),
    key.publicKey,
  );
}

/** minisign -V's checks: key id, the signature of the message, the signature of the trusted comment. */
export function checkSignature(parsed: MinisignSignature, message: Uint8Array, key: PublicKey): SignatureCheck {
  if (!Buffer.from(parsed.keyId).equals(Buffer.from(key.keyId))) return 'wrong-key';
  const signed = parsed.prehashed ? blake2b(message, { dkLen: 64 }) : message;
  if (!verifyEd25519(parsed.signature, signed, key.publicKey)) return 'invalid';
  const global = Buffer.concat([parsed.signature, Buffer.from(parsed.trustedComment, 'utf8')]);
  return verifyEd25519(parsed.globalSignature, global, key.publicKey) ? 'verified' : 'comment-invalid';
}
