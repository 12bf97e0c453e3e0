import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  fromFsError,
  isHttpLocation,
  MarketplaceError,
  monotonicMs,
  nameSkeleton,
  RecentlyUsed,
  resolveLocation,
  withFileLock,
  writeFileAtomic,
  type FetchOptions,
} from '@ggen/marketplace-core';
import { CATALOG_FILE, catalogStat, fileStatKey } from '../catalog-file.js';
import { latestEntries, readJournal } from '../catalog-journal.js';
import { LineList } from '../sorted-strings.js';
import {
  cutCatalog,
  failureError,
  FORMAT,
  type CutFailure,
  type CutRequest,
  type CutResult,
  type IndexFile,
  type SyncEvent,
} from './catalog-cut.js';
import type { QueryCache } from './query-cache.js';
import { UnusableCatalog, type BrowseIndex } from './shard-catalog.js';

export type { SyncEvent } from './catalog-cut.js';

const CURRENT = 'current.json';

/**
 * The local persisted v2 store: a registry's catalog cut into shards, so that a command loads
 * into oxigraph only what it needs. One directory per registry, one subdirectory per catalog
 * version, and `current.json` (written atomically) naming the one in use.
 */
export interface LocalStoreFiles {
  dir: string;
  /** The version directory and its journal file: what a retained store is kept by. */
  key: string;
  index: StoreIndex;
  /** The registry journal's latest entries (N-Quads), put over the shards; '' when there is none. */
  journal: string;
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
  /** Browse orders and the newest releases (browse.json); throws GGEN_E_INDEX_INVALID when the file is damaged. */
  browse(): BrowseIndex;
  /**
   * Package ids by name skeleton (nameSkeleton), and by `@` + the skeleton of their scope: the
   * names a new name could be a look-alike of, made when first asked for.
   */
  lookAlikes(): Map<string, number[]>;
}

interface Current {
  format: number;
  registry: string;
  /** Where the shards of the current catalog are (a subdirectory). */
  version: string;
  digest: string;
  /** stat of a file registry's catalog.nq and journal when it was synced: unchanged stat, nothing to do. */
  stat?: string;
  /** stat of its catalog.nq alone: unchanged, the shards stay and only the journal is read. */
  baseStat?: string;
  /** The journal's latest entries, beside the version's shards (a file of the version directory). */
  journal?: { file: string; digest: string; entries: number };
  syncedAt: string;
  packages: number;
  tokens: number;
  triples: number;
}

export interface SyncResult {
  status: 'created' | 'updated' | 'unchanged';
  registry: string;
  store: string;
  digest: string;
  packages: number;
  tokens: number;
  triples: number;
  /** Packages the journal holds over the shards. */
  journal: number;
  ms: number;
}

export function localStoreDir(storeRoot: string, registry: string): string {
  const key = isHttpLocation(registry) ? registry : resolve(registry);
  // SHA-256 in JavaScript: a short key, and node:crypto stays unloaded for a search.
  return join(storeRoot, bytesToHex(sha256(utf8ToBytes(key))).slice(0, 16));
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
 * Brings the local store of a registry up to date: streams catalog.nq through the sharder into
 * a new version directory (hashing it on the way), and puts that version in use only when the
 * sha256 differs from the synced one; the same content read again is thrown away. A file
 * registry whose catalog.nq has the same size, mtime, inode and ctime is not even read.
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

/**
 * The heap of the thread a file registry's catalog is cut in. The cut holds one package's lines
 * and the index (names, tokens, ranges: ~150 MB at ~227k packages); capped, its garbage is
 * collected as it goes instead of growing the heap to several times that, and the whole heap is
 * given back when the thread ends (a long-lived query service that syncs keeps none of it).
 */
export const SYNC_HEAP_MB = 256;

/** The worker's entry beside this module: built (dist, or a CLI bundle), not the TypeScript sources a test runs. */
const SYNC_WORKER = new URL('./sync-worker.js', import.meta.url);

/**
 * cutCatalog, in a worker with a capped heap when one is built beside this module and the
 * registry is a directory, else here: an http(s) catalog is fetched whole (at most its response
 * limit), which the cap would not hold.
 */
async function cutCatalogHosted(request: CutRequest, onEvent?: (event: SyncEvent) => void): Promise<CutResult> {
  if (isHttpLocation(request.registry) || !existsSync(SYNC_WORKER)) return cutCatalog(request, onEvent);
  // Loaded here: node:worker_threads costs every process that imports it its load.
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const worker = new Worker(SYNC_WORKER, {
    workerData: { ggenCut: request },
    resourceLimits: { maxOldGenerationSizeMb: SYNC_HEAP_MB },
    // None of the process's flags: a worker inherits them, and some refuse a worker (`--input-type` of `node -e`).
    execArgv: [],
  });
  return new Promise<CutResult>((resolve, reject) => {
    let settled = false;
    const settle = (done: () => void): void => {
      if (settled) return;
      settled = true;
      done();
      void worker.terminate();
    };
    worker.on('message', (message: { event?: SyncEvent; result?: CutResult; failure?: CutFailure }) => {
      const { event, result, failure } = message;
      if (event !== undefined) onEvent?.(event);
      else if (result !== undefined)
        settle(() => {
          resolve(result);
        });
      else if (failure !== undefined)
        settle(() => {
          reject(failureError(failure));
        });
    });
    worker.on('error', (error: Error & { code?: string }) => {
      settle(() => {
        reject(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new MarketplaceError(
                'GGEN_E_RESPONSE_TOO_LARGE',
                `Cutting the v2 catalog of ${request.registry} needs more than the sync's ${SYNC_HEAP_MB} MB heap`,
                {
                  hint: 'Nothing was replaced. A registry this large belongs on a registry server (ggen marketplace registry serve) or a SPARQL endpoint (marketplace.sparql_endpoint).',
                  cause: error,
                },
              )
            : error,
        );
      });
    });
    worker.on('exit', (code) => {
      settle(() => {
        reject(new Error(`the sync worker stopped (exit code ${code}) before it finished`));
      });
    });
  });
}

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
    journal: entry.journal?.entries ?? 0,
    ms: Math.round(monotonicMs() - started),
  });
  const usable = current?.format === FORMAT && existsSync(join(dir, current.version, 'index.json'));
  if (!options.force && usable && trusted !== undefined && current.stat === trusted)
    return result('unchanged', current);
  const { timeoutMs, retries, retryDelayMs, offline, preferOffline } = options;
  const fetch = { timeoutMs, retries, retryDelayMs, offline, preferOffline };

  // catalog.nq unchanged (a publish appended to the journal): only the journal is read again.
  const baseTrusted = trustedStat(statNow?.base, current?.syncedAt);
  const baseKept = !options.force && usable && baseTrusted !== undefined && current.baseStat === baseTrusted;
  const base = baseKept ? current : await cutBase(dir, options, fetch, usable ? current : undefined, statNow?.size);
  const journal = await syncJournal(join(dir, base.version), options.registry, fetch);
  const entry: Current = {
    format: FORMAT,
    registry: options.registry,
    version: base.version,
    digest: base.digest,
    ...(stat === undefined ? {} : { stat }),
    ...(statNow === undefined ? {} : { baseStat: statNow.base.key }),
    syncedAt: new Date().toISOString(),
    packages: base.packages,
    tokens: base.tokens,
    triples: base.triples,
    ...(journal === undefined ? {} : { journal }),
  };
  await writeCurrent(dir, entry);
  const changed = base.version !== current?.version || journal?.digest !== current.journal?.digest;
  if (base.version !== current?.version) options.onEvent?.({ type: 'written', packages: entry.packages });
  // Older versions, and older journals of this one, once no command can still be reading them.
  const sweep = async (parent: string, keep: (name: string) => boolean): Promise<void> => {
    for (const name of await readdir(parent)) {
      if (keep(name)) continue;
      const old = join(parent, name);
      if (Date.now() - statSync(old).mtimeMs > KEEP_OLD_VERSIONS_MS)
        await rm(old, { recursive: true, force: true }).catch(() => undefined);
    }
  };
  await sweep(dir, (name) => name === base.version || name === CURRENT || name.startsWith('.'));
  await sweep(join(dir, base.version), (name) => !name.startsWith(JOURNAL_PREFIX) || name === journal?.file);
  return result(current === undefined ? 'created' : changed ? 'updated' : 'unchanged', entry);
}

/** What a sync keeps of the catalog.nq it cut: its version directory, digest and counts. */
type CutBase = Pick<Current, 'version' | 'digest' | 'packages' | 'tokens' | 'triples'>;

/**
 * Cuts a registry's catalog.nq into a new version directory (renamed into place when whole); the
 * same content as the current version's is thrown away and the current one kept.
 */
async function cutBase(
  dir: string,
  options: { registry: string; force?: boolean; onEvent?: (event: SyncEvent) => void },
  fetch: FetchOptions,
  current: Current | undefined,
  bytes: number | undefined,
): Promise<CutBase> {
  const partial = join(dir, `${process.pid}-${Date.now()}.partial`);
  const location = resolveLocation(options.registry, CATALOG_FILE);
  options.onEvent?.({ type: 'reading', ...(bytes === undefined ? {} : { bytes }) });
  let cut: CutResult;
  try {
    await mkdir(partial, { recursive: true });
    cut = await cutCatalogHosted(
      { registry: options.registry, dir: partial, fetch: JSON.parse(JSON.stringify(fetch)) as FetchOptions },
      options.onEvent,
    );
  } catch (cause) {
    await rm(partial, { recursive: true, force: true });
    if (cause instanceof UnusableCatalog)
      throw new MarketplaceError('GGEN_E_INDEX_INVALID', `The v2 catalog ${location} is unusable: ${cause.message}`, {
        hint: 'Nothing was replaced: the last good local copy stays. Regenerate the catalog with registry migrate (or publish to it), or restore it.',
        cause,
      });
    if (cause instanceof MarketplaceError) throw cause;
    throw fromFsError(cause, 'writing the local store', partial);
  }
  const { digest } = cut;
  if (options.force !== true && current?.digest === digest) {
    await rm(partial, { recursive: true, force: true });
    return current;
  }
  const version = `${digest.slice(0, 16)}-${process.pid}-${Date.now()}`;
  try {
    await rename(partial, join(dir, version));
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw fromFsError(error, 'writing the local store', join(dir, version));
  }
  return { version, digest, packages: cut.packages, tokens: cut.tokens, triples: cut.triples };
}

const JOURNAL_PREFIX = 'journal-';

/**
 * The registry's journal (catalog-journal.ts), its latest entry of each package, kept beside the
 * version's shards as one N-Quads file named by its digest (written atomically, once): what a
 * catalog over the store loads whole and puts over the shards. Undefined when it is empty.
 */
async function syncJournal(versionDir: string, registry: string, fetch: FetchOptions): Promise<Current['journal']> {
  const latest = latestEntries(await readJournal(registry, fetch));
  if (latest.size === 0) return undefined;
  const text = [...latest.values()].map((entry) => entry.block).join('');
  const digest = bytesToHex(sha256(utf8ToBytes(text)));
  const file = `${JOURNAL_PREFIX}${digest.slice(0, 16)}.nq`;
  const path = join(versionDir, file);
  if (!existsSync(path)) {
    try {
      await writeFileAtomic(path, text);
    } catch (error) {
      throw fromFsError(error, 'writing the local store', path);
    }
  }
  return { file, digest, entries: latest.size };
}

/**
 * The last indexes read, by version directory: a version never changes, and a long-lived
 * process (the registry server, after each publish) opens the same one with a new journal.
 */
const indexes = new RecentlyUsed<StoreIndex>(2);

function indexOf(versionDir: string): StoreIndex {
  // By its files' stat too: a version changed under it (damage, a hand edit) is read again, and refused.
  const key = ['index.json', 'packages.txt', 'tokens.txt', 'ranges.bin', 'depends.json', 'browse.json']
    .map((file) => {
      const stat = statSync(join(versionDir, file), { throwIfNoEntry: false });
      return stat === undefined ? '-' : fileStatKey(stat);
    })
    .join('|');
  const kept = indexes.get(`${versionDir}#${key}`);
  if (kept !== undefined) return kept;
  const index = readIndex(versionDir);
  indexes.set(`${versionDir}#${key}`, index);
  return index;
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
  let browse: BrowseIndex | undefined;
  let lookAlikes: Map<string, number[]> | undefined;
  return {
    triples: file.triples,
    packages,
    tokens,
    packageRanges: ranges.subarray(0, packageCount * 4),
    tokenRanges: ranges.subarray(packageCount * 4),
    dependsOn: () => (dependsOn ??= readStoreJson(versionDir, 'depends.json') as Record<string, number[]>),
    browse: () => (browse ??= readStoreJson(versionDir, 'browse.json') as BrowseIndex),
    lookAlikes: () => (lookAlikes ??= lookAlikeIndex(packages)),
  };
}

/** The key of a name's look-alikes, and of its scope's (StoreIndex.lookAlikes). */
export function lookAlikeKeys(name: string): string[] {
  const scope = name.startsWith('@') ? name.slice(0, name.indexOf('/')) : undefined;
  return scope === undefined ? [nameSkeleton(name)] : [nameSkeleton(name), `@${nameSkeleton(scope)}`];
}

function lookAlikeIndex(packages: LineList): Map<string, number[]> {
  const index = new Map<string, number[]>();
  for (let id = 0; id < packages.length; id += 1)
    for (const key of lookAlikeKeys(packages.at(id) ?? '')) {
      const ids = index.get(key);
      if (ids === undefined) index.set(key, [id]);
      else ids.push(id);
    }
  return index;
}

/** One of a version directory's JSON files, read when first asked for. */
function readStoreJson(versionDir: string, file: string): unknown {
  try {
    return JSON.parse(readFileSync(join(versionDir, file), 'utf8'));
  } catch (cause) {
    throw new MarketplaceError(
      'GGEN_E_INDEX_INVALID',
      `The local v2 store ${versionDir} is damaged: its ${file} cannot be read`,
      {
        hint: 'Run ggen marketplace sync --force to rebuild it from the registry.',
        cause,
      },
    );
  }
}

async function writeCurrent(dir: string, entry: Current): Promise<void> {
  try {
    await writeFileAtomic(join(dir, CURRENT), JSON.stringify(entry, null, 2));
  } catch (error) {
    throw fromFsError(error, 'writing', join(dir, CURRENT));
  }
}

/** Whether a directory registry's store was cut from its catalog.nq as it is now (only the journal may differ). */
export function storeHasBase(registry: string, storeRoot: string): boolean {
  const current = readCurrent(localStoreDir(storeRoot, registry));
  const trusted = trustedStat(catalogStat(registry)?.base, current?.syncedAt);
  return current?.format === FORMAT && trusted !== undefined && current.baseStat === trusted;
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
  const key = `${versionDir}#${current.journal?.file ?? ''}`;
  const retainedFiles = options.cache?.store(key);
  if (retainedFiles !== undefined) return retainedFiles;
  try {
    // Read in synchronous calls: the command waits for them either way, and a read through the
    // thread pool in chunks costs it more.
    const journal = current.journal === undefined ? '' : readFileSync(join(versionDir, current.journal.file), 'utf8');
    const files: LocalStoreFiles = { dir: versionDir, key, index: indexOf(versionDir), journal };
    options.cache?.keepStore(files);
    return files;
  } catch {
    return undefined;
  }
}
