import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { join } from 'node:path';
import { MarketplaceError, registryWriter, withFileLock, type FetchOptions } from '@ggen/marketplace-core';
import { catalogStat } from './catalog-file.js';
import { readJournal, type JournalEntry } from './catalog-journal.js';
import { pushCatalog, updateEndpoint, type EndpointTarget } from './catalog-push.js';
import { RemoteCatalog, type Generations } from './remote-catalog.js';
import { CATALOG_GRAPH, CATALOG_META_GRAPH, packageIri, V } from './vocabulary.js';

/**
 * A registry directory's catalog kept on a SPARQL endpoint as the directory changes (a registry
 * server whose catalog is remote). The directory stays the registry: its catalog.nq and journal
 * are written first, under the registry's lock, by the same code as without an endpoint. The
 * endpoint follows: each switch record names the directory's state its graph holds
 * (`<catalog.nq's stat> <journal entries applied> <digest of the last one>`), and bringing it in
 * step applies the journal's entries it lacks to the live graph, one SPARQL Update each (the
 * package's triples and posting links deleted, its new block inserted, the record moved on),
 * under the registry's lock. When it holds another catalog (never pushed, or catalog.nq was
 * written whole since: a compaction), the catalog is pushed whole (pushEndpoint), as a snapshot
 * and without the registry's lock, then the entries that landed meanwhile are applied. Any
 * instance over the directory may do it: a change, or a read that finds the endpoint behind.
 */
export interface EndpointFollowOptions {
  dir: string;
  remote: EndpointTarget;
  /** Where a whole push keeps its progress (the server user's state directory). */
  stateDir: string;
  fetch: FetchOptions;
  /**
   * Whether to wait while another writer holds the registry's lock (a change, a compaction and its
   * push): a change does; a read does not, and serves the endpoint as it is meanwhile.
   */
  wait?: boolean;
}

export interface EndpointStep {
  /** Journal entries applied to the live graph. */
  applied: number;
  /** The catalog was pushed whole. */
  pushed: boolean;
  /** Still behind the directory: another writer held the lock, and the step did not wait. */
  behind?: boolean;
  /** The endpoint holds another catalog: a whole push is due (pushEndpoint), and nothing was applied. */
  pushDue?: boolean;
}

/** One whole push of a directory's catalog at a time, beside the registry's lock (which a push does not hold). */
export const ENDPOINT_PUSH_LOCK_FILE = '.ggen-endpoint-push.lock';

interface Standing {
  live: Generations;
  state: string;
  /** Journal entries the endpoint lacks, or undefined when it holds another catalog (a push is due). */
  missing: { from: number; entries: JournalEntry[] } | undefined;
}

function entryDigest(entry: JournalEntry | undefined): string {
  return entry === undefined ? '-' : bytesToHex(sha256(utf8ToBytes(entry.block)));
}

/** The state an endpoint records for a directory whose catalog.nq has stat key `base`, with `count` journal entries applied, `last` the last. */
function stateOf(base: string, count: number, last: JournalEntry | undefined): string {
  return `${base} ${count} ${entryDigest(last)}`;
}

/** Where the endpoint stands against the directory, or undefined for a directory with no catalog yet. */
async function standing(options: EndpointFollowOptions): Promise<Standing | undefined> {
  const stat = catalogStat(options.dir);
  if (stat === undefined) return undefined;
  const entries = await readJournal(options.dir, options.fetch);
  const live = await new RemoteCatalog(options.remote).generations();
  const state = stateOf(stat.base.key, entries.length, entries.at(-1));
  const [base, count, digest] = (live.state ?? '').split(' ');
  const held = Number(count);
  const prefix =
    base === stat.base.key &&
    Number.isInteger(held) &&
    held >= 0 &&
    held <= entries.length &&
    digest === entryDigest(entries[held - 1]);
  return { live, state, missing: prefix ? { from: held, entries: entries.slice(held) } : undefined };
}

/**
 * Brings the endpoint in step with the directory: a look without the lock first (in step, the
 * common case, costs one small query and a read of the journal), then, behind, under the lock.
 */
export async function bringEndpointInStep(options: EndpointFollowOptions): Promise<EndpointStep> {
  const first = await standing(options);
  if (first === undefined || first.missing?.entries.length === 0) return { applied: 0, pushed: false };
  if (first.missing === undefined) return { applied: 0, pushed: false, pushDue: true };
  try {
    return await registryWriter(options.dir, 'keep the endpoint of').locked(
      () => applyMissing(options),
      options.wait === false ? { timeoutMs: 0 } : {},
    );
  } catch (error) {
    if (options.wait === false && error instanceof MarketplaceError && error.code === 'GGEN_E_LOCK_TIMEOUT')
      return { applied: 0, pushed: false, behind: true };
    throw error;
  }
}

/**
 * Pushes a directory's catalog whole to an endpoint that holds another (pushCatalog: batched,
 * resumable, switched in one update), without the registry's lock: a snapshot of it (catalog.nq
 * by its stat key, the journal's entries as read) is pushed while changes go on, recorded as the
 * state it is, and the entries that landed meanwhile are applied after it. One push at a time
 * (ENDPOINT_PUSH_LOCK_FILE): with another running, `waitForPush` says whether to wait for it, else
 * the step is `behind`. A catalog.nq written whole while it is read stops the push (coded): the
 * next one starts over.
 */
export async function pushEndpoint(
  options: EndpointFollowOptions & { waitForPush?: boolean; signal?: AbortSignal },
): Promise<EndpointStep> {
  try {
    return await withFileLock(
      join(options.dir, ENDPOINT_PUSH_LOCK_FILE),
      async () => {
        const now = await standing(options);
        let pushed = false;
        if (now !== undefined && now.missing === undefined) {
          const base = catalogStat(options.dir)?.base.key ?? '';
          const entries = await readJournal(options.dir, options.fetch);
          await pushCatalog({
            registry: options.dir,
            fetch: options.fetch,
            remote: options.remote,
            stateDir: options.stateDir,
            state: stateOf(base, entries.length, entries.at(-1)),
            snapshot: { base, entries },
            ...(options.signal === undefined ? {} : { signal: options.signal }),
          });
          pushed = true;
        }
        const step = await bringEndpointInStep({ ...options, wait: true });
        return { ...step, pushed };
      },
      options.waitForPush === true ? {} : { timeoutMs: 0 },
    );
  } catch (error) {
    if (options.waitForPush !== true && error instanceof MarketplaceError && error.code === 'GGEN_E_LOCK_TIMEOUT')
      return { applied: 0, pushed: false, behind: true };
    throw error;
  }
}

/** Under the registry's lock: the journal's entries the endpoint lacks, applied. */
async function applyMissing(options: EndpointFollowOptions): Promise<EndpointStep> {
  const now = await standing(options);
  if (now === undefined) return { applied: 0, pushed: false };
  // catalog.nq was written whole since the look without the lock.
  if (now.missing === undefined) return { applied: 0, pushed: false, pushDue: true };
  const { from, entries } = now.missing;
  let live = now.live;
  const { record } = live;
  const base = now.state.split(' ')[0] ?? '';
  for (const [index, entry] of entries.entries()) {
    const state = stateOf(base, from + index + 1, entry);
    const digest = bytesToHex(sha256(utf8ToBytes(`${live.digest ?? ''} ${state}`)));
    // A state is only ever recorded on a record (a push's); `record` is there.
    await updateEndpoint(
      options.remote,
      entryUpdate(live, record ?? '', entry, state, digest),
      `Applying ${entry.name}'s change`,
    );
    live = { ...live, digest, state, vocabularyDigest: live.vocabularyDigest ?? live.digest };
  }
  return { applied: entries.length, pushed: false };
}

/**
 * One change as one SPARQL Update on the live graph: the package's dependencies, versions, posting
 * links and own triples deleted (in that order: each found through the one after it), its block
 * from the journal inserted, and the generation's switch record told: the directory's state it
 * holds now, a new digest of its content (a push of the same catalog is not taken as in place),
 * and the package among those changed since the push, whose tokens readers add to the vocabulary
 * they cache by the pushed digest. The shared nodes a block describes (authors, keys, posting
 * nodes) are left: another package may link them, and the block says them again.
 */
function entryUpdate(live: Generations, record: string, entry: JournalEntry, state: string, digest: string): string {
  const graph = `<${live.current}>`;
  const own = `<${packageIri(entry.name)}>`;
  const inGraph = (patterns: string): string => `GRAPH ${graph} { ${patterns} }`;
  const triples = entry.block
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `${line.slice(0, line.lastIndexOf(` <${CATALOG_GRAPH}> .`))} .`)
    .join('\n');
  const said = [
    live.digest === undefined ? '' : `<${record}> <${V.catalogDigest}> "${live.digest}" .`,
    live.state === undefined ? '' : `<${record}> <${V.catalogState}> "${live.state}" .`,
  ].join(' ');
  const told = [
    `<${record}> <${V.catalogDigest}> "${digest}"`,
    `<${V.catalogState}> "${state}"`,
    `<${V.vocabularyDigest}> "${live.vocabularyDigest ?? live.digest ?? ''}"`,
    `<${V.changedPackage}> ${own}`,
  ].join(' ; ');
  return [
    `DELETE { ${inGraph('?s ?p ?o')} } WHERE { ${inGraph(`${own} <${V.hasVersion}> ?v . ?v <${V.dependsOn}> ?s . ?s ?p ?o`)} }`,
    `DELETE { ${inGraph('?s ?p ?o')} } WHERE { ${inGraph(`${own} <${V.hasVersion}> ?s . ?s ?p ?o`)} }`,
    `DELETE { ${inGraph(`?s <${V.postingOf}> ${own}`)} } WHERE { ${inGraph(`?s <${V.postingOf}> ${own}`)} }`,
    `DELETE { ${inGraph(`${own} ?p ?o`)} } WHERE { ${inGraph(`${own} ?p ?o`)} }`,
    `DELETE DATA { GRAPH <${CATALOG_META_GRAPH}> { ${said} } }`,
    `INSERT DATA { ${inGraph(triples)} GRAPH <${CATALOG_META_GRAPH}> { ${told} } }`,
  ].join(' ;\n');
}
