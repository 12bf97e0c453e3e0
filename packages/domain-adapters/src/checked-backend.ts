import type { MarketplaceBackend } from '@ggen/marketplace-core';
import { INSTALL_RESULT, PACKAGE_DETAILS, SEARCH_RESULTS, shapeCheck } from './model-checks.js';

/**
 * A backend whose answers are checked against the unified models: conversions that went wrong
 * (a damaged store, a half-read catalog) become GGEN_E_BACKEND_MALFORMED instead of bad output.
 */
export function checkedBackend(backend: MarketplaceBackend): MarketplaceBackend {
  return {
    metadata: () => backend.metadata(),
    search: async (query) => {
      const results = await backend.search(query);
      shapeCheck(SEARCH_RESULTS, `search "${query.text}"`)(results);
      return results;
    },
    getPackage: async (name, version) => {
      const details = await backend.getPackage(name, version);
      shapeCheck(PACKAGE_DETAILS, `info ${name}`)(details);
      return details;
    },
    listInstalled: (request) => backend.listInstalled(request),
    install: async (request, events) => {
      const result = await backend.install(request, events);
      shapeCheck(INSTALL_RESULT, `install ${request.specs.join(' ')}`)(result);
      return result;
    },
    remove: (request, events) => backend.remove(request, events),
    update: (request, events) => backend.update(request, events),
    publish: (request) => backend.publish(request),
    validate: (dir) => backend.validate(dir),
  };
}
