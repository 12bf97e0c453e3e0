import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  fromFsError,
  isHttpLocation,
  MarketplaceError,
  monotonicMs,
  withFileLock,
  writeFileAtomic,
  type FetchOptions,
} from '@ggen/marketplace-core';
import { CATALOG_FILE, fetchCatalogChunks } from '../catalog-file.js';
import { LineList } from '../sorted-strings.js';
import type { QueryCache } from './query-cache.js';
import { shardCatalog, type ShardIndex } from './shard-catalog.js';

const CURRENT = 'current.json';

/**
 * The local persisted v2 store: a registry's catalog cut into shards, so that a command loads
 * into oxigraph only what it needs. One directory per registry, one subdirectory per catalog
 * version, and `current.json` (written atomically) naming the one in use.
 */
export interface LocalStoreFiles {
  dir: string;
  index: StoreIndex;
}

/**
 * A store's index as a command reads it, from files it need not parse: the sorted package and
 * token lists as lines (packages.txt, tokens.txt), their shards' ranges as doubles (ranges.bin),
 * the dependency lists (depends.json) read when first asked for; index.json says how many of
 * each there are, instead of one index.json holding it all that every search would parse whole.
 */
export interface StoreIndex {
  triples: number;
  packages: LineList;
  tokens: LineList;
  /** Four per package: see ShardIndex.packageRanges. */
  packageRanges: Float64Array;
  /** Two per token: offset and length in postings.nq. */
  tokenRanges: Float64Array;
  /** Package id -> the package ids its versions depend on; throws GGEN_E_INDEX_INVALID when the file is damaged. */
  dependsOn(): Record<string, number[]>;
}

interface IndexFile {
  format: number;
  digest: string;
  triples: number;
  packages: number;
  tokens: number;
}

/** The layout of the shards; a store of another format is rebuilt. */
const FORMAT = 3;

interface Current {
  format: number;
  registry: string;
  /** Where the shards of the current catalog are (a subdirectory). */
  version: string;
  digest: string;
  /** stat of a file registry's catalog.nq when it was synced: unchanged stat, nothing to do. */
  stat?: string;
  syncedAt: string;
  packages: number;
  tokens: number;
  triples: number;
}

export type SyncEvent =
  | { type: 'fetched'; bytes: number; lines: number }
  | { type: 'sharding'; triples: number }
  | { type: 'written'; packages: number };

export interface SyncResult {
  status: 'created' | 'updated' | 'unchanged';
  registry: string;
  store: string;
  digest: string;
  packages: number;
  tokens: number;
  triples: number;
  ms: number;
}

export function localStoreDir(storeRoot: string, registry: string): string {
  const key = isHttpLocation(registry) ? registry : resolve(registry);
  // SHA-256 in JavaScript: a short key, and node:crypto stays unloaded for a search.
  return join(storeRoot, bytesToHex(sha256(utf8ToBytes(key))).slice(0, 16));
}

/**
 * What tells, without reading it, that a file registry's catalog is unchanged: size, mtime,
 * inode and ctime (which no one can set back, unlike mtime).
 */
function catalogStat(registry: string): { key: string; ctimeMs: number } | undefined {
  if (isHttpLocation(registry)) return undefined;
  try {
    const stat = statSync(join(registry, CATALOG_FILE));
    return { key: `${stat.size}:${stat.mtimeMs}:${stat.ino}:${stat.ctimeMs}`, ctimeMs: stat.ctimeMs };
  } catch {
    return undefined;
  }
}

/**
 * The stat key, when it can vouch for the store synced at `syncedAt`: a catalog whose ctime is
 * within the racy window of that sync may have changed in the same tick as its read (git's
 * "racily clean" entries), so its stat proves nothing and its content hash decides.
 */
function trustedStat(
  stat: { key: string; ctimeMs: number } | undefined,
  syncedAt: string | undefined,
): string | undefined {
  if (stat === undefined || (syncedAt !== undefined && stat.ctimeMs >= Date.parse(syncedAt) - RACY_WINDOW_MS))
    return undefined;
  return stat.key;
}

const RACY_WINDOW_MS = 2_000;

function readCurrent(dir: string): Current | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, CURRENT), 'utf8')) as Current;
  } catch {
    return undefined;
  }
}

/**
 * Brings the local store of a registry up to date: fetches catalog.nq, and only when its
 * sha256 differs from the synced one cuts and writes new shards. A file registry whose
 * catalog.nq has the same size, mtime and inode is not even read.
 */
export async function syncLocalStore(
  options: FetchOptions & {
    registry: string;
    storeRoot: string;
    force?: boolean;
    onEvent?: (event: SyncEvent) => void;
  },
): Promise<SyncResult> {
  const dir = localStoreDir(options.storeRoot, options.registry);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw fromFsError(error, 'creating', dir);
  }
  // One syncer at a time; a second one then finds the store up to date.
  return withFileLock(join(dir, '.sync.lock'), () => syncLocked(dir, options));
}

/** Versions no longer current are kept this long: a command that opened one may still read it. */
const KEEP_OLD_VERSIONS_MS = 10 * 60_000;

async function syncLocked(
  dir: string,
  options: FetchOptions & { registry: string; force?: boolean; onEvent?: (event: SyncEvent) => void },
): Promise<SyncResult> {
  const started = monotonicMs();
  const current = readCurrent(dir);
  const statNow = catalogStat(options.registry);
  const stat = statNow?.key;
  const trusted = trustedStat(statNow, current?.syncedAt);
  const result = (status: SyncResult['status'], entry: Current): SyncResult => ({
    status,
    registry: options.registry,
    store: dir,
    digest: entry.digest,
    packages: entry.packages,
    tokens: entry.tokens,
    triples: entry.triples,
    ms: Math.round(monotonicMs() - started),
  });
  const usable = current?.format === FORMAT && existsSync(join(dir, current.version, 'index.json'));
  if (!options.force && usable && trusted !== undefined && current.stat === trusted)
    return result('unchanged', current);

  // In line-aligned chunks: a 100k-package catalog is more than one JavaScript string can hold.
  const { location, chunks, bytes, lines, digest } = await fetchCatalogChunks(options.registry, options);
  options.onEvent?.({ type: 'fetched', bytes, lines });
  if (!options.force && usable && current.digest === digest) {
    const refreshed = { ...current, ...(stat === undefined ? {} : { stat }), syncedAt: new Date().toISOString() };
    await writeCurrent(dir, refreshed);
    return result('unchanged', refreshed);
  }

  let shards;
  try {
    shards = shardCatalog(chunks, (triples) => options.onEvent?.({ type: 'sharding', triples }));
  } catch (cause) {
    throw new MarketplaceError(
      'GGEN_E_INDEX_INVALID',
      `The v2 catalog ${location} is unusable: ${(cause as Error).message}`,
      {
        hint: 'Nothing was replaced: the last good local copy stays. Regenerate the catalog with registry migrate (or publish to it), or restore it.',
        cause,
      },
    );
  }
  const version = `${digest.slice(0, 16)}-${process.pid}-${Date.now()}`;
  const target = join(dir, version);
  const { index } = shards;
  try {
    await mkdir(target, { recursive: true });
    await writeFile(join(target, 'packages.nq'), shards.packages);
    await writeFile(join(target, 'postings.nq'), shards.postings);
    await writeFile(join(target, 'filters.json'), JSON.stringify(shards.filters));
    await writeIndex(target, index, digest);
  } catch (error) {
    await rm(target, { recursive: true, force: true });
    throw fromFsError(error, 'writing the local store', target);
  }
  const entry: Current = {
    format: FORMAT,
    registry: options.registry,
    version,
    digest,
    ...(stat === undefined ? {} : { stat }),
    syncedAt: new Date().toISOString(),
    packages: index.packages.length,
    tokens: index.tokens.length,
    triples: index.triples,
  };
  await writeCurrent(dir, entry);
  options.onEvent?.({ type: 'written', packages: entry.packages });
  for (const name of await readdir(dir)) {
    if (name === version || name === CURRENT || name.startsWith('.')) continue;
    const old = join(dir, name);
    if (Date.now() - statSync(old).mtimeMs > KEEP_OLD_VERSIONS_MS)
      await rm(old, { recursive: true, force: true }).catch(() => undefined);
  }
  return result(current === undefined ? 'created' : 'updated', entry);
}

/** The index's files (StoreIndex); index.json last, atomically: a version directory with one is whole. */
async function writeIndex(target: string, index: ShardIndex, digest: string): Promise<void> {
  await writeFile(join(target, 'packages.txt'), LineList.textOf(index.packages));
  await writeFile(join(target, 'tokens.txt'), LineList.textOf(index.tokens));
  const ranges = [...index.packageRanges, ...index.tokenRanges];
  const bytes = Buffer.allocUnsafe(ranges.length * 8);
  for (const [at, value] of ranges.entries()) bytes.writeDoubleLE(value, at * 8);
  await writeFile(join(target, 'ranges.bin'), bytes);
  await writeFile(join(target, 'depends.json'), JSON.stringify(index.dependsOn));
  const file: IndexFile = {
    format: FORMAT,
    digest,
    triples: index.triples,
    packages: index.packages.length,
    tokens: index.tokens.length,
  };
  await writeFileAtomic(join(target, 'index.json'), JSON.stringify(file));
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reads a version directory's index; throws when a file is missing or does not fit the others. */
function readIndex(versionDir: string): StoreIndex {
  const file = JSON.parse(readFileSync(join(versionDir, 'index.json'), 'utf8')) as IndexFile;
  const { packages: packageCount, tokens: tokenCount } = file;
  if (
    file.format !== FORMAT ||
    !Number.isSafeInteger(packageCount) ||
    !Number.isSafeInteger(tokenCount) ||
    packageCount < 0 ||
    tokenCount < 0
  )
    throw new Error('index.json is not this format');
  const packages = new LineList(readFileSync(join(versionDir, 'packages.txt'), 'utf8'), packageCount);
  const tokens = new LineList(readFileSync(join(versionDir, 'tokens.txt'), 'utf8'), tokenCount);
  const count = packageCount * 4 + tokenCount * 2;
  const bytes = readFileSync(join(versionDir, 'ranges.bin'));
  if (bytes.length !== count * 8) throw new Error(`ranges.bin holds ${bytes.length} bytes, not ${count * 8}`);
  // A view of the bytes read where they are doubles as this machine lays them out, else a copy.
  const ranges =
    LITTLE_ENDIAN && bytes.byteOffset % 8 === 0
      ? new Float64Array(bytes.buffer, bytes.byteOffset, count)
      : Float64Array.from({ length: count }, (_, at) => bytes.readDoubleLE(at * 8));
  let dependsOn: Record<string, number[]> | undefined;
  return {
    triples: file.triples,
    packages,
    tokens,
    packageRanges: ranges.subarray(0, packageCount * 4),
    tokenRanges: ranges.subarray(packageCount * 4),
    dependsOn: () => {
      try {
        dependsOn ??= JSON.parse(readFileSync(join(versionDir, 'depends.json'), 'utf8')) as Record<string, number[]>;
      } catch (cause) {
        throw new MarketplaceError(
          'GGEN_E_INDEX_INVALID',
          `The local v2 store ${versionDir} is damaged: its depends.json cannot be read`,
          {
            hint: 'Run ggen marketplace sync --force to rebuild it from the registry.',
            cause,
          },
        );
      }
      return dependsOn;
    },
  };
}

async function writeCurrent(dir: string, entry: Current): Promise<void> {
  try {
    await writeFileAtomic(join(dir, CURRENT), JSON.stringify(entry, null, 2));
  } catch (error) {
    throw fromFsError(error, 'writing', join(dir, CURRENT));
  }
}

/**
 * The synced store of a registry, when there is one that matches it. A file registry whose
 * catalog changed (or that was never synced) is synced first; an http(s) registry is used as
 * last synced (`ggen marketplace sync` refreshes it), or not at all before its first sync.
 */
export async function openLocalStore(
  options: FetchOptions & { registry: string; storeRoot: string; cache?: QueryCache },
): Promise<LocalStoreFiles | undefined> {
  const dir = localStoreDir(options.storeRoot, options.registry);
  let current = readCurrent(dir);
  if (
    !isHttpLocation(options.registry) &&
    (current?.format !== FORMAT || current.stat !== trustedStat(catalogStat(options.registry), current.syncedAt))
  ) {
    await syncLocalStore(options);
    current = readCurrent(dir);
  }
  if (current?.format !== FORMAT) return undefined;
  const versionDir = join(dir, current.version);
  const retainedFiles = options.cache?.store(versionDir);
  if (retainedFiles !== undefined) return retainedFiles;
  try {
    // Read in synchronous calls: the command waits for them either way, and a read through the
    // thread pool in chunks costs it more.
    const files: LocalStoreFiles = { dir: versionDir, index: readIndex(versionDir) };
    options.cache?.keepStore(files);
    return files;
  } catch {
    return undefined;
  }
}
