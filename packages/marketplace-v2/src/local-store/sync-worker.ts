/**
 * The entry of the worker a sync cuts a file registry's catalog in (local-store.ts): a thread
 * with a heap of its own, capped, so that the garbage of streaming a catalog of any size through
 * the sharder is collected instead of growing the process, and is all given back when it ends.
 * Nothing runs unless it is started as that worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { cutCatalog, describeFailure, type CutRequest } from './catalog-cut.js';

const request = (workerData as { ggenCut?: CutRequest } | null)?.ggenCut;
const port = parentPort;
if (port !== null && request !== undefined)
  cutCatalog(request, (event) => {
    port.postMessage({ event });
  }).then(
    (result) => {
      port.postMessage({ result });
    },
    (error: unknown) => {
      port.postMessage({ failure: describeFailure(error) });
    },
  );
