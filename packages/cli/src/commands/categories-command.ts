import { defineCommand, needsBackend, table } from '../command-spec.js';

interface CategoryCount {
  category: string;
  packages: number;
}

/** Results asked for at a time while every package is counted. */
const PAGE = 1000;

export const categoriesCommand = defineCommand({
  command: 'categories',
  describe: 'List the categories of the registry with how many packs each has (for search --category)',
  available: needsBackend,
  builder: (yargs) => yargs.example('$0 marketplace categories', 'then: ggen marketplace search --category <one>'),
  // Through search, page by page, so that every registry kind and backend answers it the same way.
  run: async (context): Promise<{ categories: CategoryCount[]; packages: number }> => {
    const counts = new Map<string, number>();
    let seen = 0;
    for (let offset = 0; ; offset += PAGE) {
      const page = await context.backend().search({ text: '', limit: PAGE, offset, sort: 'name', order: 'asc' });
      for (const pkg of page.packages) {
        // As the --category filter matches: without regard to case (the corpus writes both Enterprise and enterprise).
        const category = pkg.category?.toLowerCase() ?? '(none)';
        counts.set(category, (counts.get(category) ?? 0) + 1);
      }
      seen += page.packages.length;
      if (page.packages.length < PAGE || seen >= page.total) break;
    }
    const categories = [...counts]
      .map(([category, packages]) => ({ category, packages }))
      .sort((a, b) => b.packages - a.packages || (a.category < b.category ? -1 : 1));
    return { categories, packages: seen };
  },
  render: (result) =>
    result.categories.length === 0
      ? 'The registry has no packs.'
      : `${table([['CATEGORY', 'PACKS'], ...result.categories.map((entry) => [entry.category, String(entry.packages)])])}\n\n${result.categories.length} categories, ${result.packages} packs`,
});
