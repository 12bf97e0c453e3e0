import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readArchive, writeArchiveEntries } from '../archive/extract-archive.js';
import { computeChecksum, computeIntegrity } from '../archive/integrity.js';
import { packDirectory, type PackedArchive } from '../archive/pack-archive.js';
import { fromFsError, MarketplaceError } from '../errors.js';
import type { RegistryWriter } from '../registry/registry-location.js';
import { writeFileAtomic } from '../install/install-transaction.js';
import type { GpackManifest } from './gpack-manifest.js';
import type { PublishCompanion, PublishRequest, PublishResult } from '../models.js';
import { readManifest, validatePackageDir } from './read-manifest.js';

export interface PreparedPublish {
  manifest: GpackManifest;
  packed: PackedArchive;
  /** Where the archive goes inside a registry. */
  archive: string;
}

/** The registry-independent half of publish: validate the manifest, pack the archive. */
export async function preparePublish(dir: string): Promise<PreparedPublish> {
  const report = validatePackageDir(dir);
  const firstError = report.issues.find((issue) => issue.severity === 'error');
  if (!report.valid || firstError !== undefined) {
    throw new MarketplaceError('GGEN_E_MANIFEST_INVALID', firstError?.message ?? `The manifest in ${dir} is invalid`, {
      hint: `Run 'ggen marketplace validate ${dir}' for the full report.`,
      details: {
        ...(firstError?.file === undefined ? {} : { file: firstError.file }),
        ...(firstError?.line === undefined ? {} : { line: firstError.line }),
        ...(firstError?.field === undefined ? {} : { field: firstError.field }),
      },
    });
  }
  const { manifest } = readManifest(dir);
  const packed = await packDirectory(dir, {
    include: manifest.files.length === 0 ? [] : [...manifest.files, ...manifest.templates],
  });
  return { manifest, packed, archive: `archives/${manifest.name}-${manifest.version}.tgz` };
}

/**
 * The same half for an archive that arrived packed (a publish to a registry server): it is read
 * under the install limits, unpacked into a temporary directory and judged there by the very
 * validation and file selection a publish from a directory gets. The archive is kept byte for
 * byte (its signature covers those bytes); one holding a file a publish would leave out as a
 * secret is refused.
 */
export async function prepareArchivePublish(bytes: Uint8Array, label: string): Promise<PreparedPublish> {
  const entries = await readArchive(bytes, label);
  const scratch = await mkdtemp(join(tmpdir(), 'ggen-publish-'));
  try {
    const dir = join(scratch, 'package');
    await writeArchiveEntries(entries, dir);
    let prepared: PreparedPublish;
    try {
      prepared = await preparePublish(dir);
    } catch (error) {
      // Said of the archive, not of a scratch directory its sender never saw.
      if (!(error instanceof MarketplaceError)) throw error;
      throw new MarketplaceError(error.code, error.message.replaceAll(`${dir}/`, `${label}: `).replaceAll(dir, label), {
        hint: 'Nothing was published. Fix the manifest (ggen marketplace validate <dir> shows every problem), then publish again.',
        ...(error.details === undefined ? {} : { details: error.details }),
      });
    }
    if (prepared.packed.secrets.length > 0) {
      throw new MarketplaceError(
        'GGEN_E_ARCHIVE_UNSAFE',
        `${label} holds files that look like secrets: ${prepared.packed.secrets.join(', ')}`,
        {
          hint: 'Nothing was published. Publish with ggen marketplace publish, which leaves secrets out, or remove them from the archive.',
          details: { files: prepared.packed.secrets },
        },
      );
    }
    const files = entries.flatMap((entry) => (entry.type === 'file' ? [entry.path] : [])).sort();
    const unpackedSize = entries.reduce((sum, entry) => sum + (entry.type === 'file' ? entry.content.length : 0), 0);
    const packed: PackedArchive = {
      ...prepared.packed,
      bytes: Buffer.from(bytes),
      files,
      integrity: computeIntegrity(bytes),
      checksum: computeChecksum(bytes),
      size: bytes.length,
      unpackedSize,
    };
    return { ...prepared, packed };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export function versionExistsError(name: string, version: string, registry: string): MarketplaceError {
  return new MarketplaceError('GGEN_E_VERSION_EXISTS', `${name}@${version} is already published in ${registry}`, {
    hint: 'Published versions are immutable; bump the version in the manifest and publish again.',
    details: { package: name, version },
  });
}

/** A name as people misread it: `web_toolkit`, `web-toolkit` and `web.toolkit` are one; so are `@acme-` and `@acme`. */
export function nameSkeleton(name: string): string {
  return name.toLowerCase().replace(/[-_.]/g, '');
}

/**
 * The one rule against look-alike names, for every registry writer: a new package (or scope)
 * whose name reads as one already there is refused, unless `mayUse` says the publisher owns
 * that one (a signed publisher who owns both may keep both).
 */
export function refuseConfusableName(
  name: string,
  existing: Iterable<string>,
  registry: string,
  mayUse: (other: string) => boolean = () => false,
): void {
  const scope = name.startsWith('@') ? name.slice(0, name.indexOf('/')) : undefined;
  const skeleton = nameSkeleton(name);
  const scopeSkeleton = scope === undefined ? undefined : nameSkeleton(scope);
  for (const other of existing) {
    if (other === name) return;
  }
  for (const other of existing) {
    const otherScope = other.startsWith('@') ? other.slice(0, other.indexOf('/')) : undefined;
    const clash =
      nameSkeleton(other) === skeleton
        ? other
        : scope !== undefined &&
            otherScope !== undefined &&
            otherScope !== scope &&
            nameSkeleton(otherScope) === scopeSkeleton
          ? otherScope
          : undefined;
    if (clash === undefined || mayUse(clash)) continue;
    throw new MarketplaceError('GGEN_E_NAME_TAKEN', `${name} reads as ${clash}, which ${registry} already has`, {
      hint: `Names that differ only by case, '-', '_' or '.' (and scopes likewise) are one name, so that nobody installs a look-alike. Choose another name${clash.startsWith('@') && !clash.includes('/') ? ' or scope' : ''}.`,
      details: { package: name, existing: clash },
    });
  }
}

/** `doing`: what was refused, e.g. "publish to", "yank in". */

/**
 * One format's publish (`steps`: its checks and its write), with the other format's part when
 * the registry holds both (`request.companion`). A dry run runs both checks and writes nothing.
 * Otherwise, under the registry's publish lock: both checks (e.g. refuse an existing version),
 * the archive (and its signature), then the index or catalog, then the companion's. An archive
 * left by a crash before the update is unreferenced and harmless.
 */
export async function publishWithSteps(
  registry: RegistryWriter,
  prepared: PreparedPublish,
  request: Omit<PublishRequest, 'dir'>,
  result: PublishResult,
  steps: PublishCompanion,
  signature?: string,
): Promise<PublishResult> {
  const companion = request.companion?.(prepared, request, result);
  if (request.dryRun === true) {
    await steps.check();
    await companion?.check();
    return result;
  }
  await registry.locked(async () => {
    await steps.check();
    await companion?.check();
    const target = join(registry.dir, prepared.archive);
    const files: [string, string | Uint8Array][] = [[target, prepared.packed.bytes]];
    if (signature !== undefined) files.push([`${target}.minisig`, signature]);
    for (const [path, content] of files) {
      try {
        await writeFileAtomic(path, content);
      } catch (error) {
        throw fromFsError(error, 'writing', path);
      }
    }
    await steps.update();
    await companion?.update();
  });
  return { ...result, formats: [steps.file, ...(companion === undefined ? [] : [companion.file])] };
}
