/**
 * What a build is, known without loading it: the launcher answers `features` from these (in
 * node's own start time), and the build's FeatureSet is made from the same facts. Node
 * builtins only import this.
 */
export interface BuildFacts {
  name: 'marketplace-v1' | 'marketplace-v2' | 'marketplace-parallel';
  backends: readonly ('v1' | 'v2')[];
  adapters: boolean;
}

export const PARALLEL_BUILD: BuildFacts = { name: 'marketplace-parallel', backends: ['v1', 'v2'], adapters: true };

/** `features` output, for the command and the launcher alike. */
export function featuresResult(facts: BuildFacts): { build: string; backends: readonly string[]; adapters: boolean } {
  return { build: facts.name, backends: facts.backends, adapters: facts.adapters };
}

export const renderFeatures = (result: ReturnType<typeof featuresResult>): string =>
  `build: ${result.build}\nbackends: ${result.backends.join(', ')}\nadapters: ${result.adapters ? 'yes' : 'no'}`;
