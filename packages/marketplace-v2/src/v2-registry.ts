import { dirname, join } from 'node:path';
import {
  computeIntegrity,
  isHttpLocation,
  isHttpNotFound,
  type SignatureInfo,
  catalogVersionCandidates,
  fetchCandidateArchive,
  fetchResource,
  MarketplaceError,
  resolveLocation,
  scopeOf,
  type ResourceKind,
  type CatalogPackage,
  type BackendType,
  type FetchOptions,
  type PackageSource,
  type VersionCandidate,
} from '@ggen/marketplace-core';
import { EmbeddedCatalog, type CatalogSource } from './catalog-source.js';
import { RemoteCatalog, type RemoteCatalogOptions } from './remote-catalog.js';
import { isRegistryServer, keptFetch, serverCacheDir, ServerCatalog } from './server-catalog.js';
import { openLocalStore } from './local-store/local-store.js';
import { ShardedCatalog } from './local-store/sharded-catalog.js';
import { fetchCatalogText } from './catalog-file.js';
import { CATALOG_GRAPH, V } from './vocabulary.js';
import { formatKeyId, isPublicKeyLine, keyLabel, publicKeyLine, type PublicKey } from './signing/minisign-format.js';
import { requireVerified, verifyPackageSignature } from './signing/package-signature.js';
import { parseLifecycleLog, signedLifecycle } from './signing/lifecycle-statements.js';
import {
  descendsFromScope,
  keyStatementsPath,
  ownerAuthority,
  parseKeyStatementsFile,
  verifyOwnerChain,
  type OwnerChain,
} from './signing/key-statements.js';
import type { QueryCache } from './local-store/query-cache.js';
import type { SelectQuery } from 'sparqljs';
import { Generator } from './sparql-generator.js';
import { namedNode, literal, variable } from './rdf-terms.js';

export interface V2RegistryOptions extends FetchOptions {
  /** A directory or an http(s) base URL holding catalog.nq and the archives. */
  location: string;
  /** When set, the catalog is queried on this SPARQL endpoint instead of loaded from catalog.nq. */
  remote?: RemoteCatalogOptions;
  /** The keys whose signatures installs accept (config trusted_keys and the trust file). */
  trustedKeys?: () => Promise<PublicKey[]>;
  /** Where synced local stores live (`<cache_dir>/v2-store`); without it, every run loads the whole catalog. */
  storeRoot?: string;
  /** The other configured registry (v1), asked for names this one does not know when a request allows it. */
  otherRegistry?: () => PackageSource;
  /** What the process keeps between commands (the query service's stores); none: nothing is kept. */
  cache?: QueryCache;
}

export interface DependencyClosure {
  /** Every package reachable through any version's dependencies. */
  names: string[];
  /** Whether the root reaches itself again. */
  cyclic: boolean;
}

const generator = new Generator();

/** A v2 registry: its RDF catalog, loaded into the embedded store once per process, and archives. */
export class V2Registry implements PackageSource {
  readonly backend = 'v2' as const;
  readonly #options: V2RegistryOptions;
  #catalog: Promise<CatalogSource> | undefined;
  readonly #cache = new Map<string, CatalogPackage | null>();
  /** Each package's verified owner chain, read once per registry object (a resolution and its verification share it). */
  readonly #chains = new Map<string, Promise<OwnerChain | undefined>>();

  constructor(options: V2RegistryOptions, catalog?: CatalogSource) {
    this.#options = options;
    if (catalog !== undefined) this.#catalog = Promise.resolve(catalog);
  }

  get location(): string {
    return this.#options.location;
  }

  catalog(): Promise<CatalogSource> {
    const remote = this.#options.remote;
    if (remote !== undefined) this.#catalog ??= Promise.resolve(new RemoteCatalog(remote));
    // A registry server is read a package at a time; a static http registry, as a directory is.
    if (isHttpLocation(this.#options.location) && this.#catalog === undefined) {
      const { location } = this.#options;
      // Its documents are kept beside the local stores, revalidated each command, used offline.
      const cacheDir = this.#documentsDir();
      this.#catalog = isRegistryServer(location, this.#options, cacheDir).then((server) =>
        server ? new ServerCatalog(location, this.#options, cacheDir) : this.#storeOrWhole(),
      );
    }
    this.#catalog ??= this.#storeOrWhole();
    return this.#catalog;
  }

  /** Where this http registry's files are kept between commands (beside the local stores); none without a store root. */
  #documentsDir(): string | undefined {
    const { location, storeRoot } = this.#options;
    return storeRoot === undefined ? undefined : serverCacheDir(join(dirname(storeRoot), 'server-documents'), location);
  }

  /** The catalog from the synced local store, or loaded whole. */
  #storeOrWhole(): Promise<CatalogSource> {
    const storeRoot = this.#options.storeRoot;
    if (storeRoot === undefined) return this.#loadWhole();
    const cache = this.#options.cache;
    return openLocalStore({ ...this.#options, registry: this.#options.location, storeRoot }).then((files) =>
      // One catalog per opened store: a retained store keeps what it loaded.
      files === undefined
        ? this.#loadWhole()
        : cache === undefined
          ? new ShardedCatalog(files)
          : cache.catalog(files, () => new ShardedCatalog(files, cache.shardedOptions)),
    );
  }

  /** The whole catalog.nq in the embedded store (no local store, or an http registry never synced). */
  #loadWhole(): Promise<CatalogSource> {
    return (async () => {
      const { location, text } = await fetchCatalogText(this.#options.location, this.#options);
      try {
        return new EmbeddedCatalog(text);
      } catch (cause) {
        throw new MarketplaceError(
          'GGEN_E_INDEX_INVALID',
          `The v2 catalog ${location} is not valid N-Quads: ${(cause as Error).message}`,
          {
            hint: 'The catalog is damaged; regenerate it with registry migrate, or restore it.',
            cause,
          },
        );
      }
    })();
  }

  async findPackage(name: string): Promise<CatalogPackage | undefined> {
    const key = name.toLowerCase();
    if (!this.#cache.has(key)) {
      const [pkg] = await (await this.catalog()).readPackages([key]);
      this.#cache.set(key, pkg ?? null);
    }
    return this.#cache.get(key) ?? undefined;
  }

  /**
   * The transitive dependencies of a package through every version, answered by one SPARQL
   * property-path query; used to load all candidates before resolution, and to find cycles.
   */
  async dependencyClosure(name: string): Promise<DependencyClosure> {
    const path = {
      type: 'path',
      pathType: '+',
      items: [
        {
          type: 'path',
          pathType: '/',
          items: [namedNode(V.hasVersion), namedNode(V.dependsOn), namedNode(V.dependsOnPackage)],
        },
      ],
    };
    const ast = {
      type: 'query',
      queryType: 'SELECT',
      prefixes: {},
      distinct: true,
      variables: [variable('depName'), variable('dep')],
      where: [
        {
          type: 'graph',
          name: namedNode(CATALOG_GRAPH),
          patterns: [
            {
              type: 'bgp',
              triples: [
                { subject: variable('root'), predicate: namedNode(V.name), object: literal(name.toLowerCase()) },
                { subject: variable('root'), predicate: path, object: variable('dep') },
              ],
            },
            {
              type: 'optional',
              patterns: [
                {
                  type: 'bgp',
                  triples: [{ subject: variable('dep'), predicate: namedNode(V.name), object: variable('depName') }],
                },
              ],
            },
          ],
        },
      ],
    } as unknown as SelectQuery;
    const catalog = await this.catalog();
    await catalog.prepareDependencies?.(name);
    const rows = await catalog.select(generator.stringify(ast));
    const names = new Set<string>();
    let cyclic = false;
    for (const row of rows) {
      const depName = row.depName ?? decodeURIComponent((row.dep ?? '').split('/').pop() ?? '');
      if (depName === name.toLowerCase()) cyclic = true;
      else if (depName !== '') names.add(depName);
    }
    return { names: [...names].sort(), cyclic };
  }

  /**
   * Loads the packages a resolution will ask for in one read. A local store names the closure
   * from its index, which saves the property-path query (its dangling dependencies, packages
   * the catalog lacks, are then looked up, and not found, as the resolver meets them).
   */
  async prefetch(names: string[]): Promise<void> {
    const wanted = new Set<string>();
    const catalog = await this.catalog();
    for (const name of names) {
      wanted.add(name.toLowerCase());
      const known = await catalog.prepareDependencies?.(name);
      for (const dependency of known ?? (await this.dependencyClosure(name)).names) wanted.add(dependency);
    }
    const missing = [...wanted].filter((name) => !this.#cache.has(name));
    const found = await catalog.readPackages(missing);
    for (const name of missing) this.#cache.set(name, found.find((pkg) => pkg.name === name) ?? null);
  }

  async getVersions(name: string): Promise<VersionCandidate[] | null> {
    const pkg = await this.findPackage(name);
    if (pkg === undefined) return null;
    return catalogVersionCandidates(await this.signedPackage(pkg), this.#options.location, 'v2');
  }

  /**
   * The package as an install sees it: once it is owned, its yanks, deprecations and tags are
   * the ones its owners signed (`lifecycle/<name>.json`), not the catalog's claim.
   */
  async signedPackage(pkg: CatalogPackage): Promise<CatalogPackage> {
    // An unowned, unscoped pack (the catalog names no owner) has no statements to read: no
    // request is made for it, so a synced registry still answers offline. A catalog that hides
    // an owner is caught where the archive is verified (verifyArchive).
    if ((pkg.ownerKeys ?? []).length === 0 && scopeOf(pkg.name) === undefined) return pkg;
    const chain = await this.authority(pkg.name);
    if (chain === undefined) return pkg;
    const log = await this.#fetchOptional(
      resolveLocation(this.#options.location, `lifecycle/${pkg.name}.json`),
      'keys',
    );
    return signedLifecycle(pkg, parseLifecycleLog(log, pkg.name), chain);
  }

  fetchArchive(candidate: VersionCandidate): Promise<Uint8Array> {
    return fetchCandidateArchive(candidate, this.#options);
  }

  registryLocation(backend: BackendType): string | undefined {
    return backend === this.backend
      ? this.#options.location
      : this.#options.otherRegistry?.().registryLocation?.(backend);
  }

  /** Its own format, and the other one only in a build that wires the other registry in. */
  readsBackend(backend: BackendType): boolean {
    return backend === this.backend || this.#options.otherRegistry !== undefined;
  }

  /**
   * Who speaks for a package (ownerAuthority: its owners, and its scope's once the scope is
   * owned). A package of an owned scope must descend from the scope: one that sits there with
   * no owner, or whose owners never owned the scope, was put there before the scope was claimed
   * and is refused, never installed silently.
   */
  async authority(name: string): Promise<OwnerChain | undefined> {
    const pkg = await this.ownerChain(name);
    const scope = scopeOf(name);
    const scopeChain = scope === undefined ? undefined : await this.ownerChain(scope);
    if (scope !== undefined && scopeChain !== undefined && (pkg === undefined || !descendsFromScope(pkg, scopeChain))) {
      throw new MarketplaceError(
        'GGEN_E_NOT_OWNER',
        pkg === undefined
          ? `${name} sits in the owned scope ${scope}, but no owner of ${scope} published it (it was published unsigned, before the scope was claimed)`
          : `${name} sits in the owned scope ${scope}, but its owners (${pkg.owners.map((key) => formatKeyId(key.keyId)).join(', ')}) never owned ${scope}`,
        {
          hint: `Nothing was installed. Only a scope owner of ${scope} can vouch for it: ask them to publish a signed version, or to remove it from the registry.`,
          details: { package: name, scope },
        },
      );
    }
    return ownerAuthority(pkg, scopeChain);
  }

  /** The archive's `.minisig` (beside it in the registry) checked against the trusted keys and the package's owner chain. */
  async verifyArchive(candidate: VersionCandidate, archive: Uint8Array, known?: SignatureInfo): Promise<SignatureInfo> {
    const signature = await this.#fetchOptional(`${candidate.archive}.minisig`, 'signature');
    const chain = await this.authority(candidate.name);
    const catalogOwners = (await this.findPackage(candidate.name))?.ownerKeys ?? [];
    if (catalogOwners.length === 0 && (await this.ownerChain(candidate.name)) !== undefined) {
      // The statements say the pack is owned; a catalog that says otherwise would skip its owners' lifecycle.
      throw new MarketplaceError(
        'GGEN_E_OWNER_CHAIN_INVALID',
        `The catalog hides the owners of ${candidate.name}: it names none, but the registry has their signed key statements`,
        {
          hint: 'Nothing was installed. The catalog was changed without its owners; report it to the registry.',
          details: { package: candidate.name },
        },
      );
    }
    checkChainContinuity(candidate.name, chain, catalogOwners, known?.owners ?? []);
    const trustedKeys = (await this.#options.trustedKeys?.()) ?? [];
    // The lockfile keeps the owners' whole keys (their ids are labels anyone can copy).
    const owners = chain?.owners.map(publicKeyLine).sort();
    const verified = requireVerified(
      verifyPackageSignature({
        binding: { name: candidate.name, version: candidate.version, integrity: computeIntegrity(archive) },
        archive,
        signature,
        trustedKeys,
        ...(chain === undefined ? {} : { chain }),
      }),
    );
    return owners === undefined ? verified : { ...verified, owners };
  }

  /** The package's owner keys, verified from its signed statements; undefined when it has none. */
  ownerChain(name: string): Promise<OwnerChain | undefined> {
    let chain = this.#chains.get(name);
    if (chain === undefined) {
      chain = (async () => {
        const text = await this.#fetchOptional(
          resolveLocation(this.#options.location, keyStatementsPath(name)),
          'keys',
        );
        return text === undefined ? undefined : verifyOwnerChain(name, parseKeyStatementsFile(text, name));
      })();
      this.#chains.set(name, chain);
    }
    return chain;
  }

  /** A registry file that may be absent: only "not there" is undefined, any other failure throws. */
  async #fetchOptional(location: string, kind: ResourceKind): Promise<string | undefined> {
    // A registry server's files are kept between commands, revalidated, and read offline.
    const catalog = isHttpLocation(location) ? await this.catalog() : undefined;
    if (catalog instanceof ServerCatalog) return catalog.kept(location, kind);
    // A static http registry's files are kept the same way, so that a verified install works offline.
    if (isHttpLocation(location)) return keptFetch(location, kind, this.#options, this.#documentsDir());
    try {
      return Buffer.from(await fetchResource(location, { ...this.#options, retries: 0 }, kind)).toString('utf8');
    } catch (error) {
      // A missing local file or an HTTP 404; a network failure is not "absent".
      const absent = isHttpLocation(location)
        ? isHttpNotFound(error)
        : error instanceof MarketplaceError && error.code === 'GGEN_E_REGISTRY_NOT_FOUND';
      if (absent) return undefined;
      throw error;
    }
  }
}

/**
 * Ownership cannot be switched off by deleting a file: a package the catalog says is owned
 * (gg:ownerKey) must come with its key statements, and a package the lockfile saw owned must
 * keep a chain that descends from the owners seen then (key continuity). The lockfile's owners
 * only narrow what is accepted, never widen it: trust itself comes from the user's keys. They
 * are whole public keys; an entry of an older lockfile that holds only a key id matches by id
 * (weaker, and still only a narrowing). A fork that starts a new chain from another key is
 * refused here; one that a revoked key grows inside the chain is the limit documented in
 * docs/security.md.
 */
function checkChainContinuity(
  name: string,
  chain: OwnerChain | undefined,
  catalogOwners: readonly string[],
  knownOwners: readonly string[],
): void {
  const shown = knownOwners.map(keyLabel).join(', ');
  const refuse = (reason: string): never => {
    throw new MarketplaceError('GGEN_E_OWNER_CHAIN_INVALID', `The owner keys of ${name} cannot be trusted: ${reason}`, {
      hint: 'Nothing was installed. Ask the registry owner to restore keys/<name>.json; if the owners really changed, remove the package and install it again to accept the new owners.',
      details: { package: name },
    });
  };
  if (chain === undefined) {
    if (catalogOwners.length > 0)
      refuse(`the catalog names ${catalogOwners.length} owner key(s), but the registry has no key statements for it`);
    if (knownOwners.length > 0) refuse(`it was installed owned by ${shown}, and its key statements are gone`);
    return;
  }
  if (knownOwners.length === 0) return;
  const lines = new Set(chain.everOwned.map(publicKeyLine));
  const ids = new Set(chain.everOwned.map((key) => formatKeyId(key.keyId)));
  if (!knownOwners.some((owner) => (isPublicKeyLine(owner) ? lines.has(owner.trim()) : ids.has(owner))))
    refuse(`it was installed owned by ${shown}, and its key statements now start from other keys (a replaced chain)`);
}
