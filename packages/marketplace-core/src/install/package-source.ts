import type { BackendType, SignatureInfo } from '../models.js';

/** One installable version of a package, as a registry describes it. */
export interface VersionCandidate {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  yanked: boolean;
  /** Where the archive is: an absolute path, file:// or http(s) URL. */
  archive: string;
  /** The deprecation message, when the version is deprecated. */
  deprecated?: string;
  /** Dist-tags pointing at this version (`latest`, `beta`). */
  tags?: string[];
  /** For a candidate read from the lockfile: its `resolved` as written there (errors name it). */
  locked?: string;
  integrity?: string;
  checksum?: string;
  backend: BackendType;
  signature?: SignatureInfo;
}

/**
 * What the installer needs from a registry. `getVersions` returns `null` for a package the
 * registry does not know; it throws only when the registry itself failed.
 */
export interface PackageSource {
  readonly backend: BackendType;
  getVersions(name: string): Promise<VersionCandidate[] | null>;
  fetchArchive(candidate: VersionCandidate): Promise<Uint8Array>;
  /**
   * Where the registry with this id (`v1`, `v2`) is now, when this source knows it: the
   * lockfile records archives relative to it (see locked-location.ts).
   */
  registryLocation?(backend: BackendType): string | undefined;
  /**
   * Whether this source can read registries of that backend at all: false for the other format
   * in a build that has one backend (a v2 lockfile entry in the marketplace-v1 build).
   */
  readsBackend?(backend: BackendType): boolean;
  /**
   * Checks the archive's signature against the trusted keys; throws a coded error unless it
   * is verified. `known` is what the lockfile recorded when this package was last verified
   * (its owners), for key continuity. Absent for registries that hold no signatures (v1).
   */
  verifyArchive?(candidate: VersionCandidate, archive: Uint8Array, known?: SignatureInfo): Promise<SignatureInfo>;
}
