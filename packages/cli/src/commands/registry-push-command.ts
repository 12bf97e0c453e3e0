import { MarketplaceError } from '@ggen/marketplace-core';
import { fetchCatalogText, RemoteCatalog } from '@ggen/marketplace-v2';
import { defineCommand } from '../command-spec.js';
import { remoteCatalogOptions } from '../remote-options.js';

export const registryPushCommand = defineCommand({
  command: 'push',
  describe: "Upload the v2 registry's catalog to the configured SPARQL endpoint",
  available: (features) => features.backends.includes('v2'),
  builder: (yargs) => yargs.example('GGEN_MARKETPLACE_SPARQL_PASSWORD=... $0 marketplace registry push --registry ./registry', ''),
  run: async (context) => {
    const { config } = context.config();
    const remote = remoteCatalogOptions(config);
    if (remote === undefined) {
      throw new MarketplaceError('GGEN_E_USAGE', 'registry push needs marketplace.sparql_endpoint', {
        hint: 'Set sparql_endpoint, sparql_graph_store and sparql_user in config.yaml, and GGEN_MARKETPLACE_SPARQL_PASSWORD.',
      });
    }
    const { location, text } = await fetchCatalogText(context.v2Registry(), { timeoutMs: config.timeout_ms, retries: config.retries });
    const triples = await new RemoteCatalog(remote).replaceCatalog(text);
    return { catalog: location, endpoint: remote.queryUrl, triples };
  },
  render: (result) => `pushed ${result.triples} triples from ${result.catalog} to ${result.endpoint}`,
});
