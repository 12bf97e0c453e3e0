import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MarketplaceError, writeFileAtomic, type ErrorCode, type FetchOptions } from '@ggen/marketplace-core';
import { streamBaseCatalog } from '../catalog-file.js';
import { LineList } from '../sorted-strings.js';
import { CatalogSharder, UnusableCatalog, type ShardIndex } from './shard-catalog.js';

/** The layout of the shards; a store of another format is rebuilt. */
export const FORMAT = 5;

/** index.json of a version directory: how many of each list there are, and the catalog it was cut from. */
export interface IndexFile {
  format: number;
  digest: string;
  triples: number;
  packages: number;
  tokens: number;
}

/** What a sync tells as it goes: the catalog's size when known, bytes read, lines cut, the store written. */
export type SyncEvent =
  | { type: 'reading'; bytes?: number }
  | { type: 'read'; bytes: number }
  | { type: 'sharding'; lines: number }
  | { type: 'written'; packages: number };

export interface CutRequest {
  /** The registry (directory or http(s) base) whose catalog.nq is cut. */
  registry: string;
  /** A new, empty directory: the version directory being made. */
  dir: string;
  fetch: FetchOptions;
}

export interface CutResult {
  digest: string;
  packages: number;
  tokens: number;
  triples: number;
}

/** Small pieces: the catalog streams through the sharder, a few MiB held at a time. */
const SYNC_READ_SIZES = { readBytes: 1024 * 1024, chunkChars: 4 * 1024 * 1024 };

/**
 * Streams a registry's catalog into a version directory of the local store: the shards, the
 * filters and the index, index.json last. Throws UnusableCatalog for a catalog that cannot be
 * cut, a MarketplaceError when it cannot be read, an fs error when the store cannot be written;
 * the caller removes the directory.
 */
export async function cutCatalog(request: CutRequest, onEvent?: (event: SyncEvent) => void): Promise<CutResult> {
  const sharder = new CatalogSharder(request.dir, (lines) => onEvent?.({ type: 'sharding', lines }));
  try {
    // catalog.nq alone: the journal is kept beside the shards, not cut into them.
    const { digest } = await streamBaseCatalog(
      request.registry,
      request.fetch,
      (chunk) => {
        sharder.add(chunk);
        onEvent?.({ type: 'read', bytes: Buffer.byteLength(chunk) });
      },
      SYNC_READ_SIZES,
    );
    const { index, filters, browse } = sharder.finish();
    await writeFile(join(request.dir, 'filters.json'), JSON.stringify(filters));
    await writeFile(join(request.dir, 'browse.json'), JSON.stringify(browse));
    await writeIndex(request.dir, index, digest);
    return { digest, packages: index.packages.length, tokens: index.tokens.length, triples: index.triples };
  } finally {
    sharder.abort();
  }
}

/** The index's files (StoreIndex); index.json last, atomically: a version directory with one is whole. */
async function writeIndex(target: string, index: ShardIndex, digest: string): Promise<void> {
  await writeFile(join(target, 'packages.txt'), LineList.textOf(index.packages));
  await writeFile(join(target, 'tokens.txt'), LineList.textOf(index.tokens));
  const bytes = Buffer.allocUnsafe((index.packageRanges.length + index.tokenRanges.length) * 8);
  let at = 0;
  for (const ranges of [index.packageRanges, index.tokenRanges])
    for (const value of ranges) at = bytes.writeDoubleLE(value, at);
  await writeFile(join(target, 'ranges.bin'), bytes);
  await writeFile(join(target, 'depends.json'), JSON.stringify(index.dependsOn));
  const file: IndexFile = {
    format: FORMAT,
    digest,
    triples: index.triples,
    packages: index.packages.length,
    tokens: index.tokens.length,
  };
  await writeFileAtomic(join(target, 'index.json'), JSON.stringify(file));
}

/** An error as it crosses the thread: what it was, enough to make it again on the other side. */
export type CutFailure =
  | { kind: 'unusable'; message: string }
  | { kind: 'marketplace'; code: string; message: string; hint?: string; details?: Record<string, unknown> }
  | { kind: 'other'; message: string; code?: string; syscall?: string; path?: string };

export function describeFailure(error: unknown): CutFailure {
  if (error instanceof UnusableCatalog) return { kind: 'unusable', message: error.message };
  if (error instanceof MarketplaceError)
    return {
      kind: 'marketplace',
      code: error.code,
      message: error.message,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      ...(error.details === undefined
        ? {}
        : { details: JSON.parse(JSON.stringify(error.details)) as Record<string, unknown> }),
    };
  const { code, syscall, path } = error as NodeJS.ErrnoException;
  return {
    kind: 'other',
    message: error instanceof Error ? error.message : String(error),
    ...(code === undefined ? {} : { code }),
    ...(syscall === undefined ? {} : { syscall }),
    ...(path === undefined ? {} : { path }),
  };
}

/** The error a CutFailure describes, made again in the thread that started the cut. */
export function failureError(failure: CutFailure): Error {
  switch (failure.kind) {
    case 'unusable':
      return new UnusableCatalog(failure.message);
    case 'marketplace':
      return new MarketplaceError(failure.code as ErrorCode, failure.message, {
        ...(failure.hint === undefined ? {} : { hint: failure.hint }),
        ...(failure.details === undefined ? {} : { details: failure.details }),
      });
    default:
      return Object.assign(new Error(failure.message), {
        ...(failure.code === undefined ? {} : { code: failure.code }),
        ...(failure.syscall === undefined ? {} : { syscall: failure.syscall }),
        ...(failure.path === undefined ? {} : { path: failure.path }),
      });
  }
}
