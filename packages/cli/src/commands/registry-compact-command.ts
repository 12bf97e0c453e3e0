import { compactRegistry } from '@ggen/marketplace-v2';
import { defineCommand } from '../command-spec.js';

/**
 * `registry compact`: the journal of changes folded into the v2 catalog, written whole once,
 * beside the old one while changes go on; the registry's lock is held only to put it in place.
 */
export const registryCompactCommand = defineCommand({
  command: 'compact',
  describe: "Fold a v2 registry directory's journal of changes into its catalog (catalog.nq), written whole",
  available: (features) => features.backends.includes('v2'),
  builder: (yargs) => yargs.example('$0 marketplace registry compact --registry ./registry', ''),
  run: async (context) => {
    const registry = context.v2Registry();
    const result = await compactRegistry(registry);
    return { registry, ...result };
  },
  render: (result) =>
    result.compacted
      ? `compacted ${result.registry}: ${result.entries} journal entr${result.entries === 1 ? 'y' : 'ies'} folded into a catalog of ${result.packages} package${result.packages === 1 ? '' : 's'}`
      : `not compacted: ${result.registry}'s catalog was written whole while this ran (a change filled its journal); nothing to fold`,
});
