import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { registryWriter, type CatalogPackage, type SearchQuery } from '@ggen/marketplace-core';
import {
  CATALOG_FILE,
  compactRegistry,
  EmbeddedCatalog,
  fetchCatalogChunks,
  localStoreLookup,
  openLocalStore,
  ShardedCatalog,
  syncLocalStore,
  type SyncEvent,
  JOURNAL_FILE,
  JOURNAL_LIMIT,
  journalEntryText,
  readJournal,
  readV2CatalogFile,
  scanV2Catalog,
  SparqlSearchEngine,
  STATS_FILE,
  writeCatalogPackages,
  writeV2Catalog,
} from '@ggen/marketplace-v2';
import { codeOf } from '../../../tools/testing/coded-error.mjs';
import { loadNpmRows, toCatalogPackages } from '../../../tools/testing/npm-sample.mjs';
import { fetchOptions, fullPackage, query, sharded, temp } from './fixtures.js';

/** A registry of npm-derived packs, written whole (catalog.nq and its statistics). */
async function registryOf(size: number): Promise<{ dir: string; packages: CatalogPackage[] }> {
  const dir = temp('ggen-journal-');
  const packages = toCatalogPackages(loadNpmRows(size));
  await writeV2Catalog(dir, packages);
  return { dir, packages };
}

function nth(packages: CatalogPackage[], index: number): CatalogPackage {
  const pkg = packages[index];
  if (pkg === undefined) throw new Error(`no package ${index}`);
  return pkg;
}

const stamp = (path: string): string => {
  const stats = statSync(path);
  return `${stats.size}:${stats.mtimeMs}:${stats.ino}`;
};

/** What a search over the registry's local store (synced afresh) answers: names in order, and the total. */
async function searched(dir: string, text: string): Promise<{ names: string[]; total: number }> {
  const results = await new SparqlSearchEngine(await sharded(dir)).search(query(text, { limit: 20 }));
  return { names: results.packages.map((pkg) => pkg.name), total: results.total };
}

describe('the catalog journal: a change costs its package, not the registry', () => {
  it('appends a changed package without touching catalog.nq, and every reader sees the change', async () => {
    const { dir, packages } = await registryOf(300);
    const catalogBefore = stamp(join(dir, CATALOG_FILE));
    const original = nth(packages, 7);
    // A word of its description alone (not of its name, keywords or tags), found before the change.
    const elsewhere = [original.name, ...original.keywords, ...original.tags].join(' ').toLowerCase();
    const oldWord =
      original.description
        .toLowerCase()
        .split(/[^a-z]+/)
        .find((word) => word.length > 5 && !elsewhere.includes(word)) ?? '';
    expect((await searched(dir, oldWord)).names).toContain(original.name);
    const changed = { ...original, description: 'zebrafish telemetry for aquariums' };
    const added = { ...fullPackage('quokka-render'), downloads: 5 };
    await writeCatalogPackages(dir, [changed]);
    await writeCatalogPackages(dir, [added]);

    expect(stamp(join(dir, CATALOG_FILE))).toBe(catalogBefore);
    expect((await readJournal(dir, fetchOptions)).map((entry) => entry.name)).toEqual([changed.name, added.name]);
    // Whole reads (a migrate, a push, the SPARQL endpoint) get the merged catalog.
    const merged = await readV2CatalogFile(dir);
    expect(merged).toHaveLength(301);
    expect(merged.find((pkg) => pkg.name === changed.name)?.description).toBe('zebrafish telemetry for aquariums');
    expect(merged.find((pkg) => pkg.name === added.name)?.versions.map((version) => version.version)).toEqual([
      '2.0.0',
      '1.0.0-beta.1',
    ]);
    // A change's checks read one package and the names.
    const scanned = await scanV2Catalog(dir, added.name);
    expect(scanned.pkg?.ownerKeys).toEqual(added.ownerKeys);
    expect(scanned.names).toHaveLength(301);
    // A store synced from it finds the new words, and not the replaced ones.
    expect((await searched(dir, 'zebrafish')).names).toEqual([changed.name]);
    expect((await searched(dir, 'quokka-render')).names[0]).toBe('quokka-render');
    expect((await searched(dir, oldWord)).names).not.toContain(changed.name);
  });

  it('a package changed twice is read as its latest entry', async () => {
    const { dir, packages } = await registryOf(50);
    const first = { ...packages[3], description: 'first words' } as CatalogPackage;
    await writeCatalogPackages(dir, [first]);
    await writeCatalogPackages(dir, [{ ...first, description: 'second words', downloads: 42 }]);
    const read = (await readV2CatalogFile(dir)).filter((pkg) => pkg.name === first.name);
    expect(read.map((pkg) => [pkg.description, pkg.downloads])).toEqual([['second words', 42]]);
    expect((await searched(dir, 'first')).names).not.toContain(first.name);
  });

  it('leaves out an entry cut short by a crash, and the next change cuts it off', async () => {
    const { dir, packages } = await registryOf(40);
    await writeCatalogPackages(dir, [{ ...packages[1], description: 'kept change' } as CatalogPackage]);
    const whole = readFileSync(join(dir, JOURNAL_FILE), 'utf8');
    // A writer stopped mid-entry: a header that promises more lines than were written.
    appendFileSync(join(dir, JOURNAL_FILE), `# ggen-journal ${packages[2]?.name ?? ''} 30 ${'0'.repeat(64)}\n<a> <b>`);
    expect((await readJournal(dir, fetchOptions)).map((entry) => entry.name)).toEqual([packages[1]?.name]);
    expect((await readV2CatalogFile(dir)).find((pkg) => pkg.name === packages[1]?.name)?.description).toBe(
      'kept change',
    );
    await writeCatalogPackages(dir, [{ ...packages[2], description: 'after the crash' } as CatalogPackage]);
    const after = readFileSync(join(dir, JOURNAL_FILE), 'utf8');
    expect(after.startsWith(whole)).toBe(true);
    expect(after).not.toContain('<a> <b>');
    expect((await readJournal(dir, fetchOptions)).map((entry) => entry.name)).toEqual([
      packages[1]?.name,
      packages[2]?.name,
    ]);
  });

  it('refuses a journal that is damaged, not cut short, and a base cut short under a journal', async () => {
    const { dir, packages } = await registryOf(30);
    await writeCatalogPackages(dir, [{ ...packages[0], description: 'honest' } as CatalogPackage]);
    const journal = join(dir, JOURNAL_FILE);
    const honest = readFileSync(journal, 'utf8');
    writeFileSync(journal, honest.replace('honest', 'forged'));
    expect(await codeOf(readV2CatalogFile(dir))).toBe('GGEN_E_INDEX_INVALID');
    // Another package's lines under a package's header (digest recomputed): not that package's block.
    writeFileSync(journal, `${honest}# ggen-journal lodash 1 ${'1'.repeat(64)}\n<x> <y> <z> <g> .\n`);
    expect(await codeOf(readJournal(dir, fetchOptions))).toBe('GGEN_E_INDEX_INVALID');
    // An entry whose digest is right but that says something of another package: refused, as a
    // sync refuses a package's triples outside its block (a mirror's journal is no more trusted).
    writeFileSync(journal, honest);
    const [entry] = await readJournal(dir, fetchOptions);
    const poisoned = `<https://ggen.dev/registry/package/${packages[1]?.name ?? ''}> <http://purl.org/dc/terms/description> "evil" <https://ggen.dev/registry/catalog> .\n`;
    writeFileSync(journal, journalEntryText({ name: entry?.name ?? '', block: `${entry?.block ?? ''}${poisoned}` }));
    expect(await codeOf(readJournal(dir, fetchOptions))).toBe('GGEN_E_INDEX_INVALID');
    await expect(readJournal(dir, fetchOptions)).rejects.toThrow(/a line about another node/);
    writeFileSync(journal, honest);
    const catalog = join(dir, CATALOG_FILE);
    const text = readFileSync(catalog, 'utf8');
    writeFileSync(catalog, text.slice(0, text.lastIndexOf('\n', text.length - 2) + 1).replace(/\n[^\n]*\n$/, '\n'));
    expect(await codeOf(readV2CatalogFile(dir))).toBe('GGEN_E_INDEX_INVALID');
  });

  it('refuses a journal that is a link or a special file, and writes nothing through it', async () => {
    const { dir, packages } = await registryOf(30);
    const journal = join(dir, JOURNAL_FILE);
    // A link planted where the journal goes (a cloned or unpacked registry): neither read nor appended through.
    const elsewhere = join(temp('ggen-elsewhere-'), 'target.nq');
    writeFileSync(elsewhere, '');
    symlinkSync(elsewhere, journal);
    expect(await codeOf(readJournal(dir, fetchOptions))).toBe('GGEN_E_UNSAFE_PERMISSIONS');
    expect(await codeOf(writeCatalogPackages(dir, [{ ...nth(packages, 1), stars: 5 }]))).toBe(
      'GGEN_E_UNSAFE_PERMISSIONS',
    );
    expect(readFileSync(elsewhere, 'utf8')).toBe('');
    // A FIFO is refused at once (opened without blocking), never waited on.
    rmSync(journal);
    execFileSync('mkfifo', [journal]);
    expect(await codeOf(readJournal(dir, fetchOptions))).toBe('GGEN_E_UNSAFE_PERMISSIONS');
    // A whole read says the catalog cannot be used.
    expect(await codeOf(readV2CatalogFile(dir))).toBe('GGEN_E_INDEX_INVALID');
  });

  it('compaction folds the journal into catalog.nq, ranking as a whole write of the same packages', async () => {
    const { dir, packages } = await registryOf(200);
    // Every field a package can have (keys, READMEs, files, extra) goes through the read and back.
    const changed = [
      ...packages.slice(10, 14).map((pkg) => ({ ...pkg, description: `${pkg.description} lantern` })),
      { ...fullPackage('lantern-full'), keywords: ['lantern'] },
    ];
    for (const pkg of changed) await writeCatalogPackages(dir, [pkg]);
    const result = await compactRegistry(dir);
    expect(result).toEqual({ packages: 201, entries: 5, compacted: true });
    expect(existsSync(join(dir, JOURNAL_FILE))).toBe(false);
    const whole = temp('ggen-journal-whole-');
    const byName = new Map(changed.map((pkg) => [pkg.name, pkg]));
    await writeV2Catalog(whole, [...packages.map((pkg) => byName.get(pkg.name) ?? pkg), nth(changed, 4)]);
    expect(readFileSync(join(dir, CATALOG_FILE), 'utf8')).toBe(readFileSync(join(whole, CATALOG_FILE), 'utf8'));
    expect(readFileSync(join(dir, STATS_FILE), 'utf8')).toBe(readFileSync(join(whole, STATS_FILE), 'utf8'));
    expect((await searched(dir, 'lantern')).total).toBe(5);
  });

  it('compacts aside: changes go on while the catalog is written, and the ones that landed stay in the journal', async () => {
    const { dir, packages } = await registryOf(60);
    await writeCatalogPackages(dir, [{ ...nth(packages, 2), description: 'before the compaction' }]);
    const catalogBefore = stamp(join(dir, CATALOG_FILE));
    const landed = { ...nth(packages, 5), description: 'landed meanwhile' };
    const result = await compactRegistry(dir, {
      onWritten: async () => {
        // Written beside catalog.nq, not yet in place: the registry takes a change as usual.
        expect(stamp(join(dir, CATALOG_FILE))).toBe(catalogBefore);
        expect(existsSync(join(dir, `${CATALOG_FILE}.next`))).toBe(true);
        await registryWriter(dir).locked(() => writeCatalogPackages(dir, [landed]));
      },
    });
    expect(result).toEqual({ packages: 60, entries: 1, compacted: true });
    expect(stamp(join(dir, CATALOG_FILE))).not.toBe(catalogBefore);
    expect(existsSync(join(dir, `${CATALOG_FILE}.next`))).toBe(false);
    expect(existsSync(join(dir, `${STATS_FILE}.next`))).toBe(false);
    // The journal holds the change that landed, and nothing the new catalog.nq holds.
    expect((await readJournal(dir, fetchOptions)).map((entry) => entry.name)).toEqual([landed.name]);
    const merged = await readV2CatalogFile(dir);
    expect(merged.find((pkg) => pkg.name === landed.name)?.description).toBe('landed meanwhile');
    expect(merged.find((pkg) => pkg.name === nth(packages, 2).name)?.description).toBe('before the compaction');
    expect(readFileSync(join(dir, CATALOG_FILE), 'utf8')).toContain('before the compaction');
  });

  it('puts nothing in place when catalog.nq was written whole while it compacted', async () => {
    const { dir, packages } = await registryOf(40);
    await writeCatalogPackages(dir, [{ ...nth(packages, 1), description: 'journaled' }]);
    const rewritten = [...packages.slice(0, 30), fullPackage('written-whole')];
    const result = await compactRegistry(dir, {
      onWritten: () => writeV2Catalog(dir, rewritten).then(() => undefined),
    });
    expect(result).toEqual({ packages: 40, entries: 0, compacted: false });
    expect(existsSync(join(dir, `${CATALOG_FILE}.next`))).toBe(false);
    expect((await readV2CatalogFile(dir)).map((pkg) => pkg.name)).toEqual(
      rewritten.map((pkg) => pkg.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  });

  it('the change that fills the journal compacts it; a catalog without statistics is written whole', async () => {
    const { dir, packages } = await registryOf(JOURNAL_LIMIT + 10);
    for (const pkg of packages.slice(0, JOURNAL_LIMIT - 1)) await writeCatalogPackages(dir, [{ ...pkg, stars: 1 }]);
    expect(await readJournal(dir, fetchOptions)).toHaveLength(JOURNAL_LIMIT - 1);
    await writeCatalogPackages(dir, [{ ...nth(packages, JOURNAL_LIMIT), stars: 1 }]);
    expect(existsSync(join(dir, JOURNAL_FILE))).toBe(false);
    expect((await readV2CatalogFile(dir)).filter((pkg) => pkg.stars === 1)).toHaveLength(JOURNAL_LIMIT);

    const old = (await registryOf(20)).dir;
    writeFileSync(join(old, STATS_FILE), '{"format": 0}');
    const catalogBefore = stamp(join(old, CATALOG_FILE));
    await writeCatalogPackages(old, [fullPackage('brand-new')]);
    expect(existsSync(join(old, JOURNAL_FILE))).toBe(false);
    expect(stamp(join(old, CATALOG_FILE))).not.toBe(catalogBefore);
    expect(JSON.parse(readFileSync(join(old, STATS_FILE), 'utf8'))).toMatchObject({ format: 1, packages: 21 });
  });
});

describe('the local store keeps the journal beside the shards', () => {
  /** What a registry answers, for every query shape, through an engine. */
  const SHAPES: [string, Partial<SearchQuery>][] = [
    ['lantern', {}],
    ['string', {}],
    ['color terminal', { limit: 5 }],
    ['', {}],
    ['', { sort: 'downloads', limit: 7, offset: 3 }],
    ['', { sort: 'stars' }],
    ['', { sort: 'name' }],
    ['', { sort: 'name', order: 'desc' }],
    ['', { keyword: 'lantern' }],
    ['', { minDownloads: 1000, limit: 5 }],
  ];
  const answers = async (engine: SparqlSearchEngine): Promise<unknown[]> => {
    const all: unknown[] = [];
    for (const [text, extra] of SHAPES) {
      const { total, packages } = await engine.search(query(text, extra));
      all.push({ text, extra, total, names: packages.map((pkg) => pkg.name) });
    }
    return all;
  };

  it('syncs a change by reading the journal alone, and answers as the merged catalog does', async () => {
    const { dir, packages } = await registryOf(400);
    // A catalog changed within 2 s of a sync is not vouched for by its stat (docs/local-store.md,
    // git's "racily clean" case) and is read again: this test is of one older than that.
    const racy = statSync(join(dir, CATALOG_FILE)).ctimeMs + 2_100 - Date.now();
    if (racy > 0) await new Promise((resolve) => setTimeout(resolve, racy));
    const storeRoot = temp('ggen-journal-store-');
    expect((await syncLocalStore({ ...fetchOptions, registry: dir, storeRoot })).status).toBe('created');
    const versionOf = (): string => {
      const [entry] = readdirSync(storeRoot);
      return JSON.parse(readFileSync(join(storeRoot, entry ?? '', 'current.json'), 'utf8')).version as string;
    };
    const version = versionOf();
    // Replaced (the most downloaded among them: the browse orders move), and new: with a new word,
    // a keyword, a dependency on a replaced package, and one on a package published after it.
    const replaced = [0, 1, 150].map((index) => ({
      ...nth(packages, index),
      description: 'lantern rewrite',
      keywords: ['lantern'],
      downloads: 5 + index,
    }));
    const added: CatalogPackage = {
      ...fullPackage('lantern-kit'),
      versions: [
        { version: '1.0.0', dependencies: { [nth(packages, 0).name]: '*', 'lantern-base': '*' }, yanked: false },
      ],
      latest: '1.0.0',
      downloads: 1e12,
    };
    const base: CatalogPackage = {
      ...fullPackage('lantern-base'),
      versions: [{ version: '1.0.0', dependencies: {}, yanked: false }],
      latest: '1.0.0',
    };
    for (const pkg of [...replaced, added, base]) await writeCatalogPackages(dir, [pkg]);

    const events: SyncEvent[] = [];
    const synced = await syncLocalStore({
      ...fetchOptions,
      registry: dir,
      storeRoot,
      onEvent: (event) => events.push(event),
    });
    expect(synced).toMatchObject({ status: 'updated', packages: 400, journal: 5 });
    // catalog.nq was not read, nor cut again.
    expect(events.filter((event) => event.type === 'reading' || event.type === 'read')).toEqual([]);
    expect(versionOf()).toBe(version);

    const files = await openLocalStore({ ...fetchOptions, registry: dir, storeRoot });
    if (files === undefined) throw new Error('no store');
    const merged = new EmbeddedCatalog((await fetchCatalogChunks(dir, fetchOptions)).chunks);
    const local = new ShardedCatalog(files);
    expect(await answers(new SparqlSearchEngine(local))).toEqual(await answers(new SparqlSearchEngine(merged)));
    // The new package first by downloads; a replaced one's new words, and not its old ones.
    expect(
      (await new SparqlSearchEngine(local).search(query('', { sort: 'downloads', limit: 1 }))).packages[0]?.name,
    ).toBe('lantern-kit');
    expect((await local.readPackages([nth(packages, 0).name]))[0]?.description).toBe('lantern rewrite');
    // An install's closure reaches through the journal into the shards and back.
    expect((await local.prepareDependencies('lantern-kit')).sort()).toEqual(
      ['lantern-base', 'lantern-kit', nth(packages, 0).name].sort(),
    );
    // A bounded catalog emptied by its bound puts the journal back.
    const bounded = new ShardedCatalog(files, { maxLoadedPackages: 1 });
    const engine = new SparqlSearchEngine(bounded);
    for (const text of ['string', 'color', 'lantern']) await engine.search(query(text));
    expect(bounded.resets).toBeGreaterThan(0);
    const ranked = async (of: SparqlSearchEngine): Promise<unknown> => {
      const { total, packages: found } = await of.search(query('lantern'));
      return { total, found: found.map((pkg) => [pkg.name, pkg.score]) };
    };
    expect(await ranked(engine)).toEqual(await ranked(new SparqlSearchEngine(merged)));

    // A change's checks, from the store while it holds the registry's catalog.nq (a few names:
    // the look-alikes), and from a read of the catalog once it does not (every name).
    const lookup = localStoreLookup(dir, storeRoot);
    const fromStore = await lookup(nth(packages, 0).name);
    expect(fromStore.pkg?.description).toBe('lantern rewrite');
    expect(fromStore.names).toContain(nth(packages, 0).name);
    expect(fromStore.names.length).toBeLessThan(10);
    expect((await lookup('lantern_kit')).names).toContain('lantern-kit');

    // After a compaction the shards are cut again, and the journal is gone from the store.
    await compactRegistry(dir);
    const scanned = await lookup('lantern_kit');
    expect(scanned.names).toHaveLength(402);
    const compacted = await syncLocalStore({ ...fetchOptions, registry: dir, storeRoot });
    expect(compacted).toMatchObject({ status: 'updated', packages: 402, journal: 0 });
    expect(versionOf()).not.toBe(version);
  });
});
