const t0 = performance.now();
const v2 = await import('@ggen/marketplace-v2');
const t1 = performance.now();
const files = await v2.openLocalStore({ registry: '/tmp/cold-gbul8b/', storeRoot: '/tmp/cold-gbul8b//.cache/ggen/v2-store', timeoutMs: 1000, retries: 0 });
const engine = new v2.SparqlSearchEngine(new v2.ShardedCatalog(files));
const t2 = performance.now();
await engine.search({ text: 'react', limit: 20, offset: 0, sort: 'relevance' });
const t3 = performance.now();
console.log('import', (t1-t0).toFixed(0), 'open', (t2-t1).toFixed(0), 'search', (t3-t2).toFixed(0));
