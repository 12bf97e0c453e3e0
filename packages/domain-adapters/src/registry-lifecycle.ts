import {
  applyLifecycleChange,
  isHttpLocation,
  MarketplaceError,
  registryWriter,
  safeText,
  serverRequest,
  type ArchiveSigner,
  type CatalogPackage,
  type LifecycleChange,
} from '@ggen/marketplace-core';
import { changeV1Package } from '@ggen/marketplace-v1';
import {
  CATALOG_FILE,
  lifecycleSigner,
  lifecycleStatementText,
  recordLifecycleStatement,
  scanV2Catalog,
  writeCatalogPackages,
} from '@ggen/marketplace-v2';

export interface LifecycleResult {
  package: string;
  action: LifecycleChange['action'];
  changed: string[];
  /** The registry files rewritten: index.json (v1) and/or catalog.nq (v2). */
  formats: string[];
  registry: string;
  signedBy?: string;
  message?: string;
}

/** What a command is called that makes a change: in errors and in the server's answers. */
export const LIFECYCLE_COMMAND: Record<LifecycleChange['action'], string> = {
  yank: 'yank',
  deprecate: 'deprecate',
  'dist-tag-add': 'dist-tag add',
  'dist-tag-rm': 'dist-tag rm',
};

/** The statement an owner signs for a change: derived from the change, so no one signs one thing and asks another. */
export function lifecycleStatement(change: LifecycleChange): string {
  switch (change.action) {
    case 'yank':
      return `action=${change.undo ? 'unyank' : 'yank'} version=${change.version}`;
    case 'deprecate':
      return `action=deprecate range=${JSON.stringify(change.range)} message=${JSON.stringify(change.message)}`;
    case 'dist-tag-add':
      return `action=dist-tag-add tag=${change.tag} version=${change.version}`;
    case 'dist-tag-rm':
      return `action=dist-tag-rm tag=${change.tag}`;
  }
}

export interface LifecycleRequest {
  registry: string;
  name: string;
  change: LifecycleChange;
  /** An owner's signer: required once the package is owned. */
  signer?: ArchiveSigner;
  /** A registry server's token. */
  token?: string;
  timeoutMs?: number;
}

/**
 * One lifecycle change (yank, deprecate, dist-tag), the one implementation for the CLI and the
 * registry server: a registry server gets the change and the owner's signed statement; a
 * directory has it written to both formats' metadata (index.json for v1, catalog.nq for v2) under
 * the publish lock; `sync` then carries it to local stores. Once the package is owned, the change
 * must be signed by an owner (checked by the whole public key).
 */
export async function changeRegistryPackage(request: LifecycleRequest): Promise<LifecycleResult> {
  const { registry, name, change, signer } = request;
  const statement = lifecycleStatement(change);
  if (isHttpLocation(registry)) {
    const answer = await serverRequest<LifecycleResult>(registry, {
      method: 'POST',
      path: `lifecycle/${encodeURIComponent(name)}`,
      timeoutMs: request.timeoutMs ?? 30_000,
      ...(request.token === undefined ? {} : { token: request.token }),
      body: {
        change,
        ...(signer === undefined
          ? {}
          : {
              publicKey: signer.publicKey,
              statements: [
                signer.signStatement(lifecycleStatementText(name, statement, Math.floor(Date.now() / 1000))),
              ],
            }),
      },
    });
    return { ...answer, registry };
  }
  return registryWriter(registry, `run ${LIFECYCLE_COMMAND[change.action]} on`).locked(async () => {
    // Ownership first, then the change tried in each format (one that lacks the version or tag is
    // left as it is), and only then anything written: a refused change leaves both as they were.
    const owner = lifecycleSigner(registry, name, signer);
    const { pkg } = await scanV2Catalog(registry, name);
    const apply = (target: CatalogPackage): string[] => applyLifecycleChange(target, change);
    const misses: MarketplaceError[] = [];
    const attempt = async (run: () => Promise<string[] | undefined>): Promise<string[] | undefined> => {
      try {
        return await run();
      } catch (error) {
        if (!(error instanceof MarketplaceError) || error.code !== 'GGEN_E_VERSION_NOT_FOUND') throw error;
        misses.push(error);
        return undefined;
      }
    };
    const v2Changed = pkg === undefined ? undefined : await attempt(() => Promise.resolve(apply(pkg)));
    const v1Changed = await attempt(() => changeV1Package(registry, name, apply, { dryRun: true }));
    const changed = v2Changed ?? v1Changed;
    if (changed === undefined && misses[0] !== undefined) throw misses[0];
    if (changed === undefined) {
      throw new MarketplaceError('GGEN_E_PACKAGE_NOT_FOUND', `Package '${safeText(name)}' is not in ${registry}`, {
        hint: 'Check the name, or pass --registry <the registry that has it>.',
        details: { package: name },
      });
    }
    // The signed statement first: clients follow it, not the catalog, once the package is owned,
    // so a change that is in the catalog is always one an owner signed.
    if (owner !== undefined) await recordLifecycleStatement(registry, name, owner, statement);
    const formats: string[] = [];
    if (v2Changed !== undefined && pkg !== undefined) {
      await writeCatalogPackages(registry, [pkg]);
      formats.push(CATALOG_FILE);
    }
    if (v1Changed !== undefined) {
      await changeV1Package(registry, name, apply);
      formats.push('index.json');
    }
    return {
      package: name,
      action: change.action,
      changed,
      formats,
      registry,
      ...(owner === undefined ? {} : { signedBy: owner.keyId }),
    };
  });
}
