import {
  fetchResource,
  isHttpLocation,
  isHttpNotFound,
  resolveLocation,
  serverRequest,
  type ArchiveSigner,
} from '@ggen/marketplace-core';
import { formatKeyStatement, keyStatementsPath, parseKeyStatementsFile } from './signing/key-statements.js';
import { publicKeyLine } from './signing/minisign-format.js';
import { changePackageKeys } from './v2-package-keys.js';
import { scanV2Catalog, writeCatalogPackages } from './v2-publish.js';

export interface RegistryKeysRequest {
  registry: string;
  /** A package name, or a scope (`@acme`). */
  name: string;
  action: 'add' | 'revoke';
  /** The public key line (RW...) to add or revoke. */
  key: string;
  signer: ArchiveSigner;
  /** A registry server's token. */
  token?: string;
  timeoutMs?: number;
}

/** The owners after the change: whole public key lines. */
export interface RegistryKeysResult {
  owners: string[];
  revoked: string[];
}

/**
 * An owner adds or revokes a key of a package or scope, the one change for a directory and a
 * registry server: a server gets the statement signed here (numbered after the statements it
 * serves) and records it with changePackageKeys, as a directory does, after the same checks.
 */
export async function changeRegistryKeys(request: RegistryKeysRequest): Promise<RegistryKeysResult> {
  const { registry, name, action, key, signer } = request;
  if (isHttpLocation(registry)) {
    const location = resolveLocation(registry, keyStatementsPath(name));
    let sequence = 0;
    try {
      const text = Buffer.from(
        await fetchResource(location, { timeoutMs: request.timeoutMs ?? 30_000, retries: 1 }, 'keys'),
      ).toString('utf8');
      sequence = parseKeyStatementsFile(text, name).statements.length;
    } catch (error) {
      // No statements yet: the server refuses the change in its own words (publish signed first).
      if (!isHttpNotFound(error)) throw error;
    }
    const statement = formatKeyStatement({
      package: name,
      action,
      key,
      sequence,
      timestamp: Math.floor(Date.now() / 1000),
    });
    return serverRequest<RegistryKeysResult>(registry, {
      method: 'POST',
      path: `keys/${encodeURIComponent(name)}`,
      timeoutMs: request.timeoutMs ?? 30_000,
      ...(request.token === undefined ? {} : { token: request.token }),
      body: { action, key, publicKey: signer.publicKey, statements: [signer.signStatement(statement)] },
    });
  }
  const chain = await changePackageKeys({
    registry,
    name,
    action,
    key,
    signer,
    readPackage: async (packageName) => (await scanV2Catalog(registry, packageName)).pkg,
    writePackage: (pkg) => writeCatalogPackages(registry, [pkg]),
  });
  return { owners: chain.owners.map(publicKeyLine), revoked: chain.revoked.map(publicKeyLine) };
}
