import { join } from 'node:path';
import { MarketplaceError } from '@ggen/marketplace-core';
import { syncLocalStore, type SyncResult } from '@ggen/marketplace-v2';
import { SingleBar } from 'cli-progress';
import { defineCommand } from '../command-spec.js';
import { storeRootOf } from '../store-root.js';
import { fetchOptionsOf } from '../fetch-options.js';

const MB = 1024 * 1024;

export const syncCommand = defineCommand({
  command: 'sync',
  describe: 'Bring the local v2 store up to date with the registry (nothing is rebuilt when it is unchanged)',
  options: {
    force: { type: 'boolean', default: false, describe: 'rebuild the local store even when the catalog is unchanged' },
  },
  builder: (yargs) =>
    yargs
      .example('$0 marketplace sync', 'before working offline, or after others published')
      .example('$0 marketplace sync --registry https://registry.example/ggen/', 'an http(s) registry'),
  run: async (context, args): Promise<SyncResult> => {
    const { config } = context.config();
    if (config.sparql_endpoint !== undefined) {
      throw new MarketplaceError(
        'GGEN_E_USAGE',
        'The catalog is on a remote SPARQL endpoint: there is no local store to sync',
        {
          hint: 'Unset marketplace.sparql_endpoint to use the embedded store, or use registry push to update the endpoint.',
        },
      );
    }
    const interactive = context.io.isTty && !context.args.json;
    let bar: SingleBar | undefined;
    let read = 0;
    try {
      return await syncLocalStore({
        registry: context.v2Registry(),
        storeRoot: storeRootOf(config),
        ...fetchOptionsOf(config),
        force: args.force,
        onEvent: (event) => {
          if (!interactive) return;
          if (event.type === 'reading') {
            // Only a file registry's size is known before it is read; an http one gets no bar.
            if (event.bytes === undefined) return;
            context.terminal?.stop();
            context.terminal?.onInterrupt(() => bar?.stop());
            bar = new SingleBar({
              format: 'syncing [{bar}] {value}/{total} MB of the catalog',
              stream: process.stderr,
              clearOnComplete: true,
              hideCursor: true,
            });
            bar.start(Math.max(1, Math.ceil(event.bytes / MB)), 0);
            read = 0;
          } else if (event.type === 'read') {
            read += event.bytes;
            bar?.update(Math.min(bar.getTotal(), Math.floor(read / MB)));
          } else if (event.type === 'sharding') return;
          else {
            bar?.update(bar.getTotal());
            bar?.stop();
          }
        },
      });
    } finally {
      bar?.stop();
    }
  },
  render: (result) =>
    [
      `${result.status === 'unchanged' ? 'up to date' : result.status === 'created' ? 'synced' : 'updated'}: ${result.registry}`,
      `  ${result.packages} packages, ${result.tokens} search tokens, ${result.triples} triples (catalog sha256 ${result.digest.slice(0, 12)}…)`,
      `  local store: ${join(result.store)} (${result.ms} ms)`,
    ].join('\n'),
});
