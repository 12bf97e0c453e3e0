/**
 * What a build is, known without loading it: the launcher answers `features` from these (in
 * node's own start time), and the build's FeatureSet is made from the same facts. Node
 * builtins only import this.
 */
export interface BuildFacts {
  name: 'marketplace-v1' | 'marketplace-v2' | 'marketplace-parallel' | 'marketplace-v2-default';
  backends: readonly ('v1' | 'v2')[];
  adapters: boolean;
  /** The strategy that serves when no config names one. */
  defaultBackend: string;
}

/** The plan's end state and the default build: v2 serves, v1 is the fallback. */
export const PARALLEL_BUILD: BuildFacts = {
  name: 'marketplace-parallel',
  backends: ['v1', 'v2'],
  adapters: true,
  defaultBackend: 'v2-with-fallback',
};

/** `features` output, for the command and the launcher alike. */
export function featuresResult(facts: BuildFacts): {
  build: string;
  backends: readonly string[];
  adapters: boolean;
  defaultBackend: string;
} {
  return {
    build: facts.name,
    backends: facts.backends,
    adapters: facts.adapters,
    defaultBackend: facts.defaultBackend,
  };
}

export const renderFeatures = (result: ReturnType<typeof featuresResult>): string =>
  `build: ${result.build}\nbackends: ${result.backends.join(', ')}\nadapters: ${result.adapters ? 'yes' : 'no'}\ndefault backend: ${result.defaultBackend}`;
