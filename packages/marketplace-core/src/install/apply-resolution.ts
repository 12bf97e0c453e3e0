// The one path from a resolution to the disk: plan, fetch, verify, stage, commit.
import { existsSync } from 'node:fs';
import semverLt from 'semver/functions/lt.js';
import semverValid from 'semver/functions/valid.js';
import { readArchive, writeArchiveEntries } from '../archive/extract-archive.js';
import { computeIntegrity, verifyIntegrity } from '../archive/integrity.js';
import { MarketplaceError } from '../errors.js';
import { packageDir } from '../names.js';
import { isHttpLocation } from '../registry/registry-location.js';
import type { SignatureInfo, InstallResult, PlannedPackage } from '../models.js';
import { checkArchiveManifest } from './archive-manifest.js';
import { hashDirectory, hashEntries } from './content-hash.js';
import { beginTransaction, commitTransaction, recoverTransaction, stagingDir } from './install-transaction.js';
import { serializeLockfile, type LockedPackage, type Lockfile } from './lockfile.js';
import { lockedFetchError, lockedResolved } from './locked-location.js';
import type { PackageSource, VersionCandidate } from './package-source.js';
import { satisfies, type Resolution } from './resolve-dependencies.js';
import { nextLockfile, policyOf, removableDirectories, type Context } from './install-context.js';

const FETCH_CONCURRENCY = 4;

/**
 * A rollback (a version older than the lockfile pins) is what a registry that hides new
 * versions would cause: refused unless asked for, by --allow-downgrade or by a range that
 * excludes the locked version.
 */
function refuseDowngrades(
  lockfile: Lockfile,
  resolution: Resolution,
  asked: Record<string, string | undefined>,
  allowed: boolean,
): void {
  if (allowed) return;
  for (const [name, candidate] of resolution.packages) {
    const locked = lockfile.packages[name]?.version;
    if (locked === undefined || !semverValid(locked) || !semverLt(candidate.version, locked)) continue;
    const range = asked[name];
    if (range !== undefined && !satisfies(locked, range)) continue;
    throw new MarketplaceError(
      'GGEN_E_DOWNGRADE',
      `${name} would go from ${locked} (locked) back to ${candidate.version}`,
      {
        hint: `The registry may be hiding newer versions (a rollback attack). If you want ${candidate.version}, ask for it (${name}@${candidate.version}) or pass --allow-downgrade.`,
        details: { package: name, locked, candidate: candidate.version },
      },
    );
  }
}

export interface ApplyOptions extends ReturnType<typeof policyOf> {
  dryRun: boolean;
  forced: Set<string>;
  /** --force: local edits of installed files may be replaced (otherwise GGEN_E_LOCAL_CHANGES). */
  overwrite: boolean;
  /** The ranges typed on this command line: a range that excludes the locked version asks for the downgrade. */
  asked: Record<string, string | undefined>;
}

/** Plans, fetches, verifies, stages and commits one resolution, as one transaction. */
export async function applyResolution(
  context: Context,
  lockfile: Lockfile,
  resolution: Resolution,
  requests: Record<string, string>,
  options: ApplyOptions,
): Promise<InstallResult> {
  refuseDowngrades(lockfile, resolution, options.asked, options.allowDowngrade);
  const planned: PlannedPackage[] = [];
  /** Installed packs whose files were edited since ggen wrote them, that this change would replace. */
  const edited: string[] = [];
  for (const name of resolution.order) {
    const candidate = resolution.packages.get(name);
    if (candidate === undefined) continue;
    const locked = lockfile.packages[name];
    const dir = packageDir(context.packagesDir, name);
    // What is on disk, hashed once: whether it is intact, and whether replacing it drops local edits.
    const onDisk = locked === undefined ? undefined : await hashDirectory(dir);
    // Under verification, a package installed without a verified signature is fetched and checked again.
    const intact =
      locked?.version === candidate.version &&
      (!options.verifySignatures || locked.signature !== undefined) &&
      locked.integrity === (candidate.integrity ?? locked.integrity) &&
      onDisk === locked.contentHash;
    const action: PlannedPackage['action'] =
      intact && !options.forced.has(name) ? 'unchanged' : existsSync(dir) ? 'replace' : 'install';
    if (action === 'replace' && onDisk !== undefined && onDisk !== locked?.contentHash) edited.push(name);
    planned.push({
      name,
      version: candidate.version,
      ...(locked !== undefined && locked.version !== candidate.version ? { previousVersion: locked.version } : {}),
      action,
      integrity: candidate.integrity ?? locked?.integrity ?? '',
      resolved: candidate.archive,
      dependencies: candidate.dependencies,
      backend: candidate.backend,
    });
  }
  if (!options.overwrite && edited.length > 0) throw localChanges(context, edited);
  const toFetch = planned.filter((entry) => entry.action !== 'unchanged');
  const obsolete = Object.keys(lockfile.packages).filter((name) => !resolution.packages.has(name));
  const result: InstallResult = {
    installed: toFetch,
    unchanged: planned.filter((entry) => entry.action === 'unchanged'),
    dryRun: options.dryRun,
    lockfilePath: context.lockfilePath,
    packagesDir: context.packagesDir,
    cycles: resolution.cycles,
  };
  if (options.dryRun) return result;

  options.signal?.throwIfAborted();
  beginTransaction(context.packagesDir);
  const contentHashes = new Map<string, string>();
  const integrities = new Map<string, string>();
  const signatures = new Map<string, SignatureInfo>();
  context.events?.({ type: 'fetch-start', total: toFetch.length });
  let done = 0;
  try {
    await runLimited(toFetch, FETCH_CONCURRENCY, async (entry) => {
      const candidate = resolution.packages.get(entry.name);
      if (candidate === undefined) return;
      const label = `${candidate.name}@${candidate.version}`;
      options.signal?.throwIfAborted();
      const cacheKey = cacheIntegrity(context, candidate);
      const kept =
        cacheKey === undefined
          ? undefined
          : context.archiveCache?.read(cacheKey, (path) =>
              context.events?.({ type: 'cache-corrupt', name: candidate.name, path }),
            );
      const bytes =
        kept ??
        (await context.source.fetchArchive(candidate).catch((error: unknown) => {
          throw candidate.locked === undefined
            ? error
            : lockedFetchError(error, candidate, candidate.locked, context.source);
        }));
      verifyIntegrity(
        bytes,
        {
          ...(candidate.integrity === undefined ? {} : { integrity: candidate.integrity }),
          ...(candidate.checksum === undefined ? {} : { checksum: candidate.checksum }),
        },
        label,
      );
      // A package the lockfile records as signed stays signed: its replacement is verified too
      // (a registry cannot turn verification off for a package by serving it unsigned).
      const previous = lockfile.packages[entry.name];
      if (options.verifySignatures || previous?.signature !== undefined)
        signatures.set(entry.name, await verifySignature(context.source, candidate, bytes, previous));
      if (kept === undefined && cacheKey !== undefined) context.archiveCache?.write(cacheKey, bytes);
      const entries = await readArchive(bytes, label);
      checkArchiveManifest(entries, candidate);
      await writeArchiveEntries(entries, stagingDir(context.packagesDir, entry.name));
      contentHashes.set(entry.name, hashEntries(entries));
      integrities.set(entry.name, candidate.integrity ?? computeIntegrity(bytes));
      done += 1;
      context.events?.({
        type: 'fetched',
        name: candidate.name,
        version: candidate.version,
        done,
        total: toFetch.length,
        ...(kept === undefined ? {} : { cached: true }),
      });
    });
  } catch (error) {
    // Nothing is committed before the journal: drop what was staged, so that a refused
    // package (bad signature, tampered archive) leaves no trace for the next command.
    recoverTransaction(context.packagesDir, context.stateDir);
    throw error;
  }

  const locked: Lockfile['packages'] = {};
  for (const [name, candidate] of resolution.packages) {
    const previous = lockfile.packages[name];
    const contentHash = contentHashes.get(name) ?? previous?.contentHash;
    const integrity = integrities.get(name) ?? candidate.integrity ?? previous?.integrity;
    if (contentHash === undefined || integrity === undefined) continue;
    // A locked pack installed as locked (a frozen install, possibly from another registry's copy
    // of the same bytes) keeps its entry's registry: the lockfile does not change under it.
    const asLocked =
      previous !== undefined &&
      candidate.locked === previous.resolved &&
      previous.version === candidate.version &&
      previous.integrity === integrity;
    const entry: LockedPackage = {
      version: candidate.version,
      resolved: asLocked ? previous.resolved : lockedResolved(candidate, context.source),
      integrity,
      ...(candidate.checksum === undefined ? {} : { checksum: candidate.checksum }),
      dependencies: candidate.dependencies,
      backend: asLocked ? previous.backend : candidate.backend,
      ...(signatureOf(signatures.get(name), candidate, previous) ?? {}),
      contentHash,
    };
    locked[name] = entry;
  }
  const next = nextLockfile(context, lockfile, requests, locked);
  for (const entry of toFetch) {
    entry.integrity = next.packages[entry.name]?.integrity ?? entry.integrity;
    const signature = signatures.get(entry.name);
    if (signature !== undefined) entry.signature = signature;
  }
  // The commit point: an attempt given up by now (its fallback already answered) drops its staging instead.
  if (options.signal?.aborted === true) {
    recoverTransaction(context.packagesDir, context.stateDir);
    options.signal.throwIfAborted();
  }
  const remove = await removableDirectories(context, lockfile, obsolete);
  commitTransaction(context.packagesDir, context.stateDir, {
    install: toFetch.map((entry) => entry.name),
    remove,
    lockfile: context.lockfilePath,
    lockfileContent: serializeLockfile(next),
  });
  context.events?.({ type: 'committed', count: toFetch.length });
  return result;
}

/** The lockfile's signature entry: verified now, or verified when the same version was installed. */
function signatureOf(
  verified: SignatureInfo | undefined,
  candidate: VersionCandidate,
  previous: LockedPackage | undefined,
): { signature: LockedPackage['signature'] } | undefined {
  if (verified !== undefined)
    return {
      signature: {
        keyId: verified.keyId,
        ...(verified.publicKey === undefined ? {} : { publicKey: verified.publicKey }),
        ...(verified.owners === undefined || verified.owners.length === 0 ? {} : { owners: verified.owners }),
      },
    };
  return previous?.version === candidate.version && previous.signature !== undefined
    ? { signature: previous.signature }
    : undefined;
}

async function verifySignature(
  source: PackageSource,
  candidate: VersionCandidate,
  bytes: Uint8Array,
  previous: LockedPackage | undefined,
): Promise<SignatureInfo> {
  const wasSigned =
    previous?.signature === undefined
      ? ''
      : ` (${candidate.name}@${previous.version} was installed signed by ${previous.signature.keyId})`;
  if (source.verifyArchive === undefined) {
    throw new MarketplaceError(
      'GGEN_E_SIGNATURE_MISSING',
      `${candidate.name}@${candidate.version} comes from a ${source.backend} registry, which holds no signatures${wasSigned}`,
      {
        hint:
          wasSigned === ''
            ? 'Install signed packages from a v2 registry (--backend v2), or install without --verify-signature / require_signatures.'
            : `A package installed with a verified signature is only replaced by a signed one. To accept it unsigned, remove it first (ggen marketplace remove ${candidate.name}).`,
        details: { package: candidate.name, backend: source.backend },
      },
    );
  }
  return source.verifyArchive(candidate, bytes, previous?.signature);
}

async function runLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      if (item !== undefined) await task(item);
    }
  });
  await Promise.all(workers);
}

/**
 * The integrity an archive is kept under in the cache, when it is kept at all: a remote archive
 * with an integrity to check it by (a local registry's archive is read where it is).
 */
function cacheIntegrity(context: Context, candidate: VersionCandidate): string | undefined {
  return context.archiveCache === undefined || !isHttpLocation(candidate.archive) ? undefined : candidate.integrity;
}

/**
 * Installed packs whose files were edited since ggen wrote them (they no longer hash to the
 * lockfile's contentHash) are not overwritten unless the user said so (`--force`), as a checkout
 * refuses to drop local changes. `list` shows the drift.
 */
function localChanges(context: Context, modified: string[]): MarketplaceError {
  const names = modified.join(' ');
  return new MarketplaceError(
    'GGEN_E_LOCAL_CHANGES',
    `${modified.length === 1 ? `${names} has` : `${modified.join(', ')} have`} local changes in ${context.packagesDir} that this install would overwrite`,
    {
      hint: `Nothing was changed. Keep your edits elsewhere, then replace them with: ggen marketplace install ${names} --force (ggen marketplace list shows what drifted).`,
      details: { packages: modified, packagesDir: context.packagesDir },
    },
  );
}
