import { join } from 'node:path';
import { ArchiveCache, type CachedArchive } from '@ggen/marketplace-core';
import type { CliContext } from '../cli-context.js';
import { defineCommand, defineGroup, table } from '../command-spec.js';

/** The archive cache of this user: `<cache_dir>/archives`, shared by every project. */
const archiveCache = (context: CliContext): ArchiveCache =>
  new ArchiveCache(join(context.config().config.cache_dir, 'archives'));

const size = (bytes: number): string =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 ** 2
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

export const cacheLsCommand = defineCommand({
  command: 'ls',
  aliases: ['list'],
  describe: 'List the archives kept by integrity (what installs use before asking a registry)',
  builder: (yargs) => yargs.example('$0 marketplace cache ls --json', 'machine-readable'),
  run: (context): { dir: string; archives: CachedArchive[]; bytes: number } => {
    const cache = archiveCache(context);
    const archives = cache.list();
    return { dir: cache.dir, archives, bytes: archives.reduce((sum, entry) => sum + entry.bytes, 0) };
  },
  render: (result) =>
    result.archives.length === 0
      ? `The archive cache at ${result.dir} is empty.`
      : `${table([
          ['INTEGRITY', 'SIZE', 'STORED'],
          ...result.archives.map((entry) => [`${entry.integrity.slice(0, 27)}…`, size(entry.bytes), entry.stored]),
        ])}\n${result.archives.length} archive(s), ${size(result.bytes)} in ${result.dir}`,
});

export const cacheVerifyCommand = defineCommand({
  command: 'verify',
  describe: 'Check every kept archive against its integrity; damaged ones are removed (fetched again when needed)',
  builder: (yargs) => yargs,
  run: (context): { dir: string; checked: number; removed: CachedArchive[] } => {
    const cache = archiveCache(context);
    return { dir: cache.dir, ...cache.verify() };
  },
  render: (result) =>
    result.removed.length === 0
      ? `${result.checked} archive(s) checked in ${result.dir}: all match their integrity.`
      : [
          `${result.checked} archive(s) checked in ${result.dir}; ${result.removed.length} did not match their integrity and were removed:`,
          ...result.removed.map((entry) => `  ${entry.path}`),
          'The next install that needs them fetches them again.',
        ].join('\n'),
  // Damage found is worth a non-zero exit, as `npm cache verify` reports garbage.
  exitCode: (result) => (result.removed.length === 0 ? 0 : 1),
});

export const cacheCleanCommand = defineCommand({
  command: 'clean',
  describe: 'Remove every kept archive (installed packs are not touched)',
  builder: (yargs) => yargs,
  run: (context): { dir: string; removed: number } => {
    const cache = archiveCache(context);
    return { dir: cache.dir, removed: cache.clean() };
  },
  render: (result) => `Removed ${result.removed} archive(s) from ${result.dir}.`,
});

export const cacheGroup = defineGroup({
  group: 'cache',
  describe: 'The archive cache shared by all projects (ls, verify, clean)',
  subcommands: [cacheLsCommand, cacheVerifyCommand, cacheCleanCommand],
});
