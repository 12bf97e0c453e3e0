import type { CatalogPackage } from '@ggen/marketplace-core';

export interface NpmRow {
  name: string;
  version: string;
  downloads: number;
  summary: string;
}
/** `file`: `npm-top100k.tsv.gz` (scoped names flattened) by default, or `npm-top10k-scoped.tsv.gz` (real @scope/names). */
export function loadNpmRows(count: number, file?: string): NpmRow[];
export function toCatalogPackages(rows: NpmRow[]): CatalogPackage[];
/** Writes index.json and one small archive per row into `dir`; returns the packages given ten dependencies each. */
export function writeV1Registry(
  dir: string,
  rows: NpmRow[],
  options?: { installTargets?: number },
): { targets: string[] };
