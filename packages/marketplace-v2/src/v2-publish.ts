import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
  registryLocation,
  type CatalogPackage,
  type PublishCompanion,
  type PublishCompanionFactory,
  type PublishRequest,
  type PublishResult,
} from '@ggen/marketplace-core';
import semverRcompare from 'semver/functions/rcompare.js';
import { catalogNQuadPieces } from './catalog-rdf.js';
import { EmbeddedCatalog } from './catalog-source.js';
import { CATALOG_FILE, fetchCatalogChunks } from './catalog-file.js';
import {
  checkPublisher,
  checkScopePublisher,
  readKeyStatements,
  readOwnerAuthority,
  writeKeyStatements,
} from './v2-package-keys.js';
import { publicKeyLine } from './signing/minisign-format.js';
import { formatKeyStatement, ownerKeyLines, verifyOwnerChain } from './signing/key-statements.js';

/** Writes a registry's whole catalog atomically (postings depend on every package), a package's text at a time. */
export async function writeV2Catalog(dir: string, packages: CatalogPackage[]): Promise<string> {
  const path = join(dir, CATALOG_FILE);
  try {
    await writeFileAtomic(path, catalogNQuadPieces(packages));
  } catch (error) {
    throw fromFsError(error, 'writing', path);
  }
  return path;
}

export async function readV2CatalogFile(dir: string): Promise<CatalogPackage[]> {
  const path = join(dir, CATALOG_FILE);
  if (!existsSync(path)) return [];
  try {
    // In line-aligned chunks: a catalog of 100k packs is more than one JavaScript string can hold.
    const { chunks } = await fetchCatalogChunks(dir, { timeoutMs: 60_000, retries: 0 });
    return await new EmbeddedCatalog(chunks).allPackages();
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
  const refuseExisting = (packages: CatalogPackage[]): void => {
    const existing = packages.find((pkg) => pkg.name === manifest.name);
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
    if (existing === undefined)
      refuseConfusableName(
        manifest.name,
        packages.map((pkg) => pkg.name),
        request.registry,
        signerOwns,
      );
  };
  let packages: CatalogPackage[] = [];
  return {
    file: CATALOG_FILE,
    check: async () => {
      packages = await readV2CatalogFile(request.registry);
      refuseExisting(packages);
      checkOwnership();
      if (request.dryRun !== true && scope !== undefined && scopeOwnership !== undefined) {
        const left = packages
          .filter((pkg) => pkg.name !== manifest.name && scopeOf(pkg.name) === scope)
          .map((pkg) => pkg.name);
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
      let pkg = packages.find((entry) => entry.name === manifest.name);
      if (pkg === undefined) {
        pkg = {
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
        packages.push(pkg);
      }
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
      await writeV2Catalog(request.registry, packages);
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
