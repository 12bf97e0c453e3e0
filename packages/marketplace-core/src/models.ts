/** The unified models shared by every backend (MIGRATION-PLAN.md, phase 2). */

export type BackendType = 'v1' | 'v2';

export const SORT_FIELDS = ['relevance', 'downloads', 'stars', 'name'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export type SortOrder = 'asc' | 'desc';

export interface SearchQuery {
  text: string;
  limit: number;
  offset: number;
  category?: string;
  tags?: string[];
  keyword?: string;
  author?: string;
  license?: string;
  minDownloads?: number;
  minStars?: number;
  sort: SortField;
  order?: SortOrder;
}

export interface PackageSummary {
  name: string;
  version: string;
  description: string;
  category?: string;
  author?: string;
  license?: string;
  tags: string[];
  keywords: string[];
  downloads: number;
  stars: number;
  score?: number;
  /** The version shown was yanked: no new install picks it. */
  yanked?: boolean;
}

export interface SearchResults {
  packages: PackageSummary[];
  total: number;
  queryTimeMs: number;
  backend: BackendType;
  /** Registry entries that could not be used, said once per search. */
  warnings?: string[];
}

export interface SignatureInfo {
  /** The signer's key id: a label for people, never a proof of which key signed. */
  keyId: string;
  /** The signer's whole public key (a minisign key line, RW...): its identity. */
  publicKey?: string;
  trustedComment?: string;
  /**
   * The package's owners when it was verified (their public key lines, from its signed key
   * statements). The lockfile keeps them, as SSH's known_hosts keeps host keys: a later chain
   * that vanished, or that no longer descends from these owners, is refused. They narrow what
   * is accepted and never add trust.
   */
  owners?: string[];
}

export interface VersionDetails {
  version: string;
  integrity?: string;
  checksum?: string;
  archive?: string;
  dependencies: Record<string, string>;
  publishedAt?: string;
  yanked: boolean;
  deprecated?: string;
  signature?: SignatureInfo;
}

export interface PackageDetails extends PackageSummary {
  versions: VersionDetails[];
  dependencies: Record<string, string>;
  repository?: string;
  homepage?: string;
  publishedAt?: string;
  integrity?: string;
  checksum?: string;
  signature?: SignatureInfo;
  /** Every dist-tag, `latest` included -> version. */
  distTags?: Record<string, string>;
  /** Of the version shown: its deprecation, what its gpack.yaml declares, its sizes and README (when the registry records them). */
  deprecated?: string;
  variables?: Record<string, unknown>;
  templates?: string[];
  files?: string[];
  size?: number;
  unpackedSize?: number;
  readme?: string;
}

/** A change to a published package's metadata: what `yank`, `deprecate` and `dist-tag` write. */
export type LifecycleChange =
  | { action: 'yank'; version: string; undo: boolean }
  | { action: 'deprecate'; range: string; message: string }
  | { action: 'dist-tag-add'; version: string; tag: string }
  | { action: 'dist-tag-rm'; tag: string };

/** What install, frozen install and update all check before anything is written. */
export interface InstallPolicy {
  /** Aborted when the attempt is given up (a fallback's time budget): nothing is committed after it. */
  signal?: AbortSignal;
  /**
   * Names the registry does not know may come from the other configured registry (a v2 pack
   * depending on a v1-only pack). Set by the adapters from `fallback_on_error` for the operation.
   */
  crossRegistry?: boolean;
  /** Every package must carry a valid signature by a trusted key (--verify-signature or require_signatures). */
  verifySignatures?: boolean;
  /** Allow a version older than the lockfile pins, which is otherwise refused as a rollback. */
  allowDowngrade?: boolean;
}

/**
 * Where an installer operation works: the packages directory and its lockfile (often in a
 * project someone else wrote), and the user's own state directory, where only ggen writes (its
 * install journals). Without `stateDir`, `~/.ggen`.
 */
export interface InstallPaths {
  packagesDir: string;
  lockfilePath: string;
  stateDir?: string;
  /** The user's cache; archives fetched over the network are kept in `<cacheDir>/archives` by integrity. */
  cacheDir?: string;
}

export interface InstallRequest extends InstallPolicy, InstallPaths {
  /** `name` or `name@range`, as typed. */
  specs: string[];
  dryRun?: boolean;
  noDependencies?: boolean;
  force?: boolean;
  frozenLockfile?: boolean;
}

export interface PlannedPackage {
  name: string;
  version: string;
  previousVersion?: string;
  action: 'install' | 'replace' | 'unchanged';
  integrity: string;
  resolved: string;
  dependencies: Record<string, string>;
  backend: BackendType;
  /** The key that signed it, when signatures were verified. */
  signature?: SignatureInfo;
}

export interface InstallResult {
  installed: PlannedPackage[];
  unchanged: PlannedPackage[];
  dryRun: boolean;
  lockfilePath: string;
  packagesDir: string;
  /** Cycles among the installed packages; installed together, reported for information. */
  cycles: string[][];
}

export interface RemoveRequest extends InstallPaths {
  name: string;
  signal?: AbortSignal;
  force?: boolean;
  dryRun?: boolean;
}

export interface RemoveResult {
  removed: string[];
  dryRun: boolean;
}

export interface UpdateRequest extends InstallPolicy, InstallPaths {
  name?: string;
  dryRun?: boolean;
}

export interface UpdateChange {
  name: string;
  from?: string;
  to: string;
}

export interface UpdateResult {
  changes: UpdateChange[];
  dryRun: boolean;
}

export type InstalledStatus = 'ok' | 'modified' | 'missing' | 'extraneous';

export interface InstalledPackage {
  name: string;
  version?: string;
  status: InstalledStatus;
  backend?: BackendType;
  direct: boolean;
  path: string;
}

/** What a package signature binds: its name, version and archive integrity. */
export interface ArchiveBinding {
  name: string;
  version: string;
  integrity: string;
}

/** Signs a package archive (the `.minisig` text); made by the v2 signing code, used by publish. */
export interface ArchiveSigner {
  keyId: string;
  /** The signer's minisign public key line (RW...). */
  publicKey: string;
  sign: (archive: Uint8Array, binding: ArchiveBinding) => string;
  /** Signs a one-line statement (it is both the message and the trusted comment). */
  signStatement: (statement: string) => string;
}

export interface PublishRequest {
  dir: string;
  registry: string;
  dryRun?: boolean;
  signer?: ArchiveSigner;
  /** The token of a registry server, when `registry` is one (never printed). */
  token?: string;
  /** How long a registry server may take to answer. */
  timeoutMs?: number;
  /**
   * The other format's part of this publish, for a registry directory that holds both
   * (index.json and catalog.nq, while the migration keeps both live): checked with the publish's
   * own checks and written under the same lock, so neither format misses a published version.
   */
  companion?: PublishCompanionFactory;
}

/** One format's checks and write, run inside another format's publish (see PublishRequest.companion). */
export interface PublishCompanion {
  /** The registry file it writes: index.json or catalog.nq. */
  file: string;
  check: () => Promise<void>;
  update: () => Promise<void>;
}

/** The companion for a publish into `request.registry`, or undefined when that format is not live there. */
export type PublishCompanionFactory = (
  prepared: import('./manifest/prepare-publish.js').PreparedPublish,
  request: Omit<PublishRequest, 'dir' | 'companion'>,
  result: PublishResult,
) => PublishCompanion | undefined;

export interface PublishResult {
  name: string;
  version: string;
  integrity: string;
  checksum: string;
  size: number;
  files: string[];
  /** Files beside the manifest that were not packed because they look like secrets (.env, keys). */
  secretsLeftOut: string[];
  archive?: string;
  dryRun: boolean;
  registry: string;
  /** Set when the package was published signed (v2). */
  signature?: SignatureInfo;
  /** What the publish changed that its author should know: packages a scope claim leaves out. */
  warnings?: string[];
  /** The registry files the publish wrote: index.json, catalog.nq, or both while both are live. */
  formats?: string[];
}

export type ValidationSeverity = 'error' | 'warning';

export interface ValidationIssue {
  severity: ValidationSeverity;
  field?: string;
  message: string;
  file?: string;
  line?: number;
}

export interface ValidationReport {
  valid: boolean;
  manifestPath?: string;
  format?: 'gpack.yaml' | 'package.toml' | 'gpack.toml';
  name?: string;
  version?: string;
  issues: ValidationIssue[];
}

export interface BackendCapabilities {
  signing: boolean;
  sparql: boolean;
  rdfMetadata: boolean;
  publish: boolean;
}

export interface BackendMetadata {
  type: BackendType;
  version: string;
  capabilities: BackendCapabilities;
}

/** One version of a package as a registry records it (v1 index entry or v2 catalog). */
export interface CatalogVersion {
  version: string;
  checksum?: string;
  integrity?: string;
  /** Archive location as the registry writes it (relative to the registry, or absolute). */
  archive?: string;
  dependencies: Record<string, string>;
  publishedAt?: string;
  yanked: boolean;
  /** Set by `deprecate`: the message shown on install and info. */
  deprecated?: string;
  /** The key id (minisign, hex) that signed this version's archive (v2). */
  signedBy?: string;
  /** Recorded at publish (v2): the files the archive holds, and the templates and variables its gpack.yaml declares. */
  files?: string[];
  templates?: string[];
  variables?: Record<string, unknown>;
  /** Archive bytes and installed bytes, and the README's first lines, recorded at publish (v2). */
  size?: number;
  unpackedSize?: number;
  readme?: string;
}

/** A package as a registry records it; both backends read and write this shape. */
export interface CatalogPackage {
  name: string;
  description: string;
  category?: string;
  author?: string;
  license?: string;
  tags: string[];
  keywords: string[];
  downloads: number;
  stars: number;
  repository?: string;
  homepage?: string;
  /** The version users get by default (the `latest` dist-tag). */
  latest: string;
  /** Dist-tags other than `latest` (beta, next, ...) -> version. */
  distTags?: Record<string, string>;
  /** Newest first. */
  versions: CatalogVersion[];
  /** Public keys (minisign base64 lines) allowed to sign new versions (v2), from the signed key statements. */
  ownerKeys?: string[];
  /** Keys an owner revoked: their signatures no longer install. */
  revokedKeys?: string[];
  /** Fields the model does not interpret, kept so that nothing is lost in a round trip. */
  extra: Record<string, unknown>;
}
