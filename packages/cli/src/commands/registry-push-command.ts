import { pushCatalog } from '@ggen/marketplace-v2';
import { defineCommand } from '../command-spec.js';
import { endpointTarget } from '../remote-options.js';
import { fetchOptionsOf } from '../fetch-options.js';

export const registryPushCommand = defineCommand({
  command: 'push',
  describe:
    "Upload the v2 registry's catalog to the configured SPARQL endpoint: in batches, resumable, switched in whole",
  available: (features) => features.backends.includes('v2'),
  builder: (yargs) =>
    yargs.example('GGEN_MARKETPLACE_SPARQL_PASSWORD=... $0 marketplace registry push --registry ./registry', ''),
  run: async (context) => {
    const { config } = context.config();
    const remote = endpointTarget(config, 'Pushing a catalog');
    let shown = -1;
    const result = await pushCatalog({
      registry: context.v2Registry(),
      fetch: fetchOptionsOf(config),
      remote,
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
