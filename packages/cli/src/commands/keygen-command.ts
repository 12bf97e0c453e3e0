import { resolve } from 'node:path';
import { formatKeyId, generateKeyFiles, publicKeyLine } from '@ggen/marketplace-v2';
import { defineCommand } from '../command-spec.js';
import { readPassword } from '../read-password.js';

export interface KeygenResult {
  secretKey: string;
  publicKeyFile: string;
  keyId: string;
  publicKey: string;
  encrypted: boolean;
}

export const keygenCommand = defineCommand({
  command: 'keygen',
  describe: 'Create an Ed25519 signing key pair in minisign format',
  options: {
    output: { type: 'string', demandOption: true, describe: 'secret key path; the public key goes beside it (.pub)' },
    password: { type: 'boolean', default: true, describe: 'encrypt the secret key (--no-password stores it in clear)' },
    force: { type: 'boolean', default: false, describe: 'replace an existing key' },
  },
  builder: (yargs) =>
    yargs
      .example('$0 marketplace keygen --output ~/.ggen/keys/signing.key', 'asks for a password')
      .example('GGEN_KEY_PASSWORD=... $0 marketplace keygen --output ci.key', 'in CI'),
  run: async (context, args): Promise<KeygenResult> => {
    const path = resolve(context.io.cwd, args.output);
    if (!args.password)
      context.notice(
        'warning: --no-password stores the secret key unencrypted; anyone who reads the file can sign as you.',
      );
    const password = args.password ? await readPassword(context, 'Password for the new key: ', true) : undefined;
    const generated = await generateKeyFiles({ path, password, force: args.force });
    return {
      secretKey: generated.secretKeyPath,
      publicKeyFile: generated.publicKeyPath,
      keyId: formatKeyId(generated.key.keyId),
      publicKey: publicKeyLine(generated.key),
      encrypted: generated.encrypted,
    };
  },
  render: (result) =>
    [
      `secret key: ${result.secretKey} (mode 0600, ${result.encrypted ? 'encrypted with scrypt' : 'NOT encrypted'})`,
      `public key: ${result.publicKeyFile}`,
      `key id:     ${result.keyId}`,
      '',
      'Users trust your packages by adding this line to marketplace.trusted_keys (or ~/.ggen/trusted-keys):',
      `  ${result.publicKey}`,
    ].join('\n'),
});
