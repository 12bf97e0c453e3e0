import { MarketplaceError, type MarketplaceBackend } from '@ggen/marketplace-core';

export type Fault = 'throw' | 'hang' | 'malformed' | 'none';

/**
 * A real backend with faults injected into its calls: thrown errors, calls that never answer,
 * and answers of the wrong shape. `next()` picks the fault for each call.
 */
export function withFaults(backend: MarketplaceBackend, next: () => Fault): MarketplaceBackend & { calls: number } {
  const wrap =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      faulty.calls += 1;
      const fault = next();
      if (fault === 'throw')
        throw new MarketplaceError('GGEN_E_REGISTRY_UNREACHABLE', 'injected: v2 store unreachable');
      if (fault === 'hang') return new Promise<R>(() => undefined);
      const value = await call(...args);
      if (fault === 'malformed')
        return { ...(value as object), packages: [{ name: 42 }], total: -1, versions: 'x' } as R;
      return value;
    };
  const faulty = {
    calls: 0,
    metadata: () => backend.metadata(),
    search: wrap(backend.search.bind(backend)),
    getPackage: wrap(backend.getPackage.bind(backend)),
    listInstalled: backend.listInstalled.bind(backend),
    install: wrap(backend.install.bind(backend)),
    remove: wrap(backend.remove.bind(backend)),
    update: wrap(backend.update.bind(backend)),
    publish: wrap(backend.publish.bind(backend)),
    validate: backend.validate.bind(backend),
  };
  return faulty;
}

/** Counts calls per method of a real backend, to prove how often each backend ran. */
export function counting(backend: MarketplaceBackend): MarketplaceBackend & { calls: Record<string, unknown[][]> } {
  const calls: Record<string, unknown[][]> = {};
  const track =
    <A extends unknown[], R>(name: string, call: (...args: A) => R) =>
    (...args: A): R => {
      (calls[name] ??= []).push(args);
      return call(...args);
    };
  return {
    calls,
    metadata: () => backend.metadata(),
    search: track('search', backend.search.bind(backend)),
    getPackage: track('getPackage', backend.getPackage.bind(backend)),
    listInstalled: track('listInstalled', backend.listInstalled.bind(backend)),
    install: track('install', backend.install.bind(backend)),
    remove: track('remove', backend.remove.bind(backend)),
    update: track('update', backend.update.bind(backend)),
    publish: track('publish', backend.publish.bind(backend)),
    validate: track('validate', backend.validate.bind(backend)),
  };
}
