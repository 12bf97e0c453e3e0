import {
  catalogPackageDetails,
  installPackages,
  listInstalledPackages,
  parsePackageSpec,
  removePackage,
  updatePackages,
  validatePackageDir,
  type MarketplaceBackend,
  type PackageDetails,
} from '@ggen/marketplace-core';
import { SparqlSearchEngine } from './sparql-search-engine.js';
import { V2_BACKEND_METADATA } from './v2-metadata.js';
import { publishToV2Registry } from './v2-publish.js';
import { V2Registry, type V2RegistryOptions } from './v2-registry.js';

export interface V2Backend extends MarketplaceBackend {
  readonly registry: V2Registry;
  searchEngine(): Promise<SparqlSearchEngine>;
}

export function createV2Backend(options: V2RegistryOptions): V2Backend {
  const registry = new V2Registry(options);
  let engine: Promise<SparqlSearchEngine> | undefined;
  const searchEngine = (): Promise<SparqlSearchEngine> => {
    engine ??= registry.catalog().then((catalog) => new SparqlSearchEngine(catalog));
    return engine;
  };
  return {
    registry,
    searchEngine,
    metadata: () => V2_BACKEND_METADATA,
    search: async (query) => (await searchEngine()).search(query),
    async getPackage(name, version): Promise<PackageDetails | null> {
      const pkg = await registry.findPackage(name);
      return pkg === undefined ? null : catalogPackageDetails(pkg, version);
    },
    listInstalled: (request) => listInstalledPackages(request),
    async install(request, events) {
      await registry.prefetch(request.specs.map((spec) => parsePackageSpec(spec).name));
      return installPackages(registry, request, events);
    },
    remove: (request, events) => removePackage(registry, request, events),
    update: (request, events) => updatePackages(registry, request, events),
    publish: (request) => publishToV2Registry(request),
    validate: (dir) => Promise.resolve(validatePackageDir(dir)),
  };
}
