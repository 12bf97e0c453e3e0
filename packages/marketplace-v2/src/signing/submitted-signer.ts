import { MarketplaceError, type ArchiveSigner } from '@ggen/marketplace-core';
import { parseTrustedComment } from './package-signature.js';
import { checkSignature, formatKeyId, parsePublicKey, parseSignature, publicKeyLine } from './minisign-format.js';

/** What a client sends a registry server along with a change: its whole public key and what it signed with it. */
export interface SubmittedSignatures {
  /** The minisign public key line (RW...) or key file. */
  publicKey: string;
  /** The archive's `.minisig`, for a publish. */
  archive?: string;
  /** Signed statements the change may need (an owner claim, a lifecycle statement). */
  statements?: readonly string[];
}

/** How far a statement's timestamp may be from the server's clock. */
const STATEMENT_SKEW_SECONDS = 600;

const withoutTimestamp = (statement: string): string => statement.replace(/ timestamp=\d+$/, '');

/**
 * The signer a registry server hands the one publish and lifecycle code: it holds no secret key,
 * only what the client signed, and gives each signature back only after checking it verifies with
 * the whole public key sent and says exactly what the server was about to sign (the package,
 * version and integrity; the statement, its timestamp within ten minutes). Ownership is then
 * decided by the same code as a local publish, on that public key.
 */
export function submittedSigner(submitted: SubmittedSignatures, now = () => Date.now()): ArchiveSigner {
  const key = parsePublicKey(submitted.publicKey);
  const keyId = formatKeyId(key.keyId);
  const invalid = (what: string, reason: string): MarketplaceError =>
    new MarketplaceError('GGEN_E_SIGNATURE_INVALID', `The ${what} signature sent with key ${keyId} ${reason}`, {
      hint: 'Nothing was changed. Sign again with ggen marketplace publish --sign (or --key), with the key whose public half is sent.',
      details: { keyId },
    });
  return {
    keyId,
    publicKey: publicKeyLine(key),
    sign(archive, binding) {
      if (submitted.archive === undefined) throw invalid('archive', 'is missing');
      const parsed = parseSignature(submitted.archive);
      const check = checkSignature(parsed, archive, key);
      if (check !== 'verified') throw invalid('archive', `does not verify (${check})`);
      const bound = parseTrustedComment(parsed.trustedComment);
      const same =
        bound?.name === binding.name && bound.version === binding.version && bound.integrity === binding.integrity;
      if (!same)
        throw invalid('archive', `binds another package than ${binding.name}@${binding.version} with this integrity`);
      return submitted.archive;
    },
    signStatement(statement) {
      const wanted = withoutTimestamp(statement);
      for (const text of submitted.statements ?? []) {
        const parsed = parseSignature(text);
        if (withoutTimestamp(parsed.trustedComment) !== wanted) continue;
        const check = checkSignature(parsed, Buffer.from(parsed.trustedComment, 'utf8'), key);
        if (check !== 'verified') throw invalid('statement', `does not verify (${check})`);
        const timestamp = Number(/ timestamp=(\d+)$/.exec(parsed.trustedComment)?.[1] ?? Number.NaN);
        if (!(Math.abs(timestamp - now() / 1000) <= STATEMENT_SKEW_SECONDS))
          throw invalid('statement', 'is dated more than ten minutes from the server’s clock');
        return text;
      }
      throw invalid('statement', `is missing: the change needs '${wanted}' signed`);
    },
  };
}
