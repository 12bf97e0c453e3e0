import type { CatalogPackage } from '@ggen/marketplace-core';

export interface NpmRow {
  name: string;
  version: string;
  downloads: number;
  summary: string;
}
export function loadNpmRows(count: number): NpmRow[];
export function toCatalogPackages(rows: NpmRow[]): CatalogPackage[];
