import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushCatalog, writeV2Catalog, RemoteCatalog } from '@ggen/marketplace-v2';
import { startVirtuoso } from '/work/main/tools/testing/virtuoso.mjs';
import { loadNpmRows, toCatalogPackages } from '/work/main/tools/testing/npm-sample.mjs';
const v = await startVirtuoso({ maxRows: 1000 });
const registry = mkdtempSync(join(tmpdir(), 'reg-'));
await writeV2Catalog(registry, toCatalogPackages(loadNpmRows(3000)));
const stateDir = mkdtempSync(join(tmpdir(), 'st-'));
const remote = { queryUrl: v.queryUrl, graphStoreUrl: v.graphStoreUrl, updateUrl: v.updateUrl, user: v.user, password: v.password, timeoutMs: 10000 };
let calls = 0;
try {
  await pushCatalog({
    registry,
    fetch: { timeoutMs: 10000, retries: 0 },
    remote,
    stateDir,
    batchLines: 10000,
    onProgress: ({ done }) => {
      calls++;
      if (calls === 4) throw new Error('interrupted');
    },
  });
} catch (e) {
  console.log('1:', e.message);
}
const reader = new RemoteCatalog({ queryUrl: v.queryUrl, timeoutMs: 10000 });
console.log(await reader.select('SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://ggen.dev/registry/catalog> { ?s ?p ?o } }'));
try {
  const r = await pushCatalog({ registry, fetch: { timeoutMs: 10000, retries: 0 }, remote, stateDir, batchLines: 10000 });
  console.log(r);
} catch (e) {
  console.log('2:', e.message, e.cause?.message, e.cause?.cause?.message);
}
console.log(
  'alive',
  (() => {
    try {
      process.kill(v.pid, 0);
      return true;
    } catch {
      return false;
    }
  })(),
);
try {
  console.log(readFileSync(join('/tmp', 'x'), 'utf8'));
} catch {}
await v.stop();
