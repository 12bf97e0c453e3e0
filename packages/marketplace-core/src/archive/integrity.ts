import { nodeCrypto } from '../node-crypto.js';
import { MarketplaceError } from '../errors.js';

/** SRI string (`sha512-<base64>`) of the archive bytes. */
export function computeIntegrity(bytes: Uint8Array): string {
  return `sha512-${nodeCrypto().createHash('sha512').update(bytes).digest('base64')}`;
}

/** sha256 hex, the `checksum` field of ggen's v1 index. */
export function computeChecksum(bytes: Uint8Array): string {
  return nodeCrypto().createHash('sha256').update(bytes).digest('hex');
}

export interface ExpectedDigest {
  integrity?: string;
  checksum?: string;
}

/**
 * Throws unless the bytes match every digest given. At least one digest must be given:
 * an archive we cannot check is never installed.
 */
export function verifyIntegrity(bytes: Uint8Array, expected: ExpectedDigest, label: string): void {
  if (expected.integrity === undefined && expected.checksum === undefined) {
    throw new MarketplaceError('GGEN_E_INTEGRITY_MISSING', `The registry gives no checksum or integrity for ${label}`, {
      hint: 'Ask the registry owner to republish with an integrity field; archives are never installed unchecked.',
      details: { package: label },
    });
  }
  if (expected.integrity !== undefined) {
    const [algorithm] = expected.integrity.split('-', 1);
    if (algorithm !== 'sha512' && algorithm !== 'sha384' && algorithm !== 'sha256') {
      throw new MarketplaceError(
        'GGEN_E_INTEGRITY_MISMATCH',
        `Unsupported integrity algorithm '${String(algorithm)}' for ${label}`,
        {
          hint: 'Supported: sha512, sha384, sha256 (SRI format).',
          details: { package: label },
        },
      );
    }
    const actual = `${algorithm}-${nodeCrypto().createHash(algorithm).update(bytes).digest('base64')}`;
    if (actual !== expected.integrity) throw mismatch(label, expected.integrity, actual);
  }
  if (expected.checksum !== undefined) {
    const actual = computeChecksum(bytes);
    if (actual !== expected.checksum.toLowerCase()) throw mismatch(label, expected.checksum, actual);
  }
}

function mismatch(label: string, expected: string, actual: string): MarketplaceError {
  return new MarketplaceError('GGEN_E_INTEGRITY_MISMATCH', `Archive of ${label} does not match its recorded digest`, {
    hint: 'The archive was changed or corrupted after publishing; nothing was installed. Report it to the registry owner.',
    details: { package: label, expected, actual },
  });
}
