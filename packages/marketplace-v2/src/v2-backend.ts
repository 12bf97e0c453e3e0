import {
  catalogPackageDetails,
  installPackages,
  listInstalledPackages,
  parsePackageSpec,
  removePackage,
  resolutionSource,
  updatePackages,
  validatePackageDir,
  type MarketplaceBackend,
  type PackageDetails,
  type PackageSource,
} from '@ggen/marketplace-core';
import { SparqlSearchEngine } from './sparql-search-engine.js';
import { V2_BACKEND_METADATA } from './v2-metadata.js';
import { publishToV2Registry } from './v2-publish.js';
import { V2Registry, type V2RegistryOptions } from './v2-registry.js';
import { ServerCatalog } from './server-catalog.js';

export interface V2Backend extends MarketplaceBackend {
  readonly registry: V2Registry;
  searchEngine(): Promise<SparqlSearchEngine>;
}

/** `registry` may be shared with another backend (as the other registry of cross-format dependencies). */
export function createV2Backend(options: V2RegistryOptions, registry = new V2Registry(options)): V2Backend {
  let engine: Promise<SparqlSearchEngine> | undefined;
  const searchEngine = (): Promise<SparqlSearchEngine> => {
    engine ??= registry.catalog().then((catalog) => new SparqlSearchEngine(catalog, options.cache));
    return engine;
  };
  const sourceFor = (cross: boolean | undefined): PackageSource =>
    resolutionSource(registry, options.otherRegistry, cross);
  return {
    registry,
    searchEngine,
    metadata: () => V2_BACKEND_METADATA,
    search: async (query) => {
      // A registry server ranks on its side, with this same engine over its catalog.
      const catalog = await registry.catalog();
      return catalog instanceof ServerCatalog ? catalog.search(query) : (await searchEngine()).search(query);
    },
    async getPackage(name, version): Promise<PackageDetails | null> {
      const pkg = await registry.findPackage(name);
      return pkg === undefined ? null : catalogPackageDetails(await registry.signedPackage(pkg), version);
    },
    listInstalled: (request) => listInstalledPackages(request),
    async install(request, events) {
      await registry.prefetch(request.specs.map((spec) => parsePackageSpec(spec).name));
      return installPackages(sourceFor(request.crossRegistry), request, events);
    },
    remove: (request, events) => removePackage(registry, request, events),
    update: (request, events) => updatePackages(sourceFor(request.crossRegistry), request, events),
    publish: (request) => publishToV2Registry(request),
    validate: (dir) => Promise.resolve(validatePackageDir(dir)),
  };
}
