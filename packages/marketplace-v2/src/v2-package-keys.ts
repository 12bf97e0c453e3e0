import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  fromFsError,
  MarketplaceError,
  registryWriter,
  readRegularFileSync,
  RESOURCE_LIMITS,
  writeFileAtomic,
  scopeOf,
  type ArchiveSigner,
  type CatalogPackage,
} from '@ggen/marketplace-core';
import {
  formatKeyStatement,
  keyStatementsPath,
  ownerAuthority,
  ownerKeyLines,
  parseKeyStatementsFile,
  verifyOwnerChain,
  type KeyAction,
  type KeyStatementsFile,
  type OwnerChain,
} from './signing/key-statements.js';
import { formatKeyId, parsePublicKey, publicKeyLine, sameKey } from './signing/minisign-format.js';

/** A package's statements in a file registry (empty when it has none). */
export function readKeyStatements(registry: string, name: string): KeyStatementsFile {
  const path = join(registry, keyStatementsPath(name));
  if (!existsSync(path)) return { statements: [] };
  try {
    return parseKeyStatementsFile(readRegularFileSync(path, RESOURCE_LIMITS.keys).toString('utf8'), name);
  } catch (error) {
    if (error instanceof MarketplaceError) throw error;
    throw fromFsError(error, 'reading', path);
  }
}

export async function writeKeyStatements(registry: string, name: string, file: KeyStatementsFile): Promise<void> {
  const path = join(registry, keyStatementsPath(name));
  try {
    await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
  } catch (error) {
    throw fromFsError(error, 'writing', path);
  }
}

/** The statement file with one more statement by `signer`, verified as a whole before it is written. */
export function appendStatement(
  name: string,
  file: KeyStatementsFile,
  signer: ArchiveSigner,
  action: KeyAction,
  key: string,
): { file: KeyStatementsFile; chain: OwnerChain } {
  const text = formatKeyStatement({
    package: name,
    action,
    key,
    sequence: file.statements.length,
    timestamp: Math.floor(Date.now() / 1000),
  });
  const next = { statements: [...file.statements, signer.signStatement(text)] };
  return { file: next, chain: verifyOwnerChain(name, next) };
}

/** How a refused owner check is worded by the operation that made it. */
interface OwnerRefusals {
  unsigned: (owners: string) => MarketplaceError;
  notOwner: (keyId: string, owners: string) => MarketplaceError;
}

/**
 * The one owner rule, for packages and scopes alike: an owned subject takes a change only from
 * the key of one of its current owners. Returns that signer.
 */
export function requireOwner(
  chain: OwnerChain,
  signer: ArchiveSigner | undefined,
  refuse: OwnerRefusals,
): ArchiveSigner {
  if (signer === undefined) throw refuse.unsigned(ownerIds(chain));
  return requireOwnerKey(chain, signer, refuse.notOwner);
}

/** requireOwner for a change that is always signed (a key statement). */
function requireOwnerKey(chain: OwnerChain, signer: ArchiveSigner, notOwner: OwnerRefusals['notOwner']): ArchiveSigner {
  // The whole public key decides: a key that only carries an owner's id is not that owner.
  if (!chain.owners.some((key) => publicKeyLine(key) === signer.publicKey))
    throw notOwner(signer.keyId, ownerIds(chain));
  return signer;
}

const ownerIds = (chain: OwnerChain): string => chain.owners.map((key) => formatKeyId(key.keyId)).join(', ');

/** Publish's rule for a package or a scope: the first signed publish claims it (the statements to write); once owned, requireOwner. */
function claimOrRequireOwner(
  subject: string,
  file: KeyStatementsFile,
  signer: ArchiveSigner | undefined,
  scope: OwnerChain | undefined,
  refuse: OwnerRefusals,
): { file: KeyStatementsFile; chain: OwnerChain } | undefined {
  if (file.statements.length === 0)
    return signer === undefined ? undefined : appendStatement(subject, file, signer, 'owner', signer.publicKey);
  const chain = verifyOwnerChain(subject, file);
  requireOwner(ownerAuthority(chain, scope) ?? chain, signer, refuse);
  return undefined;
}

/** A subject's verified chain in a file registry, or undefined when it has no statements. */
export function readOwnerChain(registry: string, subject: string): OwnerChain | undefined {
  const file = readKeyStatements(registry, subject);
  return file.statements.length === 0 ? undefined : verifyOwnerChain(subject, file);
}

/** Who speaks for `name` in a file registry: its owners and its scope's (ownerAuthority). */
export function readOwnerAuthority(registry: string, name: string): OwnerChain | undefined {
  const scope = scopeOf(name);
  return ownerAuthority(
    readOwnerChain(registry, name),
    scope === undefined ? undefined : readOwnerChain(registry, scope),
  );
}

/**
 * Publish's ownership rule: the first signed publish makes its key the owner; later versions of
 * an owned package must be signed by a current owner. Returns the statements to write (or none).
 */
export function checkPublisher(
  name: string,
  file: KeyStatementsFile,
  signer: ArchiveSigner | undefined,
  scope?: OwnerChain,
): { file: KeyStatementsFile; chain: OwnerChain } | undefined {
  return claimOrRequireOwner(name, file, signer, scope, {
    unsigned: (owners) =>
      new MarketplaceError(
        'GGEN_E_SIGNATURE_MISSING',
        `${name} is owned by signing keys; an unsigned version would not install for its users`,
        {
          hint: `Publish with --sign --key <an owner key>; owners: ${owners}.`,
          details: { package: name },
        },
      ),
    notOwner: (keyId, owners) =>
      new MarketplaceError('GGEN_E_NOT_OWNER', `Key ${keyId} is not an owner of ${name}`, {
        hint: `Sign with an owner key (${owners}), or ask an owner to add yours: ggen marketplace keys add --package ${name} --public-key <yours> --key <theirs>.`,
        details: { package: name, keyId },
      }),
  });
}

/**
 * A scope's rule, as a package's: the first signed publish into `@scope` claims it for its key;
 * once owned, every publish into the scope (a new package too) must be signed by a scope owner.
 * Returns the scope's statements to write when this publish claims it.
 */
export function checkScopePublisher(
  scope: string,
  file: KeyStatementsFile,
  signer: ArchiveSigner | undefined,
  name: string,
): { file: KeyStatementsFile; chain: OwnerChain } | undefined {
  return claimOrRequireOwner(scope, file, signer, undefined, {
    unsigned: (owners) =>
      new MarketplaceError(
        'GGEN_E_SIGNATURE_MISSING',
        `The scope ${scope} is owned by signing keys; ${name} must be published signed by one of them`,
        {
          hint: `Publish with --sign --key <a scope owner key>; owners of ${scope}: ${owners}.`,
          details: { package: name, scope },
        },
      ),
    notOwner: (keyId, owners) =>
      new MarketplaceError(
        'GGEN_E_NOT_OWNER',
        `Key ${keyId} is not an owner of the scope ${scope}; it cannot publish ${name}`,
        {
          hint: `Sign with an owner key of ${scope} (${owners}), or ask an owner to add yours: ggen marketplace keys add --scope ${scope} --public-key <yours> --key <theirs>.`,
          details: { package: name, scope, keyId },
        },
      ),
  });
}

export interface ChangeKeysRequest {
  registry: string;
  /** A package name, or a scope (`@acme`) whose owners are changed. */
  name: string;
  action: 'add' | 'revoke';
  /** The public key line (RW...) to add or revoke. */
  key: string;
  signer: ArchiveSigner;
  /** The package's catalog entry, if the catalog has it. */
  readPackage: (name: string) => Promise<CatalogPackage | undefined>;
  writePackage: (pkg: CatalogPackage) => Promise<void>;
}

/** An owner adds or revokes a key: a signed statement appended to the chain, the catalog updated. */
export async function changePackageKeys(request: ChangeKeysRequest): Promise<OwnerChain> {
  return registryWriter(request.registry).locked(async () => {
    const isScope = !request.name.includes('/') && request.name.startsWith('@');
    const pkg = await request.readPackage(request.name);
    if (pkg === undefined && !isScope) {
      throw new MarketplaceError(
        'GGEN_E_PACKAGE_NOT_FOUND',
        `Package '${request.name}' is not in ${request.registry}`,
        {
          hint: 'Publish it signed first: the first signed publish sets its owner.',
        },
      );
    }
    const current = readKeyStatements(request.registry, request.name);
    if (current.statements.length === 0) {
      throw new MarketplaceError('GGEN_E_NOT_OWNER', `${request.name} has no owner keys yet`, {
        hint: isScope
          ? `Publish a package into ${request.name} with --sign first: its key becomes the scope's owner.`
          : 'Publish a version with --sign first: its key becomes the owner.',
      });
    }
    const before = verifyOwnerChain(request.name, current);
    // A key revoked from the package's scope keeps no power over it (ownerAuthority's rule); the
    // statement itself must still come from one of the package's own owners (its chain).
    const scope = isScope ? undefined : scopeOf(request.name);
    const scopeChain = scope === undefined ? undefined : readOwnerChain(request.registry, scope);
    requireOwnerKey(
      scopeChain === undefined
        ? before
        : {
            ...before,
            owners: before.owners.filter((key) => !scopeChain.revoked.some((other) => sameKey(other, key))),
          },
      request.signer,
      (keyId, owners) =>
        new MarketplaceError(
          'GGEN_E_NOT_OWNER',
          `Key ${keyId} is not an owner of ${request.name}; only an owner can ${request.action} keys`,
          {
            hint: `Sign the statement with an owner key: ${owners}.`,
          },
        ),
    );
    const subject = parsePublicKey(request.key);
    const target = formatKeyId(subject.keyId);
    const owns = before.owners.some((key) => sameKey(key, subject));
    const refuse = (message: string, hint: string): never => {
      throw new MarketplaceError('GGEN_E_USAGE', message, { hint });
    };
    if (request.action === 'add' && owns) refuse(`Key ${target} already owns ${request.name}`, 'Nothing to add.');
    if (request.action === 'add' && before.revoked.some((key) => sameKey(key, subject)))
      refuse(
        `Key ${target} was revoked for ${request.name} and cannot come back`,
        'Make a new key with ggen marketplace keygen and add that one.',
      );
    if (request.action === 'revoke' && !owns)
      refuse(`Key ${target} does not own ${request.name}`, `Owners: ${ownerIds(before)}.`);
    if (request.action === 'revoke' && before.owners.length === 1)
      refuse(
        `Key ${target} is the last owner of ${request.name}`,
        'Add the new key first (keys add), then revoke the old one.',
      );
    const { file, chain } = appendStatement(request.name, current, request.signer, request.action, request.key);
    await writeKeyStatements(request.registry, request.name, file);
    if (pkg !== undefined) {
      Object.assign(pkg, ownerKeyLines(chain));
      await request.writePackage(pkg);
    }
    return chain;
  });
}

/**
 * Who may yank, deprecate or tag a package: anyone with write access to the registry while the
 * package has no owner keys (as for publish), an owner key once it has. Returns the key that
 * must sign the change, or undefined when none must.
 */
export function lifecycleSigner(
  registry: string,
  name: string,
  signer: ArchiveSigner | undefined,
): ArchiveSigner | undefined {
  // A package of an owned scope needs a scope owner's key even before it has owners of its own.
  const authority = readOwnerAuthority(registry, name);
  if (authority === undefined) return undefined;
  return requireOwner(authority, signer, {
    unsigned: (owners) =>
      new MarketplaceError(
        'GGEN_E_SIGNATURE_MISSING',
        `${name} is owned by signing keys; this change must be signed by one of them`,
        {
          hint: `Add --key <an owner key>; owners: ${owners}.`,
          details: { package: name },
        },
      ),
    notOwner: (keyId, owners) =>
      new MarketplaceError('GGEN_E_NOT_OWNER', `Key ${keyId} is not an owner of ${name}`, {
        hint: `Sign with an owner key: ${owners}.`,
        details: { package: name, keyId },
      }),
  });
}

/** The line an owner signs for a lifecycle change of `name` (`statement`: `action=yank version=1.0.0`). */
export function lifecycleStatementText(name: string, statement: string, timestamp: number): string {
  return `ggen-lifecycle package=${name} ${statement} timestamp=${timestamp}`;
}

/** The change, one line signed by the owner key that made it, appended to `lifecycle/<name>.json` once it is written. */
export async function recordLifecycleStatement(
  registry: string,
  name: string,
  signer: ArchiveSigner,
  statement: string,
): Promise<void> {
  const path = join(registry, 'lifecycle', `${name}.json`);
  let log: { statements: string[] } = { statements: [] };
  if (existsSync(path)) {
    try {
      log = JSON.parse(readRegularFileSync(path, RESOURCE_LIMITS.keys).toString('utf8')) as { statements: string[] };
    } catch (error) {
      throw fromFsError(error, 'reading', path);
    }
  }
  const signed = signer.signStatement(lifecycleStatementText(name, statement, Math.floor(Date.now() / 1000)));
  try {
    await writeFileAtomic(
      path,
      `${JSON.stringify({ statements: [...(Array.isArray(log.statements) ? log.statements : []), signed] }, null, 2)}\n`,
    );
  } catch (error) {
    throw fromFsError(error, 'writing', path);
  }
}
