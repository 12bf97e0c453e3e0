import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import semver from 'semver';
import { parse as parseYaml } from 'yaml';
import { readArchive, writeArchiveEntries, type ArchiveEntry } from '../archive/extract-archive.js';
import { computeIntegrity, verifyIntegrity } from '../archive/integrity.js';
import { fromFsError, MarketplaceError } from '../errors.js';
import { isPackageName, packageDir } from '../names.js';
import type {
  SignatureInfo,
  InstalledPackage,
  InstallPolicy,
  InstallRequest,
  InstallResult,
  PlannedPackage,
  RemoveRequest,
  RemoveResult,
  UpdateRequest,
  UpdateResult,
} from '../models.js';
import { hashDirectory, hashEntries } from './content-hash.js';
import { withFileLock } from './file-lock.js';
import type { InstallEvents } from './install-events.js';
import { beginTransaction, commitTransaction, LOCK_FILE, recoverTransaction, stagingDir, TRANSACTION_DIR } from './install-transaction.js';
import { emptyLockfile, readLockfile, serializeLockfile, type LockedPackage, type Lockfile } from './lockfile.js';
import { distTagProblem } from '../registry/lifecycle.js';
import { lockedArchiveLocation, lockedFetchError, lockedResolved } from './locked-location.js';
import type { PackageSource, VersionCandidate } from './package-source.js';
import { resolveDependencies, satisfies, type Resolution } from './resolve-dependencies.js';

const FETCH_CONCURRENCY = 4;

/** `name`, `name@1.2.3`, `name@^1.2` or `name@beta` (a dist-tag): the package and the range or tag asked for. */
export function parsePackageSpec(spec: string): { name: string; range: string | undefined; tag?: string } {
  const at = spec.indexOf('@', 1);
  const name = (at === -1 ? spec : spec.slice(0, at)).trim().toLowerCase();
  const range = at === -1 ? undefined : spec.slice(at + 1).trim();
  if (range !== undefined && isPackageName(name) && semver.validRange(range) === null && distTagProblem(range) === undefined) return { name, range: undefined, tag: range };
  if (!isPackageName(name)) {
    throw new MarketplaceError('GGEN_E_USAGE', `'${spec}' is not a package name`, {
      hint: 'Package names use lowercase letters, digits, ".", "_" and "-", optionally in a scope (@acme/hello); add @<range> for a version, e.g. hello@^1.0.0.',
    });
  }
  if (range !== undefined && (range === '' || semver.validRange(range) === null)) {
    throw new MarketplaceError('GGEN_E_USAGE', `'${range}' in '${spec}' is not a semver version or range`, {
      hint: 'Use a version (1.2.3) or a range (^1.2.0, ~1.2, >=1 <2).',
    });
  }
  return { name, range };
}

interface Context {
  source: PackageSource;
  packagesDir: string;
  lockfilePath: string;
  events: InstallEvents | undefined;
}

async function withInstallLock<T>(context: Context, task: () => Promise<T>): Promise<T> {
  try {
    await mkdir(context.packagesDir, { recursive: true });
    await mkdir(dirname(context.lockfilePath), { recursive: true });
  } catch (error) {
    throw fromFsError(error, 'creating', context.packagesDir);
  }
  return withFileLock(
    join(context.packagesDir, LOCK_FILE),
    async () => {
      const recovered = await recoverTransaction(context.packagesDir);
      if (recovered !== undefined) context.events?.({ type: 'recovered', action: recovered });
      return task();
    },
    { onWait: ({ pid }) => context.events?.({ type: 'lock-wait', pid }) },
  );
}

export async function installPackages(source: PackageSource, request: InstallRequest, events?: InstallEvents): Promise<InstallResult> {
  const context: Context = { source, packagesDir: request.packagesDir, lockfilePath: request.lockfilePath, events };
  const specs = request.specs.map(parsePackageSpec);
  return withInstallLock(context, async () => {
    const lockfile = (await readLockfile(request.lockfilePath)) ?? emptyLockfile();
    // No names: install exactly the lockfile, as `npm ci` and `pnpm install` do.
    if (specs.length === 0 && !request.frozenLockfile && Object.keys(lockfile.packages).length === 0) {
      throw new MarketplaceError('GGEN_E_USAGE', `Nothing to install: no names given, and ${request.lockfilePath} is missing or empty`, {
        hint: 'Name packages (ggen marketplace install <name[@range]>...), or run where the project keeps its ggen.lock (--target).',
        details: { lockfile: request.lockfilePath },
      });
    }
    if (request.frozenLockfile || specs.length === 0) return installFrozen(context, lockfile, specs, request);
    // `name@tag` is the version the tag points at, recorded as ^version like a bare name.
    for (const spec of specs) if (spec.tag !== undefined) spec.range = await taggedVersion(source, spec.name, spec.tag);

    const requests: Record<string, string> = { ...lockfile.requested };
    for (const spec of specs) requests[spec.name] = spec.range ?? '*';
    const preferred = lockedVersions(lockfile, new Set(specs.map((spec) => spec.name)));
    const resolution = await resolveDependencies({ source, requests, preferred, noDependencies: request.noDependencies ?? false });
    events?.({ type: 'resolved', count: resolution.packages.size });

    // A bare name is recorded as ^<resolved>, as npm does, so that update stays within the major.
    for (const spec of specs) {
      const version = resolution.packages.get(spec.name)?.version;
      if ((spec.range === undefined || spec.tag !== undefined) && version !== undefined) requests[spec.name] = `^${version}`;
    }
    for (const candidate of resolution.packages.values()) {
      if (candidate.deprecated !== undefined) events?.({ type: 'deprecated', name: candidate.name, version: candidate.version, message: candidate.deprecated });
    }
    const forced = request.force ? new Set(specs.map((spec) => spec.name)) : new Set<string>();
    return applyResolution(context, lockfile, resolution, requests, {
      dryRun: request.dryRun ?? false,
      forced,
      asked: Object.fromEntries(specs.map((spec) => [spec.name, spec.range])),
      ...policyOf(request),
    });
  });
}

async function taggedVersion(source: PackageSource, name: string, tag: string): Promise<string> {
  const versions = await source.getVersions(name);
  if (versions === null) {
    throw new MarketplaceError('GGEN_E_PACKAGE_NOT_FOUND', `Package '${name}' not found`, { hint: `Search for it: ggen marketplace search ${name}`, details: { package: name } });
  }
  const tagged = versions.find((candidate) => candidate.tags?.includes(tag));
  if (tagged === undefined) {
    const tags = [...new Set(versions.flatMap((candidate) => candidate.tags ?? []))];
    throw new MarketplaceError('GGEN_E_VERSION_NOT_FOUND', `${name} has no dist-tag '${tag}'`, {
      hint: `Its tags: ${tags.join(', ') || 'none'}; or ask for a version or range (${name}@^1.0.0).`,
      details: { package: name, tag },
    });
  }
  return tagged.version;
}

async function installFrozen(
  context: Context,
  lockfile: Lockfile,
  specs: { name: string; range: string | undefined }[],
  request: InstallRequest,
): Promise<InstallResult> {
  if (Object.keys(lockfile.packages).length === 0) {
    throw new MarketplaceError('GGEN_E_FROZEN_LOCKFILE', `--frozen-lockfile needs ${request.lockfilePath}, which is missing or empty`, {
      hint: 'Run install once without --frozen-lockfile to create the lockfile, and commit it.',
    });
  }
  for (const spec of specs) {
    const locked = lockfile.packages[spec.name];
    if (locked === undefined || (spec.range !== undefined && !satisfies(locked.version, spec.range))) {
      throw new MarketplaceError(
        'GGEN_E_FROZEN_LOCKFILE',
        `The lockfile does not satisfy ${spec.name}${spec.range === undefined ? '' : `@${spec.range}`} (${locked === undefined ? 'not locked' : `locked at ${locked.version}`})`,
        { hint: 'Run install without --frozen-lockfile to update the lockfile.', details: { package: spec.name } },
      );
    }
  }
  const packages = new Map<string, VersionCandidate>();
  for (const [name, locked] of Object.entries(lockfile.packages)) {
    packages.set(name, {
      name,
      version: locked.version,
      dependencies: locked.dependencies,
      yanked: false,
      archive: lockedArchiveLocation(name, locked.resolved, locked.backend, context.source),
      locked: locked.resolved,
      integrity: locked.integrity,
      ...(locked.checksum === undefined ? {} : { checksum: locked.checksum }),
      backend: locked.backend,
      ...(locked.signature === undefined ? {} : { signature: locked.signature }),
    });
  }
  const resolution: Resolution = { packages, order: [...packages.keys()].sort(), cycles: [] };
  return applyResolution(context, lockfile, resolution, lockfile.requested, { dryRun: request.dryRun ?? false, forced: new Set(), asked: {}, ...policyOf(request) });
}

/** Verification and rollback protection: one rule for install, frozen install and update. */
function policyOf(request: InstallPolicy): Required<Omit<InstallPolicy, 'signal' | 'crossRegistry'>> & Pick<InstallPolicy, 'signal'> {
  return { verifySignatures: request.verifySignatures ?? false, allowDowngrade: request.allowDowngrade ?? false, ...(request.signal === undefined ? {} : { signal: request.signal }) };
}

/**
 * A rollback (a version older than the lockfile pins) is what a registry that hides new
 * versions would cause: refused unless asked for, by --allow-downgrade or by a range that
 * excludes the locked version.
 */
function refuseDowngrades(lockfile: Lockfile, resolution: Resolution, asked: Record<string, string | undefined>, allowed: boolean): void {
  if (allowed) return;
  for (const [name, candidate] of resolution.packages) {
    const locked = lockfile.packages[name]?.version;
    if (locked === undefined || !semver.valid(locked) || !semver.lt(candidate.version, locked)) continue;
    const range = asked[name];
    if (range !== undefined && !satisfies(locked, range)) continue;
    throw new MarketplaceError('GGEN_E_DOWNGRADE', `${name} would go from ${locked} (locked) back to ${candidate.version}`, {
      hint: `The registry may be hiding newer versions (a rollback attack). If you want ${candidate.version}, ask for it (${name}@${candidate.version}) or pass --allow-downgrade.`,
      details: { package: name, locked, candidate: candidate.version },
    });
  }
}

/** The manifest inside the archive must name the package and version the registry says it is. */
function checkArchiveManifest(entries: ArchiveEntry[], candidate: VersionCandidate): void {
  const manifest = entries.find((entry): entry is Extract<ArchiveEntry, { type: 'file' }> => entry.type === 'file' && entry.path === 'gpack.yaml');
  if (manifest === undefined) return;
  let parsed: unknown;
  try {
    parsed = parseYaml(manifest.content.toString('utf8'));
  } catch {
    // An unreadable manifest is the package's problem, not a metadata mismatch.
    return;
  }
  const fields = (parsed ?? {}) as { name?: unknown; version?: unknown };
  const name = typeof fields.name === 'string' ? fields.name : undefined;
  const version = typeof fields.version === 'string' ? fields.version : undefined;
  const wrong = [name !== undefined && name.toLowerCase() !== candidate.name ? `name ${name}` : undefined, version !== undefined && version !== candidate.version ? `version ${version}` : undefined].filter(
    (item): item is string => item !== undefined,
  );
  if (wrong.length > 0) {
    throw new MarketplaceError('GGEN_E_METADATA_MISMATCH', `The registry lists ${candidate.name}@${candidate.version}, but the archive's gpack.yaml says ${wrong.join(', ')}`, {
      hint: 'The archive is what was signed and what would be installed; the registry metadata is wrong. Nothing was installed; report it to the registry.',
      details: { package: candidate.name, version: candidate.version, archive: { name, version } },
    });
  }
}

function lockedVersions(lockfile: Lockfile, except: Set<string>): Record<string, string> {
  const preferred: Record<string, string> = {};
  for (const [name, locked] of Object.entries(lockfile.packages)) if (!except.has(name)) preferred[name] = locked.version;
  return preferred;
}

interface ApplyOptions extends ReturnType<typeof policyOf> {
  dryRun: boolean;
  forced: Set<string>;
  /** The ranges typed on this command line: a range that excludes the locked version asks for the downgrade. */
  asked: Record<string, string | undefined>;
}

/** Plans, fetches, verifies, stages and commits one resolution, as one transaction. */
async function applyResolution(
  context: Context,
  lockfile: Lockfile,
  resolution: Resolution,
  requests: Record<string, string>,
  options: ApplyOptions,
): Promise<InstallResult> {
  refuseDowngrades(lockfile, resolution, options.asked, options.allowDowngrade);
  const planned: PlannedPackage[] = [];
  for (const name of resolution.order) {
    const candidate = resolution.packages.get(name);
    if (candidate === undefined) continue;
    const locked = lockfile.packages[name];
    // Under verification, a package installed without a verified signature is fetched and checked again.
    const intact =
      locked?.version === candidate.version &&
      (!options.verifySignatures || locked.signature !== undefined) &&
      locked.integrity === (candidate.integrity ?? locked.integrity) &&
      (await hashDirectory(packageDir(context.packagesDir, name))) === locked.contentHash;
    const action: PlannedPackage['action'] = intact && !options.forced.has(name) ? 'unchanged' : existsSync(packageDir(context.packagesDir, name)) ? 'replace' : 'install';
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
  await beginTransaction(context.packagesDir);
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
      const bytes = await context.source.fetchArchive(candidate).catch((error: unknown) => {
        throw candidate.locked === undefined ? error : lockedFetchError(error, candidate, candidate.locked, context.source);
      });
      verifyIntegrity(bytes, { ...(candidate.integrity === undefined ? {} : { integrity: candidate.integrity }), ...(candidate.checksum === undefined ? {} : { checksum: candidate.checksum }) }, label);
      // A package the lockfile records as signed stays signed: its replacement is verified too
      // (a registry cannot turn verification off for a package by serving it unsigned).
      const previous = lockfile.packages[entry.name];
      if (options.verifySignatures || previous?.signature !== undefined) signatures.set(entry.name, await verifySignature(context.source, candidate, bytes, previous));
      const entries = await readArchive(bytes, label);
      checkArchiveManifest(entries, candidate);
      await writeArchiveEntries(entries, stagingDir(context.packagesDir, entry.name));
      contentHashes.set(entry.name, hashEntries(entries));
      integrities.set(entry.name, candidate.integrity ?? computeIntegrity(bytes));
      done += 1;
      context.events?.({ type: 'fetched', name: candidate.name, version: candidate.version, done, total: toFetch.length });
    });
  } catch (error) {
    // Nothing is committed before the journal: drop what was staged, so that a refused
    // package (bad signature, tampered archive) leaves no trace for the next command.
    await recoverTransaction(context.packagesDir);
    throw error;
  }

  const next: Lockfile = { lockfileVersion: 1, requested: requests, packages: {} };
  for (const [name, candidate] of resolution.packages) {
    const previous = lockfile.packages[name];
    const contentHash = contentHashes.get(name) ?? previous?.contentHash;
    const integrity = integrities.get(name) ?? candidate.integrity ?? previous?.integrity;
    if (contentHash === undefined || integrity === undefined) continue;
    const entry: LockedPackage = {
      version: candidate.version,
      resolved: lockedResolved(candidate, context.source),
      integrity,
      ...(candidate.checksum === undefined ? {} : { checksum: candidate.checksum }),
      dependencies: candidate.dependencies,
      backend: candidate.backend,
      ...(signatureOf(signatures.get(name), candidate, previous) ?? {}),
      contentHash,
    };
    next.packages[name] = entry;
  }
  for (const entry of toFetch) {
    entry.integrity = next.packages[entry.name]?.integrity ?? entry.integrity;
    const signature = signatures.get(entry.name);
    if (signature !== undefined) entry.signature = signature;
  }
  // The commit point: an attempt given up by now (its fallback already answered) drops its staging instead.
  if (options.signal?.aborted === true) {
    await recoverTransaction(context.packagesDir);
    options.signal.throwIfAborted();
  }
  await commitTransaction(context.packagesDir, {
    install: toFetch.map((entry) => entry.name),
    remove: obsolete,
    lockfile: context.lockfilePath,
    lockfileContent: serializeLockfile(next),
  });
  context.events?.({ type: 'committed', count: toFetch.length });
  return result;
}

/** The lockfile's signature entry: verified now, or verified when the same version was installed. */
function signatureOf(verified: SignatureInfo | undefined, candidate: VersionCandidate, previous: LockedPackage | undefined): { signature: LockedPackage['signature'] } | undefined {
  if (verified !== undefined) return { signature: { keyId: verified.keyId, ...(verified.owners === undefined || verified.owners.length === 0 ? {} : { owners: verified.owners }) } };
  return previous?.version === candidate.version && previous.signature !== undefined ? { signature: previous.signature } : undefined;
}

async function verifySignature(source: PackageSource, candidate: VersionCandidate, bytes: Uint8Array, previous: LockedPackage | undefined): Promise<SignatureInfo> {
  const wasSigned = previous?.signature === undefined ? '' : ` (${candidate.name}@${previous.version} was installed signed by ${previous.signature.keyId})`;
  if (source.verifyArchive === undefined) {
    throw new MarketplaceError('GGEN_E_SIGNATURE_MISSING', `${candidate.name}@${candidate.version} comes from a ${source.backend} registry, which holds no signatures${wasSigned}`, {
      hint:
        wasSigned === ''
          ? 'Install signed packages from a v2 registry (--backend v2), or install without --verify-signature / require_signatures.'
          : `A package installed with a verified signature is only replaced by a signed one. To accept it unsigned, remove it first (ggen marketplace remove ${candidate.name}).`,
      details: { package: candidate.name, backend: source.backend },
    });
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

export async function updatePackages(source: PackageSource, request: UpdateRequest, events?: InstallEvents): Promise<UpdateResult> {
  const context: Context = { source, packagesDir: request.packagesDir, lockfilePath: request.lockfilePath, events };
  return withInstallLock(context, async () => {
    const lockfile = await readLockfile(request.lockfilePath);
    if (lockfile === null || Object.keys(lockfile.requested).length === 0) {
      throw new MarketplaceError('GGEN_E_NOT_INSTALLED', 'Nothing is installed here, so there is nothing to update', {
        hint: 'Install packages first with ggen marketplace install <name>.',
      });
    }
    if (request.name !== undefined && lockfile.packages[request.name] === undefined) {
      throw new MarketplaceError('GGEN_E_NOT_INSTALLED', `Package '${request.name}' is not installed`, {
        hint: "See what is installed with 'ggen marketplace list'.",
      });
    }
    // Updating one package keeps every other locked version where it can.
    const preferred = request.name === undefined ? {} : lockedVersions(lockfile, new Set([request.name]));
    const resolution = await resolveDependencies({ source, requests: lockfile.requested, preferred });
    const changes = [...resolution.packages.values()]
      .filter((candidate) => lockfile.packages[candidate.name]?.version !== candidate.version)
      .map((candidate) => {
        const from = lockfile.packages[candidate.name]?.version;
        return { name: candidate.name, ...(from === undefined ? {} : { from }), to: candidate.version };
      })
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    // The same plan, verification and rollback rule as install: a dry run refuses what the update would refuse.
    await applyResolution(context, lockfile, resolution, lockfile.requested, { dryRun: request.dryRun === true || changes.length === 0, forced: new Set(), asked: {}, ...policyOf(request) });
    return { changes, dryRun: request.dryRun ?? false };
  });
}

export async function removePackage(source: PackageSource, request: RemoveRequest, events?: InstallEvents): Promise<RemoveResult> {
  const context: Context = { source, packagesDir: request.packagesDir, lockfilePath: request.lockfilePath, events };
  return withInstallLock(context, async () => {
    const lockfile = (await readLockfile(request.lockfilePath)) ?? emptyLockfile();
    const name = request.name.toLowerCase();
    if (lockfile.packages[name] === undefined && lockfile.requested[name] === undefined) {
      throw new MarketplaceError('GGEN_E_NOT_INSTALLED', `Package '${name}' is not installed`, {
        hint: "See what is installed with 'ggen marketplace list'.",
      });
    }
    const dependents = Object.entries(lockfile.packages)
      .filter(([other, locked]) => other !== name && Object.hasOwn(locked.dependencies, name))
      .map(([other]) => other)
      .sort();
    if (dependents.length > 0 && !request.force) {
      throw new MarketplaceError('GGEN_E_DEPENDED_UPON', `Cannot remove '${name}': ${dependents.join(', ')} depend${dependents.length === 1 ? 's' : ''} on it`, {
        hint: 'Remove those packages first, or pass --force to remove it anyway.',
        details: { package: name, dependents },
      });
    }
    const requested = Object.fromEntries(Object.entries(lockfile.requested).filter(([other]) => other !== name));
    // Keep what the remaining requests still reach; the rest goes, as npm prunes.
    const keep = new Set<string>();
    const visit = (current: string): void => {
      if (keep.has(current) || (current === name && request.force)) return;
      const locked = lockfile.packages[current];
      if (locked === undefined) return;
      keep.add(current);
      for (const dep of Object.keys(locked.dependencies)) visit(dep);
    };
    for (const root of Object.keys(requested)) visit(root);
    const removed = Object.keys(lockfile.packages).filter((other) => !keep.has(other)).sort();
    if (!request.dryRun) {
      request.signal?.throwIfAborted();
      const next: Lockfile = {
        lockfileVersion: 1,
        requested,
        packages: Object.fromEntries(Object.entries(lockfile.packages).filter(([other]) => keep.has(other))),
      };
      await beginTransaction(context.packagesDir);
      await commitTransaction(context.packagesDir, {
        install: [],
        remove: removed,
        lockfile: request.lockfilePath,
        lockfileContent: Object.keys(next.packages).length === 0 && Object.keys(requested).length === 0 ? null : serializeLockfile(next),
      });
    }
    return { removed, dryRun: request.dryRun ?? false };
  });
}

/** The package directories under `packagesDir`: `name` and, inside each `@scope`, `@scope/name`. */
async function installedDirectories(packagesDir: string): Promise<string[]> {
  const directories = async (dir: string): Promise<string[]> => {
    try {
      return (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fromFsError(error, 'reading', dir);
      return [];
    }
  };
  const names: string[] = [];
  for (const name of await directories(packagesDir)) {
    if (name.startsWith('@')) for (const inner of await directories(join(packagesDir, name))) names.push(`${name}/${inner}`);
    else names.push(name);
  }
  return names;
}

/** Installed packages from the lockfile and the disk, with drift flagged. */
export async function listInstalledPackages(options: { packagesDir: string; lockfilePath: string }): Promise<InstalledPackage[]> {
  if (existsSync(join(options.packagesDir, TRANSACTION_DIR))) {
    await withFileLock(join(options.packagesDir, LOCK_FILE), async () => {
      await recoverTransaction(options.packagesDir);
    });
  }
  const lockfile = (await readLockfile(options.lockfilePath)) ?? emptyLockfile();
  const result: InstalledPackage[] = [];
  for (const [name, locked] of Object.entries(lockfile.packages)) {
    const path = packageDir(options.packagesDir, name);
    const hash = await hashDirectory(path);
    result.push({
      name,
      version: locked.version,
      status: hash === undefined ? 'missing' : hash === locked.contentHash ? 'ok' : 'modified',
      backend: locked.backend,
      direct: Object.hasOwn(lockfile.requested, name),
      path,
    });
  }
  const onDisk = await installedDirectories(options.packagesDir);
  for (const name of onDisk) {
    if (lockfile.packages[name] === undefined) result.push({ name, status: 'extraneous', direct: false, path: join(options.packagesDir, name) });
  }
  return result.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
