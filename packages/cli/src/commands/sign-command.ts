import { dirname, join, resolve } from 'node:path';
import { fromFsError, preparePublish, writeFileAtomic } from '@ggen/marketplace-core';
import { defineCommand } from '../command-spec.js';
import { createArchiveSigner } from '../archive-signer.js';

export interface SignResult {
  name: string;
  version: string;
  archive: string;
  signature: string;
  integrity: string;
  keyId: string;
}

export const signCommand = defineCommand({
  command: 'sign',
  describe: "Pack a package's deterministic archive and write its .minisig",
  options: {
    package: { type: 'string', demandOption: true, describe: 'the gpack.yaml (or its directory)' },
    key: { type: 'string', demandOption: true, describe: 'secret key file' },
    'out-dir': { type: 'string', default: '.', describe: 'where the .tgz and .tgz.minisig go' },
  },
  builder: (yargs) =>
    yargs.example('$0 marketplace sign --package ./my-gpack/gpack.yaml --key ~/.ggen/keys/signing.key', ''),
  run: async (context, args): Promise<SignResult> => {
    const signer = await createArchiveSigner(context, args.key);
    const manifestPath = resolve(context.io.cwd, args.package);
    const dir = manifestPath.endsWith('.yaml') || manifestPath.endsWith('.toml') ? dirname(manifestPath) : manifestPath;
    const { manifest, packed } = await preparePublish(dir);
    const archive = join(resolve(context.io.cwd, args['out-dir']), `${manifest.name}-${manifest.version}.tgz`);
    const signature = `${archive}.minisig`;
    for (const [path, content] of [
      [archive, packed.bytes],
      [
        signature,
        signer.sign(packed.bytes, { name: manifest.name, version: manifest.version, integrity: packed.integrity }),
      ],
    ] as const) {
      try {
        await writeFileAtomic(path, content);
      } catch (error) {
        throw fromFsError(error, 'writing', path);
      }
    }
    return {
      name: manifest.name,
      version: manifest.version,
      archive,
      signature,
      integrity: packed.integrity,
      keyId: signer.keyId,
    };
  },
  render: (result) =>
    [
      `signed ${result.name}@${result.version} with key ${result.keyId}`,
      `archive:   ${result.archive}`,
      `signature: ${result.signature}`,
      `integrity: ${result.integrity}`,
    ].join('\n'),
});
