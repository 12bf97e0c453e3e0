import type { BackendMetadata } from '@ggen/marketplace-core';

/** What the v2 backend offers over v1: SPARQL, RDF metadata and Ed25519 (minisign) signatures. */
export const V2_BACKEND_METADATA: BackendMetadata = {
  type: 'v2',
  version: '2.0.0',
  capabilities: { signing: true, sparql: true, rdfMetadata: true, publish: true },
};
