import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fromFsError, isHttpLocation, MarketplaceError, monotonicMs, withFileLock, writeFileAtomic, type FetchOptions } from '@ggen/marketplace-core';
import { CATALOG_FILE, fetchCatalogChunks } from '../catalog-file.js';
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
  index: ShardIndex;
}

/** The layout of the shards; a store of another format is rebuilt. */
const FORMAT = 2;

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

export type SyncEvent = { type: 'fetched'; bytes: number; lines: number } | { type: 'sharding'; triples: number } | { type: 'written'; packages: number };

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
function trustedStat(stat: { key: string; ctimeMs: number } | undefined, syncedAt: string | undefined): string | undefined {
  if (stat === undefined || (syncedAt !== undefined && stat.ctimeMs >= Date.parse(syncedAt) - RACY_WINDOW_MS)) return undefined;
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
export async function syncLocalStore(options: FetchOptions & { registry: string; storeRoot: string; force?: boolean; onEvent?: (event: SyncEvent) => void }): Promise<SyncResult> {
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

async function syncLocked(dir: string, options: FetchOptions & { registry: string; force?: boolean; onEvent?: (event: SyncEvent) => void }): Promise<SyncResult> {
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
  if (!options.force && usable && trusted !== undefined && current.stat === trusted) return result('unchanged', current);

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
    throw new MarketplaceError('GGEN_E_INDEX_INVALID', `The v2 catalog ${location} is unusable: ${(cause as Error).message}`, {
      hint: 'Nothing was replaced: the last good local copy stays. Regenerate the catalog with registry migrate (or publish to it), or restore it.',
      cause,
    });
  }
  const version = `${digest.slice(0, 16)}-${process.pid}-${Date.now()}`;
  const target = join(dir, version);
  const index: ShardIndex = { ...shards.index, digest };
  try {
    await mkdir(target, { recursive: true });
    await writeFile(join(target, 'packages.nq'), shards.packages);
    await writeFile(join(target, 'postings.nq'), shards.postings);
    await writeFile(join(target, 'filters.json'), JSON.stringify(shards.filters));
    await writeFileAtomic(join(target, 'index.json'), JSON.stringify(index));
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
    if (Date.now() - statSync(old).mtimeMs > KEEP_OLD_VERSIONS_MS) await rm(old, { recursive: true, force: true }).catch(() => undefined);
  }
  return result(current === undefined ? 'created' : 'updated', entry);
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
export async function openLocalStore(options: FetchOptions & { registry: string; storeRoot: string; cache?: QueryCache }): Promise<LocalStoreFiles | undefined> {
  const dir = localStoreDir(options.storeRoot, options.registry);
  let current = readCurrent(dir);
  if (!isHttpLocation(options.registry) && (current?.format !== FORMAT || current.stat !== trustedStat(catalogStat(options.registry), current.syncedAt))) {
    await syncLocalStore(options);
    current = readCurrent(dir);
  }
  if (current?.format !== FORMAT) return undefined;
  const versionDir = join(dir, current.version);
  const retainedFiles = options.cache?.store(versionDir);
  if (retainedFiles !== undefined) return retainedFiles;
  try {
    // Read in one synchronous call: the command waits for it either way, and a read through the
    // thread pool in chunks costs it more (~2 ms of 1 MB at 10k packages).
    const index = JSON.parse(readFileSync(join(versionDir, 'index.json'), 'utf8')) as ShardIndex;
    const files: LocalStoreFiles = { dir: versionDir, index };
    options.cache?.keepStore(files);
    return files;
  } catch {
    return undefined;
  }
}
