import {
  MarketplaceError,
  nearestWord,
  SORT_FIELDS,
  type SearchQuery,
  type SearchResults,
} from '@ggen/marketplace-core';
import type { CliContext } from '../cli-context.js';
import { defineCommand, needsBackend, table, truncate } from '../command-spec.js';

/**
 * The category a search with no hit probably meant: the nearest, by edit distance, of the
 * categories the same search finds without its category filter (its first 1,000 hits, by the
 * one ranking path). Undefined when nothing is near.
 */
async function nearestCategory(
  context: CliContext,
  query: SearchQuery & { category: string },
): Promise<string | undefined> {
  const { category, ...rest } = query;
  const wider = await context.backend().search({ ...rest, limit: 1000, offset: 0 });
  const known = [...new Set(wider.packages.flatMap((pkg) => (pkg.category === undefined ? [] : [pkg.category])))];
  const meant = nearestWord(
    category.toLowerCase(),
    known.map((name) => name.toLowerCase()),
  );
  return meant === undefined || meant === category.toLowerCase() ? undefined : meant;
}

export const searchCommand = defineCommand({
  command: 'search [text]',
  describe: 'Search packages by name, description, tags and keywords',
  available: needsBackend,
  options: {
    query: { alias: 'q', type: 'string', describe: 'the search text (same as the positional)' },
    category: { type: 'string' },
    author: { type: 'string' },
    license: { type: 'string' },
    keyword: { type: 'string', describe: 'a tag or keyword the package must have' },
    tag: { type: 'string', array: true, describe: 'tags the package must all have' },
    'min-downloads': { type: 'number' },
    'min-stars': { type: 'number' },
    sort: { choices: SORT_FIELDS, default: SORT_FIELDS[0] },
    order: { choices: ['asc', 'desc'] as const },
    limit: { type: 'number', default: 20 },
    offset: { type: 'number', default: 0 },
  },
  builder: (yargs) =>
    yargs
      .positional('text', { type: 'string', describe: 'what to look for' })
      .example('$0 marketplace search "rust web framework"', 'ranked by relevance')
      .example('$0 marketplace search --category finance --sort name', 'list a category'),
  run: async (context, args): Promise<SearchResults> => {
    const text = args.query ?? args.text ?? '';
    const hasFilter = [
      args.category,
      args.author,
      args.license,
      args.keyword,
      args.tag,
      args['min-downloads'],
      args['min-stars'],
    ].some((value) => value !== undefined);
    if (text.trim() === '' && !hasFilter) {
      throw new MarketplaceError('GGEN_E_USAGE', 'Give search text or at least one filter', {
        hint: 'e.g. ggen marketplace search "web api", or ggen marketplace search --category finance',
      });
    }
    for (const [flag, value] of [
      ['--limit', args.limit],
      ['--offset', args.offset],
      ['--min-downloads', args['min-downloads']],
      ['--min-stars', args['min-stars']],
    ] as const) {
      if (
        value !== undefined &&
        (!Number.isInteger(value) || value < 0 || (flag === '--limit' && (value < 1 || value > 1000)))
      ) {
        throw new MarketplaceError(
          'GGEN_E_USAGE',
          `${flag} must be a whole number${flag === '--limit' ? ' from 1 to 1000' : ' >= 0'}`,
          { hint: `e.g. ${flag} 20` },
        );
      }
    }
    const query: SearchQuery = {
      text,
      limit: args.limit,
      offset: args.offset,
      sort: args.sort,
      ...(args.order === undefined ? {} : { order: args.order }),
      ...(args.category === undefined ? {} : { category: args.category }),
      ...(args.author === undefined ? {} : { author: args.author }),
      ...(args.license === undefined ? {} : { license: args.license }),
      ...(args.keyword === undefined ? {} : { keyword: args.keyword }),
      ...(args.tag === undefined ? {} : { tags: args.tag.map(String) }),
      ...(args['min-downloads'] === undefined ? {} : { minDownloads: args['min-downloads'] }),
      ...(args['min-stars'] === undefined ? {} : { minStars: args['min-stars'] }),
    };
    const results = await context.backend().search(query);
    for (const warning of results.warnings ?? []) context.notice(`warning: ${warning}`);
    if (results.total === 0 && query.category !== undefined) {
      const meant = await nearestCategory(context, { ...query, category: query.category });
      if (meant !== undefined)
        context.notice(
          `note: no pack is in the category '${query.category}'. Did you mean --category ${meant}? (ggen marketplace categories lists them)`,
        );
    }
    return results;
  },
  render: (results) => {
    if (results.packages.length === 0) return `No packages found (${results.backend}, ${results.queryTimeMs} ms).`;
    const rows = [['NAME', 'VERSION', 'DOWNLOADS', 'CATEGORY', 'DESCRIPTION']];
    for (const pkg of results.packages)
      rows.push([
        pkg.name,
        pkg.yanked === true ? `${pkg.version} (yanked)` : pkg.version,
        String(pkg.downloads),
        pkg.category ?? '',
        truncate(pkg.description, 60),
      ]);
    return `${table(rows)}\n\n${results.packages.length} of ${results.total} (${results.backend}, ${results.queryTimeMs} ms)`;
  },
});
