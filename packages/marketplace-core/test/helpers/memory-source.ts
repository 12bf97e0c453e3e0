import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packDirectory, type PackageSource, type VersionCandidate } from '@ggen/marketplace-core';

export interface FixturePackage {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  yanked?: boolean;
  files?: Record<string, string>;
}

/** A package source over real packed archives held in memory; counts fetches. */
export class MemorySource implements PackageSource {
  readonly backend = 'v1' as const;
  readonly fetched: string[] = [];
  readonly archives = new Map<string, Uint8Array>();
  readonly candidates = new Map<string, VersionCandidate[]>();

  static async create(packages: FixturePackage[]): Promise<MemorySource> {
    const source = new MemorySource();
    for (const pkg of packages) await source.add(pkg);
    return source;
  }

  async add(pkg: FixturePackage): Promise<VersionCandidate> {
    const dir = mkdtempSync(join(tmpdir(), 'ggen-fixture-'));
    // The manifest lists the same dependencies as the registry entry, as every published archive does.
    const dependencies = Object.entries(pkg.dependencies ?? {}).map(
      ([name, range]) => `  ${JSON.stringify(name)}: ${JSON.stringify(range)}\n`,
    );
    const manifest = `name: ${pkg.name}\nversion: ${pkg.version}\ndescription: fixture\n${dependencies.length === 0 ? '' : `dependencies:\n${dependencies.join('')}`}`;
    const files = pkg.files ?? { 'gpack.yaml': manifest, 'templates/main.tmpl': `${pkg.name} ${pkg.version}` };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    const packed = await packDirectory(dir);
    const location = `memory://${pkg.name}-${pkg.version}.tgz`;
    this.archives.set(location, packed.bytes);
    const candidate: VersionCandidate = {
      name: pkg.name,
      version: pkg.version,
      dependencies: pkg.dependencies ?? {},
      yanked: pkg.yanked ?? false,
      archive: location,
      integrity: packed.integrity,
      checksum: packed.checksum,
      backend: 'v1',
    };
    this.candidates.set(pkg.name, [...(this.candidates.get(pkg.name) ?? []), candidate]);
    return candidate;
  }

  getVersions(name: string): Promise<VersionCandidate[] | null> {
    return Promise.resolve(this.candidates.get(name) ?? null);
  }

  fetchArchive(candidate: VersionCandidate): Promise<Uint8Array> {
    this.fetched.push(`${candidate.name}@${candidate.version}`);
    const bytes = this.archives.get(candidate.archive);
    if (bytes === undefined) return Promise.reject(new Error(`no archive ${candidate.archive}`));
    return Promise.resolve(bytes);
  }
}
