import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { readArchive } from '@ggen/marketplace-core';
import { checkArchiveManifest, statesPlainly } from '../src/install/archive-manifest.js';
import type { VersionCandidate } from '../src/install/package-source.js';

const here = dirname(fileURLToPath(import.meta.url));
const sampleArchives = resolve(here, '..', '..', 'cli', 'sample-registry', 'archives');

/** What the check decided before the plain reading existed: YAML's reading of the two fields (a file YAML refuses passes). */
function yamlPasses(text: string, name: string, version: string): boolean {
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch {
    return true;
  }
  const fields = (parsed ?? {}) as { name?: unknown; version?: unknown };
  const nameOk = typeof fields.name !== 'string' || fields.name.toLowerCase() === name;
  const versionOk = typeof fields.version !== 'string' || fields.version === version;
  return nameOk && versionOk;
}

const base = 'name: demo-pack\nversion: 1.2.3\ndescription: A pack that says\n  what it is on two lines\ntags:\n  - a\n  - b\ndependencies:\n  other: "*"\n';

describe('the plain reading of an archive manifest', () => {
  it("reads every sample pack's gpack.yaml without YAML, and YAML agrees", async () => {
    const archives = readdirSync(sampleArchives).filter((file) => file.endsWith('.tgz'));
    expect(archives.length).toBeGreaterThan(70);
    for (const file of archives) {
      const [, name = '', version = ''] = /^(.+)-(\d+\.\d+\.\d+)\.tgz$/.exec(file) ?? [];
      const entries = await readArchive(readFileSync(join(sampleArchives, file)), file);
      const manifest = entries.find((entry) => entry.type === 'file' && entry.path === 'gpack.yaml');
      if (manifest?.type !== 'file') throw new Error(`${file} has no gpack.yaml`);
      const text = manifest.content.toString('utf8');
      expect({ file, plain: statesPlainly(text, name, version) }).toEqual({ file, plain: true });
      expect({ file, yaml: yamlPasses(text, name, version) }).toEqual({ file, yaml: true });
    }
  });

  it('leaves to YAML every manifest whose top level is not plain', () => {
    const unsure = [
      base.replace('name: demo-pack', 'name: demo-pack # the pack'),
      base.replace('name: demo-pack', 'name:  demo-pack'),
      base.replace('name: demo-pack', 'name: demo-pack '),
      base.replace('name: demo-pack', '"name": demo-pack'),
      base.replace('name: demo-pack', "name: 'demo-pack'"),
      base.replace('version: 1.2.3', 'version: 1.2.3\n  -beta'),
      base.replace('version: 1.2.3', 'version: 1.2.3\n\n  continued'),
      base.replace('version: 1.2.3', 'version: 1.2.3\n# a comment'),
      `---\n${base}`,
      `%YAML 1.2\n---\n${base}`,
      `${base}...\n`,
      `${base}---\nname: other\n`,
      `\uFEFF${base}`,
      base.replaceAll('\n', '\r\n'),
      base.replace('tags:', 'tags:\t'),
      `? name\n: other\n${base}`,
      `<<: {name: other}\n${base}`,
      `&anchor key: value\n${base}`,
      `!!map\n${base}`,
      `- item\n${base}`,
      `{name: other}\n${base}`,
      base.replace('name: demo-pack', 'name: Demo-Pack'),
      base.replace('name: demo-pack\n', ''),
      base.replace('version: 1.2.3\n', ''),
      base.replace('version: 1.2.3', 'version: 1.2.4'),
      base.replace('name: demo-pack', 'name: other-pack'),
      'name: demo-pack\nversion: 1.2.3\ndescripción: x\n',
      // Characters another YAML reader could take for line breaks or marks, even in an indented line.
      base.replace('two lines', 'two lines\u2028name: other'),
      base.replace('two lines', 'two lines\u0085name: other'),
      base.replace('two lines', 'two lines\rname: other'),
      base.replace('  - b', '\t- b'),
      base.replace('  - b', '  - b\ufeff'),
    ];
    for (const text of unsure) expect({ text, plain: statesPlainly(text, 'demo-pack', '1.2.3') }).toEqual({ text, plain: false });
    expect(statesPlainly(base, 'demo-pack', '1.2.3')).toBe(true);
    expect(statesPlainly(base.trimEnd(), 'demo-pack', '1.2.3')).toBe(true);
    expect(statesPlainly(`# the manifest\n\n${base}\n`, 'demo-pack', '1.2.3')).toBe(true);
  });

  it('never passes a manifest that YAML would find wrong: thousands of mutated manifests', () => {
    // Pieces that change what YAML reads: quotes, flow collections, block scalars, anchors,
    // comments, indentation, document markers, other values for the two fields.
    const pieces = [
      '"',
      "'",
      '[',
      ']',
      '{',
      '}',
      '|',
      '>',
      '&a ',
      '*a',
      '!!str ',
      '# ',
      ' ',
      '  ',
      '\n',
      '\n  ',
      '\n---\n',
      '\n...\n',
      '\n  more',
      '\n  -beta',
      '\n#c',
      '\n\n  x',
      '\n\n',
      ': ',
      '? ',
      '- ',
      ',',
      '\nname: other',
      '\nversion: 9.9.9',
      '\nname: demo-pack',
      '\nversion: 1.2.3',
      '\n<<: *a',
      'name',
      'version',
      '\t',
      '\\',
      '%',
      '\r',
      '\u0085',
      '\u2028',
      '\ufeff',
      '\u00e9',
      '\u2014',
      '\u{1f600}',
    ];
    let seed = 20261203;
    // mulberry32: a seeded generator whose low bits are as random as its high ones.
    const random = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    let plain = 0;
    let unsure = 0;
    for (let round = 0; round < 6000; round += 1) {
      let text = base;
      for (let edits = 1 + random(3); edits > 0; edits -= 1) {
        // Half the edits at a line's end, where a value ends and the next line may take it on.
        const ends = [...text.matchAll(/\n/g)].map((match) => match.index);
        const at = random(2) === 0 && ends.length > 0 ? ends[random(ends.length)]! : random(text.length + 1);
        text = random(4) === 0 ? text.slice(0, at) + text.slice(at + 1 + random(4)) : text.slice(0, at) + pieces[random(pieces.length)]! + text.slice(at);
      }
      if (statesPlainly(text, 'demo-pack', '1.2.3')) {
        plain += 1;
        expect({ text, yaml: yamlPasses(text, 'demo-pack', '1.2.3') }).toEqual({ text, yaml: true });
      } else unsure += 1;
    }
    // Both ways were taken often: the mutations test the reading, not only the refusal.
    expect(plain).toBeGreaterThan(500);
    expect(unsure).toBeGreaterThan(500);
  });

  it('still finds a mismatch that only YAML can read, with the same error', () => {
    const candidate = { name: 'demo-pack', version: '1.2.3', dependencies: { other: '*' } } as unknown as VersionCandidate;
    const entries = (text: string) => [{ type: 'file' as const, path: 'gpack.yaml', mode: 0o644, content: Buffer.from(text) }];
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
