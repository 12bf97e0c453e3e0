import semverSatisfies from 'semver/functions/satisfies.js';
import semverRcompare from 'semver/functions/rcompare.js';
import { MarketplaceError, type CatalogPackage } from '@ggen/marketplace-core';
import type { OwnerChain } from './key-statements.js';
import { checkSignature, formatKeyId, parseSignature, publicKeyLine } from './minisign-format.js';

/**
 * The lifecycle of an owned package as its owners signed it (`lifecycle/<name>.json`, one
 * statement per yank, deprecation or dist-tag change). Once a package is owned, the catalog's
 * own `yanked`, `deprecated` and tags are a registry's claim: clients follow the signed
 * statements instead, so a registry (or whoever writes its files) cannot un-yank a withdrawn
 * version, lift a deprecation, or point a tag at a version no owner chose.
 */
export interface LifecycleLog {
  statements: string[];
}

type LifecycleAction =
  | { action: 'yank' | 'unyank'; version: string }
  | { action: 'deprecate'; range: string; message: string }
  | { action: 'dist-tag-add'; tag: string; version: string }
  | { action: 'dist-tag-rm'; tag: string };

const PATTERNS: [RegExp, (match: RegExpExecArray) => LifecycleAction][] = [
  [/^action=(yank|unyank) version=(\S+)$/, (m) => ({ action: m[1] as 'yank' | 'unyank', version: m[2] ?? '' })],
  [
    /^action=deprecate range=("(?:[^"\\]|\\.)*") message=("(?:[^"\\]|\\.)*")$/,
    (m) => ({
      action: 'deprecate',
      range: JSON.parse(m[1] ?? '""') as string,
      message: JSON.parse(m[2] ?? '""') as string,
    }),
  ],
  [
    /^action=dist-tag-add tag=(\S+) version=(\S+)$/,
    (m) => ({ action: 'dist-tag-add', tag: m[1] ?? '', version: m[2] ?? '' }),
  ],
  [/^action=dist-tag-rm tag=(\S+)$/, (m) => ({ action: 'dist-tag-rm', tag: m[1] ?? '' })],
];

function parseAction(name: string, text: string): { action: LifecycleAction; timestamp: number } | undefined {
  const prefix = `ggen-lifecycle package=${name} `;
  if (!text.startsWith(prefix)) return undefined;
  const body = /^(.*) timestamp=(\d+)$/.exec(text.slice(prefix.length));
  if (body === null) return undefined;
  for (const [pattern, build] of PATTERNS) {
    const match = pattern.exec(body[1] ?? '');
    if (match !== null) return { action: build(match), timestamp: Number(body[2]) };
  }
  return undefined;
}

function logError(name: string, index: number, reason: string): MarketplaceError {
  return new MarketplaceError(
    'GGEN_E_OWNER_CHAIN_INVALID',
    `The lifecycle of ${name} is not trustworthy: statement ${index} ${reason}`,
    {
      hint: 'Someone changed lifecycle/<name>.json without an owner’s signature. Nothing was installed; report it to the registry.',
      details: { package: name, statement: index },
    },
  );
}

export function parseLifecycleLog(text: string | undefined, name: string): LifecycleLog {
  if (text === undefined) return { statements: [] };
  try {
    const parsed = JSON.parse(text) as Partial<LifecycleLog>;
    if (Array.isArray(parsed.statements) && parsed.statements.every((entry) => typeof entry === 'string'))
      return { statements: parsed.statements };
  } catch {
    // Reported below.
  }
  throw logError(name, 0, 'is in a file that is not a lifecycle log');
}

/**
 * The verified actions of the log, in order. Each statement must be signed by a key that owned
 * the package (the whole key verifies it); a key that was revoked counts only for statements
 * dated before its revocation.
 */
function verifiedActions(name: string, log: LifecycleLog, chain: OwnerChain): LifecycleAction[] {
  // When each revoked key was revoked (its key line -> the revoking statement's time).
  const revokedAt = new Map<string, number>();
  for (const statement of chain.statements)
    if (statement.action === 'revoke') revokedAt.set(statement.key, statement.timestamp);
  return log.statements.map((text, index) => {
    let signature;
    try {
      signature = parseSignature(text);
    } catch {
      throw logError(name, index, 'is not a minisign signature');
    }
    const parsed = parseAction(name, signature.trustedComment);
    if (parsed === undefined)
      throw logError(name, index, `is not a lifecycle statement of ${name} ('${signature.trustedComment}')`);
    const message = Buffer.from(signature.trustedComment, 'utf8');
    const signer = chain.everOwned.find((key) => checkSignature(signature, message, key) === 'verified');
    if (signer === undefined)
      throw logError(name, index, `is signed by key ${formatKeyId(signature.keyId)}, which never owned ${name}`);
    const revoked = revokedAt.get(publicKeyLine(signer));
    if (revoked !== undefined && parsed.timestamp > revoked)
      throw logError(name, index, `is signed by key ${formatKeyId(signature.keyId)} after it was revoked`);
    return parsed.action;
  });
}

/**
 * The package as its owners' statements leave it: yanks and deprecations replayed over its
 * versions from none; `latest` the newest version unless an owner pointed it elsewhere (a
 * catalog `latest` is kept only when it is one of those); other tags only where an owner put
 * them. Returns a copy; the catalog's package is left as it is.
 */
export function signedLifecycle(pkg: CatalogPackage, log: LifecycleLog, chain: OwnerChain): CatalogPackage {
  const actions = verifiedActions(pkg.name, log, chain);
  const yanked = new Set<string>();
  const deprecated = new Map<string, string>();
  const tags = new Map<string, string>();
  const latestTags = new Set<string>();
  for (const entry of actions) {
    switch (entry.action) {
      case 'yank':
        yanked.add(entry.version);
        break;
      case 'unyank':
        yanked.delete(entry.version);
        break;
      case 'deprecate':
        for (const version of pkg.versions) {
          if (
            !semverSatisfies(version.version, entry.range, { includePrerelease: true }) &&
            version.version !== entry.range
          )
            continue;
          if (entry.message === '') deprecated.delete(version.version);
          else deprecated.set(version.version, entry.message);
        }
        break;
      case 'dist-tag-add':
        tags.set(entry.tag, entry.version);
        if (entry.tag === 'latest') latestTags.add(entry.version);
        break;
      case 'dist-tag-rm':
        tags.delete(entry.tag);
        break;
    }
  }
  const newest = [...pkg.versions].sort((a, b) => semverRcompare(a.version, b.version))[0]?.version ?? pkg.latest;
  const latest = pkg.latest === newest || latestTags.has(pkg.latest) ? pkg.latest : (tags.get('latest') ?? newest);
  const distTags = Object.fromEntries(
    [...tags].filter(([tag, version]) => tag !== 'latest' && pkg.versions.some((entry) => entry.version === version)),
  );
  return {
    ...pkg,
    latest,
    ...(Object.keys(distTags).length === 0 ? { distTags: {} } : { distTags }),
    versions: pkg.versions.map((version) => {
      const signed = { ...version, yanked: yanked.has(version.version) };
      const message = deprecated.get(version.version);
      if (message === undefined) delete signed.deprecated;
      else signed.deprecated = message;
      return signed;
    }),
  };
}
