import { MarketplaceError } from '@ggen/marketplace-core';
import {
  checkSignature,
  formatKeyId,
  parsePublicKey,
  parseSignature,
  publicKeyLine,
  sameKey,
  signMessage,
  type PublicKey,
  type SecretKey,
} from './minisign-format.js';

/**
 * A package's owner keys as a chain of signed statements (`keys/<name>.json` in a v2
 * registry). Statement 0 is written by the first signed publish: its key owns the package.
 * Every later statement adds or revokes a key and is signed by a key that owned the package
 * at that point. Clients verify the chain themselves; the catalog's copy is for display.
 */
export type KeyAction = 'owner' | 'add' | 'revoke';

export interface KeyStatement {
  package: string;
  action: KeyAction;
  /** The minisign public key line (RW...) the statement is about. */
  key: string;
  sequence: number;
  timestamp: number;
}

export interface KeyStatementsFile {
  statements: string[];
}

export interface OwnerChain {
  owners: PublicKey[];
  revoked: PublicKey[];
  /** Every key that ever owned the package (a user who trusted any of them follows its rotations). */
  everOwned: PublicKey[];
  statements: KeyStatement[];
}

const PATTERN =
  /^ggen-key-statement package=(\S+) action=(owner|add|revoke) key=(RW[A-Za-z0-9+/]{54}) sequence=(\d+) timestamp=(\d+)$/;

export function formatKeyStatement(statement: KeyStatement): string {
  return `ggen-key-statement package=${statement.package} action=${statement.action} key=${statement.key} sequence=${statement.sequence} timestamp=${statement.timestamp}`;
}

export function parseKeyStatement(text: string): KeyStatement | null {
  const match = PATTERN.exec(text);
  if (match === null) return null;
  return {
    package: match[1] ?? '',
    action: match[2] as KeyAction,
    key: match[3] ?? '',
    sequence: Number(match[4]),
    timestamp: Number(match[5]),
  };
}

/** A statement signed by `signer`: the statement is both the signed message and the trusted comment. */
export function signKeyStatement(signer: SecretKey, statement: KeyStatement): string {
  const text = formatKeyStatement(statement);
  return signMessage(
    signer,
    Buffer.from(text, 'utf8'),
    text,
    `ggen key statement ${statement.sequence} for ${statement.package}`,
  );
}

function chainError(name: string, index: number, reason: string): MarketplaceError {
  return new MarketplaceError(
    'GGEN_E_OWNER_CHAIN_INVALID',
    `The owner keys of ${name} are not trustworthy: statement ${index} ${reason}`,
    {
      hint: 'Someone changed the package’s keys without an owner’s signature. Do not install it; report it to the registry.',
      details: { package: name, statement: index },
    },
  );
}

/** Verifies a package's statement chain from its first statement; any break is an error, never a skip. */
export function verifyOwnerChain(name: string, file: KeyStatementsFile): OwnerChain {
  const owners: PublicKey[] = [];
  const revoked: PublicKey[] = [];
  const everOwned: PublicKey[] = [];
  const statements: KeyStatement[] = [];
  file.statements.forEach((text, index) => {
    let signature;
    try {
      signature = parseSignature(text);
    } catch {
      throw chainError(name, index, 'is not a minisign signature');
    }
    const statement = parseKeyStatement(signature.trustedComment);
    if (statement === null) throw chainError(name, index, `is not a key statement ('${signature.trustedComment}')`);
    if (statement.package !== name || statement.sequence !== index)
      throw chainError(name, index, `is for ${statement.package} #${statement.sequence}`);
    const subject = parsePublicKey(statement.key);
    const signers = index === 0 ? [subject] : owners;
    // The signature names a key id only; the signer is the owner whose whole key verifies it.
    const sameId = signers.filter((key) => Buffer.from(key.keyId).equals(Buffer.from(signature.keyId)));
    if (sameId.length === 0)
      throw chainError(name, index, `is signed by key ${formatKeyId(signature.keyId)}, which did not own the package`);
    const message = Buffer.from(signature.trustedComment, 'utf8');
    if (!sameId.some((key) => checkSignature(signature, message, key) === 'verified'))
      throw chainError(
        name,
        index,
        `has a signature that no owner key with id ${formatKeyId(signature.keyId)} verifies`,
      );
    if ((index === 0) !== (statement.action === 'owner'))
      throw chainError(name, index, `has action '${statement.action}' at position ${index}`);
    if (statement.action === 'revoke') {
      const at = owners.findIndex((key) => sameKey(key, subject));
      if (at === -1) throw chainError(name, index, `revokes key ${formatKeyId(subject.keyId)}, which is not an owner`);
      if (owners.length === 1) throw chainError(name, index, 'revokes the last owner key');
      owners.splice(at, 1);
      revoked.push(subject);
    } else {
      if (revoked.some((key) => sameKey(key, subject)))
        throw chainError(name, index, `adds key ${formatKeyId(subject.keyId)} again after it was revoked`);
      if (!owners.some((key) => sameKey(key, subject))) owners.push(subject);
      if (!everOwned.some((key) => sameKey(key, subject))) everOwned.push(subject);
    }
    statements.push(statement);
  });
  return { owners, revoked, everOwned, statements };
}

export function parseKeyStatementsFile(text: string, name: string): KeyStatementsFile {
  try {
    const parsed = JSON.parse(text) as Partial<KeyStatementsFile>;
    if (Array.isArray(parsed.statements) && parsed.statements.every((entry) => typeof entry === 'string'))
      return { statements: parsed.statements };
  } catch {
    // Reported below.
  }
  throw new MarketplaceError('GGEN_E_OWNER_CHAIN_INVALID', `The key statements of ${name} are not readable`, {
    hint: 'The registry file keys/<name>.json is damaged; do not install the package until the registry restores it.',
    details: { package: name },
  });
}

export const keyStatementsPath = (name: string): string => `keys/${name}.json`;
export const ownerKeyLines = (chain: OwnerChain): { ownerKeys: string[]; revokedKeys: string[] } => ({
  ownerKeys: chain.owners.map(publicKeyLine).sort(),
  revokedKeys: chain.revoked.map(publicKeyLine).sort(),
});

/**
 * Who speaks for a package: its own owners and, once its scope (`@acme`) is owned, the scope's
 * owners too, less any key the scope revoked. The one rule, used where a registry is written
 * (publish, yank, deprecate, tags) and where an install verifies, so both decide alike: a scope
 * owner can act on every package of its scope, and a key revoked from a scope keeps no power
 * over the scope's packages. `statements` holds both chains' statements (revocation times).
 */
export function ownerAuthority(pkg: OwnerChain | undefined, scope: OwnerChain | undefined): OwnerChain | undefined {
  if (scope === undefined) return pkg;
  const union = (...lists: PublicKey[][]): PublicKey[] => {
    const keys: PublicKey[] = [];
    for (const key of lists.flat()) if (!keys.some((other) => sameKey(other, key))) keys.push(key);
    return keys;
  };
  const revoked = union(pkg?.revoked ?? [], scope.revoked);
  return {
    owners: union(
      (pkg?.owners ?? []).filter((key) => !scope.revoked.some((other) => sameKey(other, key))),
      scope.owners,
    ),
    revoked,
    everOwned: union(pkg?.everOwned ?? [], scope.everOwned),
    statements: [...(pkg?.statements ?? []), ...scope.statements],
  };
}

/** Whether a package's own chain shares a key with its scope's: false for one put into the scope by a key that never owned it. */
export function descendsFromScope(pkg: OwnerChain, scope: OwnerChain): boolean {
  return pkg.everOwned.some((key) => scope.everOwned.some((other) => sameKey(other, key)));
}
