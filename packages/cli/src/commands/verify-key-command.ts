import { resolve } from 'node:path';
import { formatKeyId, publicKeyLine, readSecretKeyFile } from '@ggen/marketplace-v2';
import { defineCommand } from '../command-spec.js';
import { readPassword } from '../read-password.js';

export const verifyKeyCommand = defineCommand({
  command: 'verify-key <path>',
  describe: 'Check a secret key: format, checksum and password; print its key id and public key',
  builder: (yargs) =>
    yargs
      .positional('path', { type: 'string', demandOption: true, describe: 'the secret key file' })
      .example('$0 marketplace verify-key ~/.ggen/keys/signing.key', ''),
  run: async (
    context,
    args,
  ): Promise<{ path: string; keyId: string; publicKey: string; encrypted: boolean; valid: true }> => {
    const path = resolve(context.io.cwd, args.path);
    const { key, encrypted } = await readSecretKeyFile(path, () => readPassword(context, 'Key password: '));
    return { path, keyId: formatKeyId(key.keyId), publicKey: publicKeyLine(key), encrypted, valid: true };
  },
  render: (result) =>
    [
      `${result.path}: valid ${result.encrypted ? 'encrypted' : 'unencrypted'} minisign secret key`,
      `key id:     ${result.keyId}`,
      `public key: ${result.publicKey}`,
    ].join('\n'),
});
