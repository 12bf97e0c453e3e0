import {
  catalogPackageDetails,
  installPackages,
  listInstalledPackages,
  removePackage,
  resolutionSource,
  updatePackages,
  validatePackageDir,
  type BackendMetadata,
  type MarketplaceBackend,
  type PackageDetails,
  type PackageSource,
  type SearchQuery,
  type SearchResults,
} from '@ggen/marketplace-core';
import { describeProblem, type IndexProblem, type V1Index } from './v1-index.js';
import { publishToV1Registry } from './v1-publish.js';
import { V1Registry, type V1RegistryOptions } from './v1-registry.js';
import { searchV1, v1SearchFields, type SearchFields } from './v1-search.js';

export const V1_BACKEND_VERSION = '1.0.0';

export interface V1Backend extends MarketplaceBackend {
  readonly registry: V1Registry;
  /** Index entries that could not be used; the usable ones stay searchable. */
  problems(): Promise<IndexProblem[]>;
}

/** `registry` may be shared with another backend (as the other registry of cross-format dependencies). */
export function createV1Backend(options: V1RegistryOptions, registry = new V1Registry(options)): V1Backend {
  const sourceFor = (cross: boolean | undefined): PackageSource =>
    resolutionSource(registry, options.otherRegistry, cross);
  const metadata: BackendMetadata = {
    type: 'v1',
    version: V1_BACKEND_VERSION,
    capabilities: { signing: false, sparql: false, rdfMetadata: false, publish: true },
  };
  let searched: { index: V1Index; fields: SearchFields[] } | undefined;
  return {
    registry,
    metadata: () => metadata,
    problems: () => registry.problems(),
    async search(query: SearchQuery): Promise<SearchResults> {
      const index = await registry.loadIndex();
      // The lowercased fields of this index, computed once for every search through this backend.
      if (searched?.index !== index) searched = { index, fields: v1SearchFields(index.packages) };
      const results = searchV1(index.packages, query, searched.fields);
      if (index.problems.length === 0) return results;
      return { ...results, warnings: index.problems.map(describeProblem) };
    },
    async getPackage(name: string, version?: string): Promise<PackageDetails | null> {
      const pkg = await registry.findPackage(name);
      return pkg === undefined ? null : catalogPackageDetails(pkg, version);
    },
    listInstalled: (request) => listInstalledPackages(request),
    install: (request, events) => installPackages(sourceFor(request.crossRegistry), request, events),
    remove: (request, events) => removePackage(registry, request, events),
    update: (request, events) => updatePackages(sourceFor(request.crossRegistry), request, events),
    publish: (request) => publishToV1Registry({ ...request, registry: request.registry }),
    validate: (dir) => Promise.resolve(validatePackageDir(dir)),
  };
}
