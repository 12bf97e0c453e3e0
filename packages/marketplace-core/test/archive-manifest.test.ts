import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { readArchive } from '@ggen/marketplace-core';
import { checkArchiveManifest } from '../src/install/archive-manifest.js';
import type { VersionCandidate } from '../src/install/package-source.js';

const here = dirname(fileURLToPath(import.meta.url));
const sampleArchives = resolve(here, '..', '..', 'cli', 'sample-registry', 'archives');

const base =
  'name: demo-pack\nversion: 1.2.3\ndescription: A pack that says\n  what it is on two lines\ntags:\n  - a\n  - b\ndependencies:\n  other: "*"\n';

describe("the archive manifest's check against the registry's metadata", () => {
  it('passes every sample pack: its gpack.yaml says the name and version its archive is listed under', async () => {
    const archives = readdirSync(sampleArchives).filter((file) => file.endsWith('.tgz'));
    expect(archives.length).toBeGreaterThan(70);
    let passed = 0;
    for (const file of archives) {
      const [, name = '', version = ''] = /^(.+)-(\d+\.\d+\.\d+)\.tgz$/.exec(file) ?? [];
      const entries = await readArchive(readFileSync(join(sampleArchives, file)), file);
      expect(entries.some((entry) => entry.type === 'file' && entry.path === 'gpack.yaml')).toBe(true);
      const candidate = { name, version, dependencies: {} } as unknown as VersionCandidate;
      let problem: string | undefined;
      try {
        checkArchiveManifest(entries, candidate);
      } catch (error) {
        problem = (error as Error).message;
      }
      // A pack whose manifest lists dependencies differs from this bare candidate, and says so.
      if (problem === undefined) passed += 1;
      else expect({ file, problem }).toEqual({ file, problem: expect.stringContaining('says dependencies') });
    }
    expect(passed).toBeGreaterThan(50);
  });

  it('finds a mismatch of name, version or dependencies, and passes a manifest YAML refuses', () => {
    const candidate = {
      name: 'demo-pack',
      version: '1.2.3',
      dependencies: { other: '*' },
    } as unknown as VersionCandidate;
    const entries = (text: string) => [
      { type: 'file' as const, path: 'gpack.yaml', mode: 0o644, content: Buffer.from(text) },
    ];
    // Dependencies are the signed manifest's: a catalog that lists others is refused, either way round.
    expect(() => {
      checkArchiveManifest(entries(`${base}  old-vulnerable: "1.0.0"\n`), candidate);
    }).toThrow('says dependencies old-vulnerable@1.0.0, other@* (the registry lists other@*)');
    expect(() => {
      checkArchiveManifest(entries(base), { ...candidate, dependencies: {} });
    }).toThrow('says dependencies other@* (the registry lists none)');
    expect(() => {
      checkArchiveManifest(entries(base.replace('  other: "*"', '  Other: ""')), candidate);
    }).not.toThrow();
    expect(() => {
      checkArchiveManifest(entries(base), candidate);
    }).not.toThrow();
    expect(() => {
      checkArchiveManifest(entries(base.replace('name: demo-pack', '"name": other')), candidate);
    }).toThrow("The registry lists demo-pack@1.2.3, but the archive's gpack.yaml says name other");
    expect(() => {
      checkArchiveManifest(entries(base.replace('version: 1.2.3', 'version: 1.2.3\n  -beta')), candidate);
    }).toThrow('says version 1.2.3 -beta');
    // A manifest YAML refuses still passes, as before.
    expect(() => {
      checkArchiveManifest(entries('name: [other\nversion: 1.2.3\n'), candidate);
    }).not.toThrow();
  });
});
