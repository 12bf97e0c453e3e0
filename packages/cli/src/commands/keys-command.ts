import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MarketplaceError, safeText, scopeName } from '@ggen/marketplace-core';
import {
  changeRegistryKeys,
  formatKeyId,
  isPublicKeyLine,
  loadTrustedKeys,
  parsePublicKey,
  publicKeyLine,
  V2Registry,
  type PublicKey,
} from '@ggen/marketplace-v2';
import type { CliContext } from '../cli-context.js';
import { defineCommand, defineGroup, table } from '../command-spec.js';
import { trustFilePath, v2Options } from '../remote-options.js';

interface KeyRow {
  keyId: string;
  publicKey: string;
  role: 'trusted' | 'owner' | 'revoked';
  source: string;
}

const row = (key: PublicKey, role: KeyRow['role'], source: string): KeyRow => ({
  keyId: formatKeyId(key.keyId),
  publicKey: publicKeyLine(key),
  role,
  source,
});

export const keysCommand = defineCommand({
  command: 'keys',
  describe: 'List trusted keys, and with --package the owner and revoked keys of a package (subcommands: add, revoke)',
  options: {
    package: {
      type: 'string',
      describe: 'also show this package’s owner and revoked keys (verified from its signed statements)',
    },
    scope: { type: 'string', describe: 'also show the owner and revoked keys of a scope (@acme)' },
  },
  builder: (yargs) =>
    yargs.example('$0 marketplace keys --package hello-world', '').example('$0 marketplace keys --scope @acme', ''),
  run: async (context, args): Promise<{ keys: KeyRow[] }> => {
    const { config } = context.config();
    const rows: KeyRow[] = [];
    for (const entry of config.trusted_keys)
      for (const key of await loadTrustedKeys([entry], undefined))
        rows.push(row(key, 'trusted', `config (${context.config().sources.trusted_keys.origin})`));
    for (const key of await loadTrustedKeys([], trustFilePath(config)))
      rows.push(row(key, 'trusted', trustFilePath(config)));
    for (const subject of [args.package, args.scope === undefined ? undefined : scopeArgument(args.scope)]) {
      if (subject === undefined) continue;
      const chain = await new V2Registry(v2Options(config, context.v2Registry(), context.cache)).ownerChain(subject);
      if (chain === undefined) context.notice(`note: ${subject} has no owner keys (never published signed)`);
      for (const key of chain?.owners ?? []) rows.push(row(key, 'owner', subject));
      for (const key of chain?.revoked ?? []) rows.push(row(key, 'revoked', subject));
    }
    // Two different keys with one id: the id is a label its creator picks, so say so plainly.
    const byId = new Map<string, Set<string>>();
    for (const entry of rows) byId.set(entry.keyId, (byId.get(entry.keyId) ?? new Set()).add(entry.publicKey));
    for (const [keyId, keys] of byId)
      if (keys.size > 1)
        context.notice(
          `warning: ${keys.size} different keys carry the id ${keyId}; ggen tells them apart by their whole public key, and so should you`,
        );
    return { keys: rows };
  },
  render: ({ keys }) => {
    if (keys.length === 0)
      return 'No trusted keys. Add public keys to marketplace.trusted_keys or ~/.ggen/trusted-keys.';
    return table([
      ['ROLE', 'KEY ID', 'PUBLIC KEY', 'SOURCE'],
      ...keys.map((entry) => [entry.role, entry.keyId, entry.publicKey, entry.source]),
    ]);
  },
});

/** `--scope acme` or `--scope @acme`, checked by the one name rule's scope part. */
function scopeArgument(text: string): string {
  const scope = scopeName(text.trim().toLowerCase());
  if (scope === undefined)
    throw new MarketplaceError('GGEN_E_USAGE', `'${safeText(text)}' is not a scope`, {
      hint: 'A scope is @ and a lowercase name: --scope @acme.',
    });
  return scope;
}

async function publicKeyArgument(context: CliContext, value: string): Promise<string> {
  const text = isPublicKeyLine(value)
    ? value.trim()
    : await readFile(resolve(context.io.cwd, value), 'utf8').catch(() => value);
  return publicKeyLine(parsePublicKey(text));
}

function keyChangeCommand(action: 'add' | 'revoke') {
  return defineCommand({
    command: action,
    describe:
      action === 'add'
        ? 'An owner adds a key to a package or a scope (rotation), by a signed statement'
        : 'An owner revokes a key of a package or a scope, by a signed statement',
    options: {
      package: { type: 'string', describe: 'the package whose owners change' },
      scope: { type: 'string', describe: 'the scope (@acme) whose owners change, instead of a package' },
      'public-key': {
        type: 'string',
        demandOption: true,
        describe: `the key to ${action}: its RW... line or its .pub file`,
      },
      key: { type: 'string', demandOption: true, describe: 'an owner’s secret key, which signs the statement' },
    },
    builder: (yargs) =>
      yargs
        .example(
          `$0 marketplace keys ${action} --package hello --public-key new.pub --key old.key --registry ./registry`,
          '',
        )
        .example(
          `$0 marketplace keys ${action} --scope @acme --public-key new.pub --key old.key --registry ./registry`,
          '',
        ),
    run: async (context, args) => {
      if ((args.package === undefined) === (args.scope === undefined)) {
        throw new MarketplaceError('GGEN_E_USAGE', `keys ${action} needs one of --package <name> or --scope <@scope>`, {
          hint: `ggen marketplace keys ${action} --package hello ... or --scope @acme ...`,
        });
      }
      const registry = context.writableV2Registry(`keys ${action}`, { server: true });
      if (context.features.createSigner === undefined)
        throw new MarketplaceError('GGEN_E_BACKEND_UNAVAILABLE', `This build (${context.features.name}) cannot sign`);
      const key = await publicKeyArgument(context, args['public-key']);
      const signer = await context.features.createSigner(context, args.key);
      const subject = args.scope === undefined ? (args.package ?? '') : scopeArgument(args.scope);
      const token = context.registryToken(registry);
      const chain = await changeRegistryKeys({
        registry,
        name: subject,
        action,
        key,
        signer,
        ...(token === undefined ? {} : { token }),
      });
      const ids = (lines: string[]): string[] => lines.map((line) => formatKeyId(parsePublicKey(line).keyId));
      return {
        package: subject,
        action,
        key: formatKeyId(parsePublicKey(key).keyId),
        signedBy: signer.keyId,
        owners: ids(chain.owners),
        revoked: ids(chain.revoked),
      };
    },
    render: (result) =>
      `${result.action === 'add' ? 'added' : 'revoked'} key ${result.key} for ${result.package} (statement signed by ${result.signedBy})\nowners: ${result.owners.join(', ')}${result.revoked.length > 0 ? `\nrevoked: ${result.revoked.join(', ')}` : ''}`,
  });
}

export const keysAddCommand = keyChangeCommand('add');
export const keysRevokeCommand = keyChangeCommand('revoke');

export const keysGroup = defineGroup({
  group: 'keys',
  describe: keysCommand.describe,
  base: keysCommand,
  subcommands: [keysAddCommand, keysRevokeCommand],
});
