import { MarketplaceError } from '@ggen/marketplace-core';
import { pushCatalog } from '@ggen/marketplace-v2';
import { defineCommand } from '../command-spec.js';
import { remoteCatalogOptions } from '../remote-options.js';
import { fetchOptionsOf } from '../fetch-options.js';

/** Virtuoso's layout: the authenticated Update endpoint sits beside its authenticated Graph Store. */
function defaultUpdateUrl(graphStoreUrl: string): string | undefined {
  const url = new URL(graphStoreUrl);
  if (!url.pathname.endsWith('/sparql-graph-crud-auth')) return undefined;
  url.pathname = url.pathname.replace(/\/sparql-graph-crud-auth$/, '/sparql-auth');
  return url.toString();
}

export const registryPushCommand = defineCommand({
  command: 'push',
  describe:
    "Upload the v2 registry's catalog to the configured SPARQL endpoint: in batches, resumable, switched in whole",
  available: (features) => features.backends.includes('v2'),
  builder: (yargs) =>
    yargs.example('GGEN_MARKETPLACE_SPARQL_PASSWORD=... $0 marketplace registry push --registry ./registry', ''),
  run: async (context) => {
    const { config } = context.config();
    const remote = remoteCatalogOptions(config);
    if (remote === undefined) {
      throw new MarketplaceError('GGEN_E_USAGE', 'registry push needs marketplace.sparql_endpoint', {
        hint: 'Set sparql_endpoint, sparql_graph_store and sparql_user in config.yaml, and GGEN_MARKETPLACE_SPARQL_PASSWORD.',
      });
    }
    const { graphStoreUrl, user, password } = remote;
    if (graphStoreUrl === undefined || user === undefined || password === undefined) {
      throw new MarketplaceError(
        'GGEN_E_CONFIG_INVALID',
        'Pushing a catalog needs marketplace.sparql_graph_store, sparql_user and sparql_password',
        {
          hint: 'Set them in config.yaml, or GGEN_MARKETPLACE_SPARQL_PASSWORD in the environment.',
        },
      );
    }
    const updateUrl = config.sparql_update ?? defaultUpdateUrl(graphStoreUrl);
    if (updateUrl === undefined) {
      throw new MarketplaceError(
        'GGEN_E_CONFIG_INVALID',
        'Pushing a catalog needs marketplace.sparql_update, the SPARQL 1.1 Update endpoint that switches to the new catalog',
        {
          hint: "Set sparql_update (a Virtuoso's is /sparql-auth beside /sparql-graph-crud-auth, and is found on its own).",
        },
      );
    }
    let shown = -1;
    const result = await pushCatalog({
      registry: context.v2Registry(),
      fetch: fetchOptionsOf(config),
      remote: { ...remote, graphStoreUrl, updateUrl, user, password },
      stateDir: config.state_dir,
      onProgress: ({ done, total, resumed }) => {
        // A line per tenth of the catalog: progress from the first batch, without a line per request.
        const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
        if (tenth === shown) return;
        shown = tenth;
        context.notice(`pushing: ${done} of ${total} triples${resumed ? ' (resumed)' : ''}`);
      },
    });
    return {
      catalog: result.location,
      endpoint: remote.queryUrl,
      triples: result.triples,
      batches: result.batches,
      resumedAt: result.resumedAt,
    };
  },
  render: (result) =>
    `pushed ${result.triples} triples from ${result.catalog} to ${result.endpoint}${result.resumedAt > 0 ? ` (resumed at ${result.resumedAt})` : ''}`,
});
