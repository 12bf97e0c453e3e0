import {
  MarketplaceError,
  parsePackageSpec,
  safeText,
  type ArchiveSigner,
  type LifecycleChange,
} from '@ggen/marketplace-core';
import { changeRegistryPackage, LIFECYCLE_COMMAND, type LifecycleResult } from '@ggen/domain-adapters';
import type { CliContext } from '../cli-context.js';
import { defineCommand, defineGroup, table } from '../command-spec.js';

/** One change through the shared implementation (changeRegistryPackage), to a directory or a registry server. */
async function changePackage(
  context: CliContext,
  name: string,
  change: LifecycleChange,
  keyPath: string | undefined,
): Promise<LifecycleResult> {
  const registry = context.writableV2Registry(LIFECYCLE_COMMAND[change.action], { server: true });
  let signer: ArchiveSigner | undefined;
  if (keyPath !== undefined) {
    if (context.features.createSigner === undefined)
      throw new MarketplaceError('GGEN_E_BACKEND_UNAVAILABLE', `This build (${context.features.name}) cannot sign`);
    signer = await context.features.createSigner(context, keyPath);
  }
  const token = context.registryToken(registry);
  return changeRegistryPackage({
    registry,
    name,
    change,
    ...(signer === undefined ? {} : { signer }),
    ...(token === undefined ? {} : { token }),
  });
}

const keyOption = {
  type: 'string',
  describe: 'an owner’s secret key: required once the package is owned (it signs the change)',
} as const;

function exactSpec(spec: string, what: string): { name: string; version: string } {
  const { name, range } = parsePackageSpec(spec);
  if (range === undefined || !/^\d+\.\d+\.\d+(?:[-+].*)?$/.test(range)) {
    throw new MarketplaceError('GGEN_E_USAGE', `${what} needs an exact version: '${safeText(spec)}'`, {
      hint: `e.g. ggen marketplace ${what} ${name}@1.0.0`,
    });
  }
  return { name, version: range };
}

const summary = (result: LifecycleResult, verb: string): string =>
  `${verb} ${result.changed.join(', ')}${result.message === undefined || result.action === 'yank' ? '' : `: ${result.message}`}\nwritten to ${result.formats.join(' and ')} in ${result.registry}${result.signedBy === undefined ? '' : ` (signed by ${result.signedBy})`}`;

export const yankCommand = defineCommand({
  command: 'yank <spec>',
  describe:
    'Yank a published version: never chosen for a range again, still installable when named exactly or locked (--undo to restore)',
  options: {
    undo: { type: 'boolean', default: false, describe: 'restore a yanked version' },
    key: keyOption,
  },
  builder: (yargs) =>
    yargs
      .positional('spec', { type: 'string', demandOption: true, describe: 'name@version' })
      .example('$0 marketplace yank hello@1.0.1 --registry ./registry', '')
      .example('$0 marketplace yank hello@1.0.1 --undo --registry ./registry', ''),
  run: async (context, args) => {
    const { name, version } = exactSpec(args.spec, 'yank');
    const result = await changePackage(context, name, { action: 'yank', version, undo: args.undo }, args.key);
    return args.undo ? { ...result, message: 'undo' } : result;
  },
  render: (result) => summary(result, result.message === 'undo' ? 'restored' : 'yanked'),
});

export const deprecateCommand = defineCommand({
  command: 'deprecate <spec> <message>',
  describe:
    'Deprecate every version of a package, or those in a range, with a message shown on install and info ("" lifts it)',
  options: {
    key: keyOption,
  },
  builder: (yargs) =>
    yargs
      .positional('spec', { type: 'string', demandOption: true, describe: 'name or name@range' })
      .positional('message', { type: 'string', demandOption: true, describe: 'what users should do instead' })
      .example(
        '$0 marketplace deprecate hello@"<2" "use hello 2: it fixes the template paths" --registry ./registry',
        '',
      ),
  run: async (context, args) => {
    const { name, range } = parsePackageSpec(args.spec);
    const message = args.message.trim();
    const result = await changePackage(context, name, { action: 'deprecate', range: range ?? '*', message }, args.key);
    return { ...result, ...(message === '' ? {} : { message }) };
  },
  render: (result) => summary(result, result.message === undefined ? 'no longer deprecated:' : 'deprecated'),
});

export const distTagAddCommand = defineCommand({
  command: 'add <spec> <tag>',
  describe: 'Point a dist-tag (beta, next, latest) at a version; name@tag then installs it',
  options: {
    key: keyOption,
  },
  builder: (yargs) =>
    yargs
      .positional('spec', { type: 'string', demandOption: true, describe: 'name@version' })
      .positional('tag', { type: 'string', demandOption: true })
      .example('$0 marketplace dist-tag add hello@2.0.0-rc.1 next --registry ./registry', ''),
  run: async (context, args) => {
    const { name, version } = exactSpec(args.spec, 'dist-tag add');
    return changePackage(context, name, { action: 'dist-tag-add', version, tag: args.tag }, args.key);
  },
  render: (result) => summary(result, result.package),
});

export const distTagRmCommand = defineCommand({
  command: 'rm <name> <tag>',
  describe: 'Remove a dist-tag (latest cannot be removed, only moved)',
  options: {
    key: keyOption,
  },
  builder: (yargs) =>
    yargs
      .positional('name', { type: 'string', demandOption: true })
      .positional('tag', { type: 'string', demandOption: true })
      .example('$0 marketplace dist-tag rm hello next --registry ./registry', ''),
  run: async (context, args) =>
    changePackage(context, parsePackageSpec(args.name).name, { action: 'dist-tag-rm', tag: args.tag }, args.key),
  render: (result) => summary(result, result.package),
});

export const distTagLsCommand = defineCommand({
  command: 'ls <name>',
  describe: 'List the dist-tags of a package',
  builder: (yargs) =>
    yargs.positional('name', { type: 'string', demandOption: true }).example('$0 marketplace dist-tag ls hello', ''),
  run: async (context, args): Promise<{ package: string; distTags: Record<string, string> }> => {
    const name = parsePackageSpec(args.name).name;
    const details = await context.backend().getPackage(name);
    if (details === null)
      throw new MarketplaceError('GGEN_E_PACKAGE_NOT_FOUND', `Package '${safeText(name)}' not found`, {
        hint: 'Check the name with ggen marketplace search.',
        details: { package: name },
      });
    return { package: name, distTags: details.distTags ?? { latest: details.version } };
  },
  render: ({ distTags }) => table(Object.entries(distTags).map(([tag, version]) => [`${tag}:`, version])),
});

export const distTagGroup = defineGroup({
  group: 'dist-tag',
  describe: 'Dist-tags (latest, beta, next): name@tag installs the tagged version',
  subcommands: [distTagAddCommand, distTagRmCommand, distTagLsCommand],
});
export const lifecycleCommands = [yankCommand, deprecateCommand, distTagGroup];
