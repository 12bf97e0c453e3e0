// An attacker's key: a fresh Ed25519 key that carries the key id of someone else's (anyone can
// make one; the id is public and chosen by the key's creator). Written as minisign writes an
// unencrypted secret key, so the CLI signs with it as with any key.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';

export interface ForgedKey {
  secretKeyPath: string;
  /** The forged key's public key line (RW...): the victim's id, another public key. */
  publicKey: string;
}

export function forgeKeyWithIdOf(victimPublicKey: string, secretKeyPath: string): ForgedKey {
  const keyId = Buffer.from(victimPublicKey.trim(), 'base64').subarray(2, 10);
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const publicKey = Buffer.from(jwk.x ?? '', 'base64url');
  // 'Ed', no KDF, 'B2', salt, limits, then key id, seed, public key and a zero checksum (minisign -W's form).
  const body = Buffer.concat([
    Buffer.from('Ed'),
    Buffer.from([0, 0]),
    Buffer.from('B2'),
    Buffer.alloc(32),
    Buffer.alloc(16),
    keyId,
    seed,
    publicKey,
    Buffer.alloc(32),
  ]);
  writeFileSync(secretKeyPath, `untrusted comment: minisign secret key\n${body.toString('base64')}\n`, { mode: 0o600 });
  return { secretKeyPath, publicKey: Buffer.concat([Buffer.from('Ed'), keyId, publicKey]).toString('base64') };
}
