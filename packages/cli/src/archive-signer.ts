import { resolve } from 'node:path';
import type { ArchiveSigner } from '@ggen/marketplace-core';
import {
  formatKeyId,
  publicKeyLine,
  readSecretKeyFile,
  secretKeyWarning,
  signMessage,
  signPackageArchive,
} from '@ggen/marketplace-v2';
import type { CliContext } from './cli-context.js';
import { readPassword } from './read-password.js';

/** A signer for publish and sign: the key is read and decrypted once, before anything is packed. */
export async function createArchiveSigner(context: CliContext, keyPath: string): Promise<ArchiveSigner> {
  const path = resolve(context.io.cwd, keyPath);
  const warning = await secretKeyWarning(path);
  if (warning !== undefined) context.notice(warning);
  const { key } = await readSecretKeyFile(path, () => readPassword(context, 'Key password: '));
  return {
    keyId: formatKeyId(key.keyId),
    publicKey: publicKeyLine(key),
    sign: (archive, binding) => signPackageArchive(key, archive, binding),
    signStatement: (statement) => signMessage(key, Buffer.from(statement, 'utf8'), statement, 'ggen key statement'),
  };
}
