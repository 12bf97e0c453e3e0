import { defineGroup, type AnyCommandSpec, type CommandGroup } from '../command-spec.js';

/** `registry migrate` and `registry push`: each build registers the ones it can serve (v2 has push only). */
export const registryGroup = (...subcommands: AnyCommandSpec[]): CommandGroup =>
  defineGroup({ group: 'registry', describe: 'Registry maintenance', subcommands });
