import type { BackendMetadata } from '@ggen/marketplace-core';

/** What the v2 backend offers over v1: SPARQL and RDF metadata (signatures arrive with issue 5). */
export const V2_BACKEND_METADATA: BackendMetadata = {
  type: 'v2',
  version: '2.0.0',
  capabilities: { signing: false, sparql: true, rdfMetadata: true, publish: true },
};
