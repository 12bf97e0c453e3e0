import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { MarketplaceError } from '@ggen/marketplace-core';
import { parseV1Index } from '@ggen/marketplace-v1';
import { corpusDir, corpusIndexText } from './corpus.js';

describe('parseV1Index', () => {
  it('reads the real ggen registry index as it is: 77 usable packages', () => {
    const index = parseV1Index(corpusIndexText(), 'registry-index.json');
    expect(index.packages).toHaveLength(77);
    expect(index.problems).toEqual([]);
    const reasoning = index.packages.find((pkg) => pkg.name === 'agent-reasoning-mcp');
    expect(reasoning?.versions[0]?.dependencies).toEqual({ 'agent-memory-forge': '*', 'agent-context-crafter': '*' });
    expect(reasoning?.extra).toMatchObject({ production_ready: expect.any(Boolean), path: expect.any(String) });
  });

  it('reads the flat array shape and says which entry it cannot use', () => {
    const index = parseV1Index(readFileSync(join(corpusDir, 'flat-index.json'), 'utf8'), 'flat-index.json');
    expect(index.packages.length).toBeGreaterThan(70);
    expect(index.problems).toContainEqual(
      expect.objectContaining({
        entry: 0,
        field: 'name',
        message: expect.stringContaining('Next.js Ontology-Driven CRUD'),
      }),
    );
  });

  it('keeps the usable entries of a damaged index and names each bad one', () => {
    const text = JSON.stringify({
      packages: [
        { name: 'good', version: '1.0.0', description: 'ok', dependencies: { other: '^1.0.0' } },
        'not an object',
        { version: '1.0.0' },
        { name: 'badver', version: 'one' },
        { name: 'baddeps', version: '1.0.0', dependencies: { x: 'not a range' } },
        { name: 'good', version: '2.0.0' },
        { name: 'Mixed-Case', version: '1.0.0', tags: ['a', 'a', 3], downloads: -5 },
      ],
    });
    const index = parseV1Index(text, 'index.json');
    expect(index.packages.map((pkg) => pkg.name)).toEqual(['good', 'mixed-case']);
    expect(index.packages[1]).toMatchObject({ tags: ['a'], downloads: 0 });
    expect(index.problems.map((problem) => [problem.entry, problem.field])).toEqual([
      [1, undefined],
      [2, 'name'],
      [3, 'version'],
      [4, 'dependencies'],
      [5, 'name'],
    ]);
  });

  it('reads versions[] with older versions, yanked flags and archive locations', () => {
    const text = JSON.stringify({
      packages: [
        {
          name: 'lib',
          version: '1.2.0',
          download_url: 'archives/lib-1.2.0.tgz',
          versions: [
            { version: '1.0.0', archive: 'archives/lib-1.0.0.tgz', yanked: true },
            { version: '1.2.0', archive: 'archives/lib-1.2.0.tgz', integrity: 'sha512-x' },
          ],
        },
      ],
    });
    const [pkg] = parseV1Index(text, 'index.json').packages;
    expect(pkg?.versions.map((version) => [version.version, version.yanked, version.archive])).toEqual([
      ['1.2.0', false, 'archives/lib-1.2.0.tgz'],
      ['1.0.0', true, 'archives/lib-1.0.0.tgz'],
    ]);
  });

  it('rejects a file that is not JSON or has no packages array', () => {
    expect(() => parseV1Index('{"packages": [', 'index.json')).toThrow(MarketplaceError);
    expect(() => parseV1Index('{"pkgs": []}', 'index.json')).toThrow(/no 'packages' array/);
  });
});
