import {
  catalogVersionCandidates,
  fetchCandidateArchive,
  fetchResource,
  resolveLocation,
  type BackendType,
  type FetchOptions,
  type PackageSource,
  type VersionCandidate,
} from '@ggen/marketplace-core';
import { parseV1Index, type IndexProblem, type V1Index, type V1Package } from './v1-index.js';

export interface V1RegistryOptions extends FetchOptions {
  /** A directory or an http(s) base URL holding index.json. */
  location: string;
  /** The other configured registry (v2), asked for names this one does not know when a request allows it. */
  otherRegistry?: () => PackageSource;
}

/** A v1 registry: its index, loaded once per process, and its archives. */
export class V1Registry implements PackageSource {
  readonly backend = 'v1' as const;
  readonly #options: V1RegistryOptions;
  #index: Promise<V1Index> | undefined;

  constructor(options: V1RegistryOptions) {
    this.#options = options;
  }

  get location(): string {
    return this.#options.location;
  }

  loadIndex(): Promise<V1Index> {
    this.#index ??= (async () => {
      const indexLocation = resolveLocation(this.#options.location, 'index.json');
      const bytes = await fetchResource(indexLocation, this.#options, 'index');
      return parseV1Index(Buffer.from(bytes).toString('utf8'), indexLocation);
    })();
    return this.#index;
  }

  async problems(): Promise<IndexProblem[]> {
    return (await this.loadIndex()).problems;
  }

  async findPackage(name: string): Promise<V1Package | undefined> {
    const wanted = name.toLowerCase();
    return (await this.loadIndex()).packages.find((pkg) => pkg.name === wanted);
  }

  async getVersions(name: string): Promise<VersionCandidate[] | null> {
    const pkg = await this.findPackage(name);
    if (pkg === undefined) return null;
    return catalogVersionCandidates(pkg, this.#options.location, 'v1');
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
}
