import { MarketplaceError, type SignatureInfo } from '@ggen/marketplace-core';
import type { OwnerChain } from './key-statements.js';
import {
  checkCommentSignature,
  checkSignature,
  formatKeyId,
  parseSignature,
  publicKeyLine,
  sameKey,
  signMessage,
  type MinisignSignature,
  type PublicKey,
  type SecretKey,
} from './minisign-format.js';

/** What a package signature binds: a signature for one package never installs another. */
export interface PackageBinding {
  name: string;
  version: string;
  /** SRI sha512 of the archive bytes. */
  integrity: string;
}

const PREFIX = 'ggen-package';

export function formatTrustedComment(binding: PackageBinding, timestamp: number): string {
  return `${PREFIX} name=${binding.name} version=${binding.version} integrity=${binding.integrity} timestamp=${timestamp}`;
}

export function parseTrustedComment(comment: string): (PackageBinding & { timestamp: number }) | null {
  const match = /^ggen-package name=(\S+) version=(\S+) integrity=(sha512-[A-Za-z0-9+/=]+) timestamp=(\d+)$/.exec(
    comment,
  );
  if (match === null) return null;
  return { name: match[1] ?? '', version: match[2] ?? '', integrity: match[3] ?? '', timestamp: Number(match[4]) };
}

/** The `.minisig` of a package archive, its trusted comment binding name, version and integrity. */
export function signPackageArchive(
  key: SecretKey,
  archive: Uint8Array,
  binding: PackageBinding,
  timestamp = Math.floor(Date.now() / 1000),
): string {
  return signMessage(
    key,
    archive,
    formatTrustedComment(binding, timestamp),
    `ggen package ${binding.name}@${binding.version}, key ${formatKeyId(key.keyId)}`,
  );
}

export type VerificationStatus =
  'verified' | 'missing' | 'malformed' | 'untrusted' | 'revoked' | 'invalid' | 'mismatch';

export interface VerificationResult {
  status: VerificationStatus;
  keyId?: string;
  /** The signer's whole public key line (RW...), once a known key is found to have made the signature. */
  publicKey?: string;
  reason: string;
}

export interface VerifyPackageOptions {
  binding: PackageBinding;
  archive: Uint8Array;
  /** The `.minisig` text, or undefined when the registry has none. */
  signature: string | undefined;
  trustedKeys: readonly PublicKey[];
  /** The package's verified owner chain, when the registry has one. */
  chain?: OwnerChain;
}

const includes = (keys: readonly PublicKey[], key: PublicKey): boolean => keys.some((other) => sameKey(other, key));

/**
 * The keys whose signature this package accepts. Without an owner chain: the user's trusted
 * keys. With one: the current owners, provided the user trusts (the whole key, never its id) a
 * key that ever owned the package, so trust follows signed rotations; revoked keys never. What a
 * lockfile recorded never adds a key here: it only narrows (checked before, as key continuity).
 */
function acceptedKeys(trusted: readonly PublicKey[], chain: OwnerChain | undefined): PublicKey[] {
  if (chain === undefined) return [...trusted];
  return chain.everOwned.some((key) => includes(trusted, key)) ? chain.owners : [];
}

/**
 * Which known key made the signature. The signature names only a key id, a label anyone can
 * give their own key, so every known key with that id is tried: the signer is the one whose
 * public key verifies it. When none does, a key whose comment signature verifies tells a changed
 * archive ('invalid') from a signature by another key that carries a known id ('impostor').
 */
function findSigner(
  parsed: MinisignSignature,
  archive: Uint8Array,
  known: readonly PublicKey[],
): { signer: PublicKey } | { failure: 'none' | 'impostor' | 'invalid' | 'comment-invalid' } {
  const sameId = known.filter((key) => Buffer.from(key.keyId).equals(Buffer.from(parsed.keyId)));
  if (sameId.length === 0) return { failure: 'none' };
  let failure: 'impostor' | 'invalid' | 'comment-invalid' = 'impostor';
  for (const key of sameId) {
    const check = checkSignature(parsed, archive, key);
    if (check === 'verified') return { signer: key };
    if (check === 'comment-invalid') failure = 'comment-invalid';
    else if (check === 'invalid' && failure === 'impostor' && checkCommentSignature(parsed, key)) failure = 'invalid';
  }
  return { failure };
}

/** Verifies a package archive's signature: a categorized result; the caller decides what fails. */
export function verifyPackageSignature(options: VerifyPackageOptions): VerificationResult {
  const label = `${options.binding.name}@${options.binding.version}`;
  if (options.signature === undefined) return { status: 'missing', reason: `${label} has no signature` };
  let parsed;
  try {
    parsed = parseSignature(options.signature);
  } catch (error) {
    return {
      status: 'malformed',
      reason: `the signature of ${label} is malformed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const keyId = formatKeyId(parsed.keyId);
  const accepted = acceptedKeys(options.trustedKeys, options.chain);
  const known: PublicKey[] = [];
  for (const key of [
    ...(options.chain?.owners ?? []),
    ...(options.chain?.revoked ?? []),
    ...options.trustedKeys,
    ...accepted,
  ])
    if (!includes(known, key)) known.push(key);
  const found = findSigner(parsed, options.archive, known);
  if ('failure' in found) {
    switch (found.failure) {
      case 'none':
        return options.chain === undefined
          ? { status: 'untrusted', keyId, reason: `${label} is signed by key ${keyId}, which is not trusted` }
          : {
              status: 'untrusted',
              keyId,
              reason: `${label} is signed by key ${keyId}, which is not an owner of ${options.binding.name}`,
            };
      case 'impostor':
        return {
          status: 'untrusted',
          keyId,
          reason: `${label} is signed by another key that carries the id ${keyId} of a key you know (a key id is a label anyone can copy; the public keys differ)`,
        };
      case 'invalid':
        return {
          status: 'invalid',
          keyId,
          reason: `the signature of ${label} does not match its archive (tampered archive, or a signature of other bytes)`,
        };
      case 'comment-invalid':
        return { status: 'invalid', keyId, reason: `the trusted comment of ${label}'s signature was edited` };
    }
  }
  const signer = found.signer;
  const publicKey = publicKeyLine(signer);
  if (options.chain !== undefined && includes(options.chain.revoked, signer)) {
    return {
      status: 'revoked',
      keyId,
      publicKey,
      reason: `${label} is signed by key ${keyId}, which an owner of ${options.binding.name} revoked`,
    };
  }
  if (options.chain !== undefined && !includes(options.chain.owners, signer)) {
    return {
      status: 'untrusted',
      keyId,
      publicKey,
      reason: `${label} is signed by key ${keyId}, which is not an owner of ${options.binding.name}`,
    };
  }
  if (!includes(accepted, signer))
    return {
      status: 'untrusted',
      keyId,
      publicKey,
      reason: `${label} is signed by key ${keyId}, which is not trusted`,
    };
  const bound = parseTrustedComment(parsed.trustedComment);
  if (bound === null)
    return {
      status: 'mismatch',
      keyId,
      publicKey,
      reason: `${label}'s signature does not bind a ggen package (trusted comment: '${parsed.trustedComment}')`,
    };
  const wrong = (['name', 'version', 'integrity'] as const).filter((field) => bound[field] !== options.binding[field]);
  if (wrong.length > 0) {
    return {
      status: 'mismatch',
      keyId,
      publicKey,
      reason: `${label}'s signature is for ${bound.name}@${bound.version} (${wrong.map((field) => `${field} ${bound[field]}`).join(', ')})`,
    };
  }
  return { status: 'verified', keyId, publicKey, reason: `${label} signed by ${keyId}` };
}

const CODES: Record<
  Exclude<VerificationStatus, 'verified'>,
  | 'GGEN_E_SIGNATURE_MISSING'
  | 'GGEN_E_SIGNATURE_MALFORMED'
  | 'GGEN_E_SIGNATURE_UNTRUSTED'
  | 'GGEN_E_SIGNATURE_REVOKED'
  | 'GGEN_E_SIGNATURE_INVALID'
  | 'GGEN_E_SIGNATURE_MISMATCH'
> = {
  missing: 'GGEN_E_SIGNATURE_MISSING',
  malformed: 'GGEN_E_SIGNATURE_MALFORMED',
  untrusted: 'GGEN_E_SIGNATURE_UNTRUSTED',
  revoked: 'GGEN_E_SIGNATURE_REVOKED',
  invalid: 'GGEN_E_SIGNATURE_INVALID',
  mismatch: 'GGEN_E_SIGNATURE_MISMATCH',
};

const HINTS: Record<Exclude<VerificationStatus, 'verified'>, string> = {
  missing:
    'The publisher did not sign this version. Install without --verify-signature (and require_signatures: false) only if you trust the registry.',
  malformed: 'The .minisig file is damaged or truncated; ask the publisher to publish the signature again.',
  untrusted:
    "Add the publisher's public key to marketplace.trusted_keys (or the trust file) after checking it out of band.",
  revoked:
    'An owner withdrew this key (lost or compromised); ask the owners to publish a new version signed with a current key.',
  invalid:
    'Do not install this package: its archive or signature was changed after signing. Report it to the registry.',
  mismatch: 'Do not install this package: the registry serves a signature made for another package or version.',
};

/** The coded error for a result that is not `verified`, or the signature info when it is. */
export function requireVerified(result: VerificationResult): SignatureInfo {
  if (result.status === 'verified')
    return { keyId: result.keyId ?? '', ...(result.publicKey === undefined ? {} : { publicKey: result.publicKey }) };
  throw new MarketplaceError(CODES[result.status], result.reason, {
    hint: HINTS[result.status],
    details: { status: result.status, ...(result.keyId === undefined ? {} : { keyId: result.keyId }) },
  });
}
