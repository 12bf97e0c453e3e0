import { featuresResult, renderFeatures } from '../build-facts.js';
import { defineCommand } from '../command-spec.js';

export const featuresCommand = defineCommand({
  command: 'features',
  describe: 'Print the feature build and the backends compiled in',
  builder: (yargs) =>
    yargs.example('$0 marketplace features', 'e.g. build marketplace-parallel: backends v1, v2 + adapters'),
  run: (context) =>
    Promise.resolve(
      featuresResult({
        name: context.features.name,
        backends: context.features.backends,
        adapters: context.features.adapters,
        defaultBackend: context.features.defaultBackend,
      }),
    ),
  render: renderFeatures,
});
