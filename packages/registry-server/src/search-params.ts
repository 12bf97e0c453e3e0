import { SORT_FIELDS, type SearchQuery } from '@ggen/marketplace-core';

/** A search's query string, for the JSON API and the site's search page alike: the CLI's filters, sort and paging. */
export const SEARCH_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', maxLength: 256, default: '' },
    limit: { type: 'integer', minimum: 1, maximum: 250, default: 20 },
    offset: { type: 'integer', minimum: 0, maximum: 100_000, default: 0 },
    category: { type: 'string', maxLength: 128 },
    keyword: { type: 'string', maxLength: 128 },
    author: { type: 'string', maxLength: 128 },
    license: { type: 'string', maxLength: 128 },
    tags: { type: 'string', maxLength: 512 },
    sort: { enum: [...SORT_FIELDS], default: 'relevance' },
    order: { enum: ['asc', 'desc'] },
  },
} as const;

export type SearchParams = Record<string, string | number | undefined>;

/** The engine's query of a validated query string (empty filters are no filter: a form sends them). */
export function searchQueryOf(q: SearchParams): SearchQuery {
  const given = (field: string): string | undefined => {
    const value = q[field];
    return value === undefined || value === '' ? undefined : String(value);
  };
  const filters: Pick<SearchQuery, 'category' | 'keyword' | 'author' | 'license'> = {};
  for (const field of ['category', 'keyword', 'author', 'license'] as const) {
    const value = given(field);
    if (value !== undefined) filters[field] = value;
  }
  const tags = given('tags')
    ?.split(',')
    .filter((tag) => tag !== '');
  const order = given('order');
  return {
    text: String(q.q ?? ''),
    limit: Number(q.limit),
    offset: Number(q.offset),
    sort: q.sort as SearchQuery['sort'],
    ...(order === undefined ? {} : { order: order as 'asc' | 'desc' }),
    ...filters,
    ...(tags === undefined ? {} : { tags }),
  };
}
