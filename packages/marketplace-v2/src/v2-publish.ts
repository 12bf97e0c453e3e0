import { existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  fromFsError,
  MarketplaceError,
  preparePublish,
  scopeOf,
  registryWriter,
  isHttpLocation,
  serverRequest,
  publishWithSteps,
  type PreparedPublish,
  publishResultOf,
  refuseConfusableName,
  versionExistsError,
  writeFileAtomic,
  withFileLock,
  registryLocation,
  type CatalogPackage,
  type PublishCompanion,
  type PublishCompanionFactory,
  type PublishRequest,
  type PublishResult,
} from '@ggen/marketplace-core';
import semverRcompare from 'semver/functions/rcompare.js';
import {
  catalogNQuadPieces,
  packageNQuads,
  packageWeights,
  postingStatsOf,
  readCatalogPackages,
  type PostingStats,
} from './catalog-rdf.js';
import {
  appendJournal,
  declaredQuads,
  JOURNAL_FILE,
  JOURNAL_LIMIT,
  journalEntryText,
  packageStartedBy,
  readJournal,
} from './catalog-journal.js';
import { ShardTriples } from './local-store/shard-triples.js';
import { openLocalStore, storeHasBase } from './local-store/local-store.js';
import { ShardedCatalog } from './local-store/sharded-catalog.js';
import { V } from './vocabulary.js';
import { predicateOfLine } from './local-store/nquads-line.js';
import { CATALOG_FILE, catalogStat, fileStatKey, streamCatalog, type CatalogSnapshot } from './catalog-file.js';
import {
  checkPublisher,
  checkScopePublisher,
  readKeyStatements,
  readOwnerAuthority,
  writeKeyStatements,
} from './v2-package-keys.js';
import { publicKeyLine } from './signing/minisign-format.js';
import { formatKeyStatement, ownerKeyLines, verifyOwnerChain } from './signing/key-statements.js';

/**
 * Beside catalog.nq: the statistics its postings were weighed against (postingStatsOf), so that
 * a change appended to the journal is weighed against the same ones without reading the catalog.
 */
export const STATS_FILE = 'catalog.stats.json';

/**
 * Writes a registry's whole catalog atomically (postings depend on every package), a package's
 * text at a time, with its statistics; the journal, folded into it, is removed last (a crash
 * before that replays entries the catalog already holds, which changes nothing).
 */
export async function writeV2Catalog(dir: string, packages: CatalogPackage[]): Promise<string> {
  const path = join(dir, CATALOG_FILE);
  await writeCatalogFiles(dir, packages, '');
  try {
    rmSync(join(dir, JOURNAL_FILE), { force: true });
  } catch (error) {
    throw fromFsError(error, 'writing', path);
  }
  return path;
}

/** catalog.nq and its statistics for `packages`, each written whole and renamed to its name plus `suffix`. */
async function writeCatalogFiles(dir: string, packages: CatalogPackage[], suffix: string): Promise<void> {
  const path = join(dir, CATALOG_FILE);
  const stats = postingStatsOf(packages);
  try {
    await writeFileAtomic(`${path}${suffix}`, catalogNQuadPieces(packages, stats));
    await writeFileAtomic(
      join(dir, `${STATS_FILE}${suffix}`),
      JSON.stringify({
        format: 1,
        packages: stats.packages,
        average: stats.average,
        // Sorted: the same packages give the same file, whatever order they came in.
        documentFrequency: Object.fromEntries([...stats.documentFrequency].sort(([a], [b]) => (a < b ? -1 : 1))),
      }),
    );
  } catch (error) {
    throw fromFsError(error, 'writing', path);
  }
}

/** The statistics last read, by the file's stat: a registry server reads them once per whole write. */
let statsRead: { key: string; stats: PostingStats } | undefined;

/** The statistics of a directory registry's catalog, or undefined when it has none that can be used. */
function readPostingStats(dir: string): PostingStats | undefined {
  const path = join(dir, STATS_FILE);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return undefined;
  const key = `${path}:${fileStatKey(stat)}`;
  if (statsRead?.key === key) return statsRead.stats;
  const stats = parsePostingStats(path);
  statsRead = stats === undefined ? undefined : { key, stats };
  return stats;
}

function parsePostingStats(path: string): PostingStats | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (!isRecord(value) || value.format !== 1 || typeof value.packages !== 'number') return undefined;
    const { average, documentFrequency: frequencies } = value;
    const fields = ['name', 'keywords', 'tags', 'description'];
    const positive = (field: string): boolean =>
      isRecord(average) && typeof average[field] === 'number' && average[field] > 0;
    if (!isRecord(average) || !fields.every(positive) || !isRecord(frequencies)) return undefined;
    const documentFrequency = new Map<string, number>();
    for (const [token, count] of Object.entries(frequencies))
      if (typeof count === 'number') documentFrequency.set(token, count);
    return { packages: value.packages, average: average as PostingStats['average'], documentFrequency };
  } catch {
    // Missing or unreadable: the next change writes the catalog whole, and new statistics with it.
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Writes changed packages of a directory registry, under its lock (the caller's): each appended
 * to the journal as its whole block, weighed against the catalog's statistics, so that a change
 * costs the package and not the registry. A registry without a catalog or its statistics (one
 * written by an older ggen) is written whole instead, and so is one whose journal this fills
 * (JOURNAL_LIMIT entries): the journal is folded into the catalog.
 */
export async function writeCatalogPackages(dir: string, changed: CatalogPackage[]): Promise<void> {
  const stats = existsSync(join(dir, CATALOG_FILE)) ? readPostingStats(dir) : undefined;
  if (stats === undefined) {
    const names = new Set(changed.map((pkg) => pkg.name));
    const others = (await readV2CatalogFile(dir)).filter((pkg) => !names.has(pkg.name));
    await writeV2Catalog(dir, [...others, ...changed]);
    return;
  }
  const entries = changed.map((pkg) => ({
    name: pkg.name,
    block: packageNQuads(pkg, packageWeights(pkg, stats, false)).text,
  }));
  if (appendJournal(dir, entries) >= JOURNAL_LIMIT) await compactV2Catalog(dir);
}

/** The lock one compaction at a time holds (the registry's own lock is held only to put its files in place). */
export const COMPACT_LOCK_FILE = '.ggen-compact.lock';

/** A registry server starts a compaction aside past this many journal entries: the change that fills the journal never waits for one. */
export const COMPACT_ASIDE_AT = JOURNAL_LIMIT / 2;

export interface CompactOptions {
  /** Called once the new catalog is written beside the old, before it is put in place (tests: a change that lands meanwhile). */
  onWritten?: () => Promise<void>;
}

/**
 * `registry compact`: folds a directory registry's journal into catalog.nq, so that readers merge
 * nothing and new changes are weighed against statistics of every package. The registry's lock
 * is held only to put the files in place: the catalog as read now is written beside catalog.nq
 * (`catalog.nq.next`, `catalog.stats.json.next`) while changes go on (minutes at npm's size);
 * then, under the lock, as long as catalog.nq is still the one read, the two are renamed into
 * place and the journal keeps only the entries appended since it was read (weighed against the
 * statistics before, until the next compaction). When catalog.nq was written whole meanwhile (by
 * the change that filled the journal), nothing is put in place: `compacted` is false. One
 * compaction runs at a time (COMPACT_LOCK_FILE).
 */
export function compactRegistry(
  registry: string,
  options: CompactOptions = {},
): Promise<{ packages: number; entries: number; compacted: boolean }> {
  const writer = registryWriter(registry, 'compact');
  const path = join(writer.dir, CATALOG_FILE);
  if (!existsSync(path))
    throw new MarketplaceError('GGEN_E_REGISTRY_UNREACHABLE', `No v2 catalog at ${path}`, {
      hint: 'Only a v2 registry directory is compacted; publish to it, or make one with registry migrate.',
    });
  return withFileLock(join(writer.dir, COMPACT_LOCK_FILE), async () => {
    const read = { timeoutMs: 60_000, retries: 0 };
    const base = catalogStat(writer.dir)?.base.key ?? '';
    const journal = await readJournal(writer.dir, read);
    const unchanged = (): boolean => catalogStat(writer.dir)?.base.key === base;
    // The catalog as it stood: catalog.nq by its stat (refused once written whole) and exactly these entries.
    let packages: CatalogPackage[];
    try {
      packages = await readV2CatalogFile(writer.dir, { base, entries: journal });
    } catch (error) {
      if (unchanged()) throw error;
      return { packages: 0, entries: 0, compacted: false };
    }
    await writeCatalogFiles(writer.dir, packages, NEXT);
    await options.onWritten?.();
    return writer.locked(async () => {
      const current = await readJournal(writer.dir, read);
      const last = journal.length - 1;
      // The journal only grows under one catalog.nq: the entries read are still its first ones.
      if (!unchanged() || current.length < journal.length || current[last]?.block !== journal[last]?.block) {
        for (const file of [CATALOG_FILE, STATS_FILE]) rmSync(join(writer.dir, `${file}${NEXT}`), { force: true });
        return { packages: packages.length, entries: 0, compacted: false };
      }
      try {
        renameSync(`${path}${NEXT}`, path);
        renameSync(join(writer.dir, `${STATS_FILE}${NEXT}`), join(writer.dir, STATS_FILE));
        // A crash before the journal is cut replays entries the catalog already holds: the same packages.
        const rest = current.slice(journal.length);
        if (rest.length === 0) rmSync(join(writer.dir, JOURNAL_FILE), { force: true });
        else await writeFileAtomic(join(writer.dir, JOURNAL_FILE), rest.map(journalEntryText));
      } catch (error) {
        throw fromFsError(error, 'writing', path);
      }
      return { packages: packages.length, entries: journal.length, compacted: true };
    });
  });
}

/** What a compaction's files are called until they are put in place. */
const NEXT = '.next';

/** Folds the journal into catalog.nq (the caller holds the lock): the whole catalog written again, with new statistics. */
async function compactV2Catalog(dir: string): Promise<{ packages: number; entries: number }> {
  // The journal read once, for its count and the merge (the lock holds both still).
  const entries = await readJournal(dir, { timeoutMs: 60_000, retries: 0 });
  const packages = await readV2CatalogFile(dir, { base: catalogStat(dir)?.base.key ?? '', entries });
  await writeV2Catalog(dir, packages);
  return { packages: packages.length, entries: entries.length };
}

/**
 * Every package of a directory registry's catalog (its journal merged), read a package's block
 * at a time (ShardTriples, as the local store reads shards) instead of loading the catalog into
 * oxigraph: a compaction or a migrate over ~227k packages holds the packages, not the store
 * (several GB). Postings are skipped; they are computed again by whoever writes.
 */
export async function readV2CatalogFile(dir: string, snapshot?: CatalogSnapshot): Promise<CatalogPackage[]> {
  const path = join(dir, CATALOG_FILE);
  if (!existsSync(path)) return [];
  const packages: CatalogPackage[] = [];
  try {
    const { quads, declared } = await forEachPackageBlock(
      dir,
      (name, lines) => {
        const pkg = packageOfBlock(dir, name, lines);
        if (pkg !== undefined) packages.push(pkg);
      },
      snapshot,
    );
    if (declared !== undefined && declared !== quads)
      throw new Error(`it holds ${quads} quads, its closing line says ${declared}`);
  } catch (cause) {
    throw new MarketplaceError(
      'GGEN_E_INDEX_INVALID',
      `${path} is not a readable catalog; refusing to publish over it`,
      {
        hint: 'Repair or restore catalog.nq before publishing.',
        cause,
      },
    );
  }
  return packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * A directory registry's catalog (its journal merged) a package at a time: `onPackage` gets each
 * package's name and the lines of its block less postings. Returns how many quads came, and what
 * the closing line declared (undefined when there is none).
 */
async function forEachPackageBlock(
  dir: string,
  onPackage: (name: string, lines: string[]) => void,
  snapshot?: CatalogSnapshot,
): Promise<{ quads: number; declared: number | undefined }> {
  let block: string[] = [];
  let name: string | undefined;
  let quads = 0;
  let declared: number | undefined;
  const flush = (): void => {
    if (name !== undefined) onPackage(name, block);
    block = [];
  };
  const onChunk = (chunk: string): void => {
    for (const line of chunk.split('\n')) {
      if (line === '') continue;
      const predicate = predicateOfLine(line);
      if (predicate === V.quadCount) {
        declared = declaredQuads(line);
        continue;
      }
      quads += 1;
      const started = packageStartedBy(line);
      if (started !== undefined) {
        flush();
        name = started;
      }
      if (predicate !== V.token && predicate !== V.weight && predicate !== V.postingOf) block.push(line);
    }
  };
  await streamCatalog(dir, { timeoutMs: 60_000, retries: 0 }, onChunk, undefined, snapshot);
  flush();
  return { quads, declared };
}

/** A package read back from its block's lines (blocks are self-contained: authors and keys are written in each). */
function packageOfBlock(dir: string, name: string, lines: string[]): CatalogPackage | undefined {
  const triples = new ShardTriples(dir);
  triples.add(`${lines.join('\n')}\n`);
  const [pkg] = readCatalogPackages(triples, [name]);
  // Copied through JSON: values read from a block are slices of its text, which they would keep
  // alive (at ~227k packages, over a GB of block texts beside the packages).
  return pkg === undefined ? undefined : (JSON.parse(JSON.stringify(pkg)) as CatalogPackage);
}

/**
 * What a change reads before it writes: the package as the catalog has it, and the names it
 * checks against: every package's, or at least those of the same name skeleton or of a scope of
 * the same skeleton (look-alikes, and the packages of its scope).
 */
export type CatalogLookup = (name: string) => Promise<{ pkg?: CatalogPackage; names: string[] }>;

const lookups = new Map<string, CatalogLookup>();

/**
 * A registry server reads its directory through its local store (synced with the journal): the
 * changes it takes look their package up there instead of streaming the catalog, so that a
 * publish costs the package. The same checks run on what it answers. Returns the undo.
 */
export function registerCatalogLookup(dir: string, lookup: CatalogLookup): () => void {
  const key = resolve(dir);
  lookups.set(key, lookup);
  return () => {
    if (lookups.get(key) === lookup) lookups.delete(key);
  };
}

/**
 * One package of a directory registry (its latest block) and the names of all of them: from the
 * lookup a registry server registered for it, else read without loading the catalog (the
 * catalog's lines stream by, and only the package's block is parsed). What a change needs to
 * check before it writes (immutable versions, look-alike names).
 */
export async function scanV2Catalog(dir: string, name: string): Promise<{ pkg?: CatalogPackage; names: string[] }> {
  const lookup = lookups.get(resolve(dir));
  return lookup === undefined ? streamScan(dir, name) : lookup(name);
}

/**
 * The lookup of a directory registry whose local store was synced (the CLI's, under
 * `storeRoot`): while the store's catalog.nq is the registry's, the store is brought up to date
 * with the journal alone and answers; otherwise (never synced, or compacted since) the catalog
 * is read once instead, which costs less than cutting it again.
 */
export function localStoreLookup(dir: string, storeRoot: string): CatalogLookup {
  return async (name) => {
    if (!storeHasBase(dir, storeRoot)) return streamScan(dir, name);
    const files = await openLocalStore({ registry: dir, storeRoot, timeoutMs: 600_000, retries: 0 });
    if (files === undefined) return streamScan(dir, name);
    return lookupInStore(new ShardedCatalog(files), name);
  };
}

/** A change's package and the names it checks against, from a catalog over the local store (CatalogLookup). */
export async function lookupInStore(
  catalog: ShardedCatalog,
  name: string,
): Promise<{ pkg?: CatalogPackage; names: string[] }> {
  const [pkg] = await catalog.readPackages([name]);
  const names = catalog.namesLike(name);
  return pkg === undefined ? { names } : { pkg, names };
}

async function streamScan(dir: string, name: string): Promise<{ pkg?: CatalogPackage; names: string[] }> {
  const path = join(dir, CATALOG_FILE);
  if (!existsSync(path)) return { names: [] };
  const names: string[] = [];
  let pkg: CatalogPackage | undefined;
  try {
    await forEachPackageBlock(dir, (blockName, lines) => {
      names.push(blockName);
      if (blockName === name) pkg = packageOfBlock(dir, name, lines);
    });
  } catch (cause) {
    throw new MarketplaceError('GGEN_E_INDEX_INVALID', `${path} is not a readable catalog; refusing to change it`, {
      hint: 'Repair or restore catalog.nq (or catalog.journal.nq) before publishing.',
      cause,
    });
  }
  return pkg === undefined ? { names } : { pkg, names };
}

/** Publishes a package directory to a v2 registry: a registry server, or a directory (publishPrepared). */
export async function publishToV2Registry(request: PublishRequest): Promise<PublishResult> {
  const prepared = await preparePublish(request.dir);
  if (isHttpLocation(request.registry)) return publishToServer(request, prepared);
  return publishPrepared(prepared, request);
}

/**
 * The one publish of a v2 directory registry, for the CLI and the registry server alike: names,
 * look-alikes, immutable versions, owner keys (by the whole public key) and signatures are
 * checked here, under the registry's lock; then the archive, then the rewritten catalog.
 */
export async function publishPrepared(
  prepared: PreparedPublish,
  request: Omit<PublishRequest, 'dir'>,
): Promise<PublishResult> {
  const registry = registryWriter(request.registry);
  const { manifest, packed } = prepared;
  const signature = request.signer?.sign(packed.bytes, {
    name: manifest.name,
    version: manifest.version,
    integrity: packed.integrity,
  });
  const result: PublishResult = {
    ...publishResultOf(prepared, request),
    ...(request.signer === undefined ? {} : { signature: { keyId: request.signer.keyId } }),
  };
  return publishWithSteps(registry, prepared, request, result, v2CatalogSteps(prepared, request, result), signature);
}

/**
 * The v2 part of a publish: names, look-alikes, immutable versions, owner keys (by the whole
 * public key) and signatures are checked; then the version joins the catalog. A v2 publish runs
 * it; so does a v1 publish into a directory that also serves catalog.nq (the migration's dual
 * writes), where an unsigned version of an owned package is refused as it is here.
 */
export function v2CatalogSteps(
  prepared: PreparedPublish,
  request: Omit<PublishRequest, 'dir' | 'companion'>,
  result: PublishResult,
): PublishCompanion {
  const { manifest, packed, archive } = prepared;
  const scope = scopeOf(manifest.name);
  let ownership: ReturnType<typeof checkPublisher>;
  let scopeOwnership: ReturnType<typeof checkScopePublisher>;
  const checkOwnership = (): void => {
    const scopeFile = scope === undefined ? undefined : readKeyStatements(request.registry, scope);
    if (scope !== undefined && scopeFile !== undefined)
      scopeOwnership = checkScopePublisher(scope, scopeFile, request.signer, manifest.name);
    const scopeChain =
      scope === undefined || scopeFile === undefined || scopeFile.statements.length === 0
        ? undefined
        : verifyOwnerChain(scope, scopeFile);
    ownership = checkPublisher(
      manifest.name,
      readKeyStatements(request.registry, manifest.name),
      request.signer,
      scopeChain,
    );
  };
  const refuseExisting = (existing: CatalogPackage | undefined, names: string[]): void => {
    if (existing?.versions.some((version) => version.version === manifest.version)) {
      throw versionExistsError(manifest.name, manifest.version, request.registry);
    }
    // A look-alike of a package (or scope) the publisher does not own is refused; one they own is theirs to make.
    const signerOwns = (other: string): boolean =>
      request.signer !== undefined &&
      (readOwnerAuthority(request.registry, other)?.owners.some(
        (key) => publicKeyLine(key) === request.signer?.publicKey,
      ) ??
        false);
    if (existing === undefined) refuseConfusableName(manifest.name, names, request.registry, signerOwns);
  };
  let existing: CatalogPackage | undefined;
  return {
    file: CATALOG_FILE,
    check: async () => {
      const scanned = await scanV2Catalog(request.registry, manifest.name);
      existing = scanned.pkg;
      refuseExisting(existing, scanned.names);
      checkOwnership();
      if (request.dryRun !== true && scope !== undefined && scopeOwnership !== undefined) {
        const left = scanned.names.filter((name) => name !== manifest.name && scopeOf(name) === scope);
        if (left.length > 0) {
          (result.warnings ??= []).push(
            `${scope} is now owned by key ${request.signer?.keyId ?? ''}; it already held ${left.join(', ')}, published before the claim: clients refuse them until a scope owner publishes them signed (or removes them)`,
          );
        }
      }
    },
    update: async () => {
      const version = {
        version: manifest.version,
        checksum: packed.checksum,
        integrity: packed.integrity,
        archive,
        dependencies: manifest.dependencies,
        publishedAt: new Date().toISOString(),
        yanked: false,
        ...(request.signer === undefined ? {} : { signedBy: request.signer.keyId }),
        files: packed.files,
        templates: manifest.templates,
        variables: manifest.variables,
        size: packed.size,
        unpackedSize: packed.unpackedSize,
        ...(packed.readme === undefined ? {} : { readme: packed.readme }),
      };
      const pkg: CatalogPackage = existing ?? {
        name: manifest.name,
        description: manifest.description,
        tags: [],
        keywords: [],
        downloads: 0,
        stars: 0,
        latest: manifest.version,
        versions: [],
        extra: {},
      };
      pkg.versions = [version, ...pkg.versions].sort((a, b) => semverRcompare(a.version, b.version));
      if (pkg.versions[0]?.version === manifest.version) {
        Object.assign(pkg, {
          latest: manifest.version,
          description: manifest.description,
          tags: manifest.tags,
          keywords: manifest.keywords,
          ...(manifest.category === undefined ? {} : { category: manifest.category }),
          ...(manifest.author === undefined ? {} : { author: manifest.author }),
          ...(manifest.license === undefined ? {} : { license: manifest.license }),
          ...(manifest.repository === undefined ? {} : { repository: manifest.repository }),
          ...(manifest.homepage === undefined ? {} : { homepage: manifest.homepage }),
        });
      }
      if (scope !== undefined && scopeOwnership !== undefined)
        await writeKeyStatements(request.registry, scope, scopeOwnership.file);
      if (ownership !== undefined) {
        await writeKeyStatements(request.registry, manifest.name, ownership.file);
        Object.assign(pkg, ownerKeyLines(ownership.chain));
      }
      await writeCatalogPackages(request.registry, [pkg]);
    },
  };
}

/** The v2 part of a publish into `registry` when that directory serves catalog.nq, else undefined. */
export const v2CatalogCompanion: PublishCompanionFactory = (prepared, request, result) =>
  registryLocation(request.registry).kind === 'directory' && existsSync(join(request.registry, CATALOG_FILE))
    ? v2CatalogSteps(prepared, request, result)
    : undefined;

/** The default wait for a registry server's answer to a publish (an upload of up to 64 MiB). */
const PUBLISH_TIMEOUT_MS = 120_000;

/**
 * A publish to a registry server: packed and signed here, checked there by publishPrepared. A
 * signed publish also sends the owner claims the server may need to record (the package's, and its
 * scope's), signed now: the server keeps only the ones the publish makes.
 */
async function publishToServer(request: PublishRequest, prepared: PreparedPublish): Promise<PublishResult> {
  const result = publishResultOf(prepared, request);
  const { manifest, packed } = prepared;
  const signer = request.signer;
  const binding = { name: manifest.name, version: manifest.version, integrity: packed.integrity };
  const signature = signer?.sign(packed.bytes, binding);
  if (request.dryRun) return { ...result, ...(signer === undefined ? {} : { signature: { keyId: signer.keyId } }) };
  const timestamp = Math.floor(Date.now() / 1000);
  const scope = scopeOf(manifest.name);
  const claims = signer === undefined ? [] : [manifest.name, ...(scope === undefined ? [] : [scope])];
  const answer = await serverRequest<PublishResult>(request.registry, {
    method: 'POST',
    path: 'publish',
    timeoutMs: request.timeoutMs ?? PUBLISH_TIMEOUT_MS,
    ...(request.token === undefined ? {} : { token: request.token }),
    body: {
      archive: packed.bytes.toString('base64'),
      ...(signer === undefined
        ? {}
        : {
            signature,
            publicKey: signer.publicKey,
            statements: claims.map((subject) =>
              signer.signStatement(
                formatKeyStatement({
                  package: subject,
                  action: 'owner',
                  key: signer.publicKey,
                  sequence: 0,
                  timestamp,
                }),
              ),
            ),
          }),
    },
  });
  return { ...answer, registry: request.registry, secretsLeftOut: result.secretsLeftOut };
}
