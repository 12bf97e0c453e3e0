import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyLifecycleChange,
  MarketplaceError,
  parsePackageSpec,
  registryWriter,
  safeText,
  type ArchiveSigner,
  type CatalogPackage,
  type LifecycleChange,
} from '@ggen/marketplace-core';
import { changeV1Package } from '@ggen/marketplace-v1';
import {
  CATALOG_FILE,
  lifecycleSigner,
  readV2CatalogFile,
  recordLifecycleStatement,
  writeV2Catalog,
} from '@ggen/marketplace-v2';
import type { CliContext } from '../cli-context.js';
import { defineCommand, defineGroup, table } from '../command-spec.js';

interface LifecycleResult {
  package: string;
  action: LifecycleChange['action'];
  changed: string[];
  /** The registry files rewritten: index.json (v1) and/or catalog.nq (v2). */
  formats: string[];
  registry: string;
  signedBy?: string;
  message?: string;
}

/**
 * One change, written to both formats' metadata the registry directory holds (index.json for v1,
 * catalog.nq for v2) under the publish lock; `sync` then carries it to local stores. When the
 * package has owner keys, the change must be signed by one (--key).
 */
async function changePackage(
  context: CliContext,
  name: string,
  change: LifecycleChange,
  keyPath: string | undefined,
  statement: string,
): Promise<LifecycleResult> {
  const registry = context.writableV2Registry(COMMAND_OF[change.action]);
  let signer: ArchiveSigner | undefined;
  if (keyPath !== undefined) {
    if (context.features.createSigner === undefined)
      throw new MarketplaceError('GGEN_E_BACKEND_UNAVAILABLE', `This build (${context.features.name}) cannot sign`);
    signer = await context.features.createSigner(context, keyPath);
  }
  return registryWriter(registry, `run ${COMMAND_OF[change.action]} on`).locked(async () => {
    // Ownership first, then the change tried in each format (one that lacks the version or tag is
    // left as it is), and only then anything written: a refused change leaves both as they were.
    const owner = lifecycleSigner(registry, name, signer);
    const packages = existsSync(join(registry, CATALOG_FILE)) ? await readV2CatalogFile(registry) : [];
    const pkg = packages.find((entry) => entry.name === name);
    const apply = (target: CatalogPackage): string[] => applyLifecycleChange(target, change);
    const misses: MarketplaceError[] = [];
    const attempt = async (run: () => Promise<string[] | undefined>): Promise<string[] | undefined> => {
      try {
        return await run();
      } catch (error) {
        if (!(error instanceof MarketplaceError) || error.code !== 'GGEN_E_VERSION_NOT_FOUND') throw error;
        misses.push(error);
        return undefined;
      }
    };
    const v2Changed = pkg === undefined ? undefined : await attempt(() => Promise.resolve(apply(pkg)));
    const v1Changed = await attempt(() => changeV1Package(registry, name, apply, { dryRun: true }));
    const changed = v2Changed ?? v1Changed;
    if (changed === undefined && misses[0] !== undefined) throw misses[0];
    if (changed === undefined) {
      throw new MarketplaceError('GGEN_E_PACKAGE_NOT_FOUND', `Package '${safeText(name)}' is not in ${registry}`, {
        hint: 'Check the name, or pass --registry <the registry that has it>.',
        details: { package: name },
      });
    }
    // The signed statement first: clients follow it, not the catalog, once the package is owned,
    // so a change that is in the catalog is always one an owner signed.
    if (owner !== undefined) await recordLifecycleStatement(registry, name, owner, statement);
    const formats: string[] = [];
    if (v2Changed !== undefined) {
      await writeV2Catalog(registry, packages);
      formats.push(CATALOG_FILE);
    }
    if (v1Changed !== undefined) {
      await changeV1Package(registry, name, apply);
      formats.push('index.json');
    }
    return {
      package: name,
      action: change.action,
      changed,
      formats,
      registry,
      ...(owner === undefined ? {} : { signedBy: owner.keyId }),
    };
  });
}

const COMMAND_OF: Record<LifecycleChange['action'], string> = {
  yank: 'yank',
  deprecate: 'deprecate',
  'dist-tag-add': 'dist-tag add',
  'dist-tag-rm': 'dist-tag rm',
};

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
    const result = await changePackage(
      context,
      name,
      { action: 'yank', version, undo: args.undo },
      args.key,
      `action=${args.undo ? 'unyank' : 'yank'} version=${version}`,
    );
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
    const result = await changePackage(
      context,
      name,
      { action: 'deprecate', range: range ?? '*', message },
      args.key,
      `action=deprecate range=${JSON.stringify(range ?? '*')} message=${JSON.stringify(message)}`,
    );
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
    return changePackage(
      context,
      name,
      { action: 'dist-tag-add', version, tag: args.tag },
      args.key,
      `action=dist-tag-add tag=${args.tag} version=${version}`,
    );
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
    changePackage(
      context,
      parsePackageSpec(args.name).name,
      { action: 'dist-tag-rm', tag: args.tag },
      args.key,
      `action=dist-tag-rm tag=${args.tag}`,
    ),
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
