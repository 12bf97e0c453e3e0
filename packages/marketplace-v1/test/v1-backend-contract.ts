import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MarketplaceBackend, SearchQuery } from '@ggen/marketplace-core';
import type { V1RegistryOptions } from '@ggen/marketplace-v1';
import { startStaticServer, type StaticServer } from '../../../tools/testing/static-server.mjs';
import { sampleRegistry } from './corpus.js';
import { codeOf } from '../../../tools/testing/coded-error.mjs';

const query = (text: string): SearchQuery => ({ text, limit: 20, offset: 0, sort: 'relevance' });
const target = (): { packagesDir: string; lockfilePath: string } => {
  const root = mkdtempSync(join(tmpdir(), 'ggen-v1-'));
  return { packagesDir: join(root, 'gpacks'), lockfilePath: join(root, 'ggen.lock') };
};

/** The v1 backend's behaviour, run against the backend itself and against the V1Adapter that wraps it. */
export function describeV1Backend(label: string, create: (options: V1RegistryOptions) => MarketplaceBackend): void {
  describe(label, () => {
    describe('v1 backend on the built-in sample registry (a directory)', () => {
      const backend = create({ location: sampleRegistry, timeoutMs: 2000, retries: 0 });

      it('describes itself', () => {
        expect(backend.metadata()).toMatchObject({ type: 'v1', capabilities: { signing: false, sparql: false } });
      });

      it('searches all 77 packages and reports details with integrity', async () => {
        const all = await backend.search({ ...query(''), category: 'finance', limit: 100 });
        expect(all.total).toBe(7);
        const details = await backend.getPackage('agent-reasoning-mcp');
        expect(details).toMatchObject({
          name: 'agent-reasoning-mcp',
          dependencies: { 'agent-memory-forge': '*' },
          integrity: expect.stringMatching(/^sha512-/),
        });
        expect(await backend.getPackage('no-such-package')).toBeNull();
        expect(await backend.getPackage('agent-editor', '9.9.9')).toBeNull();
      });

      it('installs a package and its dependencies', async () => {
        const paths = target();
        const result = await backend.install({ specs: ['agent-reasoning-mcp'], ...paths });
        expect(result.installed.map((entry) => entry.name)).toEqual([
          'agent-memory-forge',
          'agent-context-crafter',
          'agent-reasoning-mcp',
        ]);
        expect(readFileSync(join(paths.packagesDir, 'agent-memory-forge', 'gpack.yaml'), 'utf8')).toContain(
          'name: agent-memory-forge',
        );
      });

      it('says clearly that a dependency does not exist (as the corpus index has one)', async () => {
        // The corpus's academic-peer-review-workflow depends on academic-paper-lifecycle, which it
        // does not have; the sample drops that dependency, this copy puts it back.
        const registry = mkdtempSync(join(tmpdir(), 'ggen-v1-corpus-'));
        cpSync(sampleRegistry, registry, { recursive: true });
        const indexPath = join(registry, 'index.json');
        const index = JSON.parse(readFileSync(indexPath, 'utf8')) as {
          packages: { name: string; dependencies: string[]; versions: { dependencies: Record<string, string> }[] }[];
        };
        const entry = index.packages.find((pkg) => pkg.name === 'academic-peer-review-workflow');
        if (entry === undefined) throw new Error('the sample lost academic-peer-review-workflow');
        entry.dependencies = ['academic-paper-lifecycle'];
        for (const version of entry.versions) version.dependencies = { 'academic-paper-lifecycle': '*' };
        writeFileSync(indexPath, JSON.stringify(index));
        const corpus = create({ location: registry, timeoutMs: 2000, retries: 0 });
        const paths = target();
        let error: unknown;
        try {
          await corpus.install({ specs: ['academic-peer-review-workflow'], ...paths });
        } catch (caught) {
          error = caught;
        }
        expect(error).toMatchObject({
          code: 'GGEN_E_PACKAGE_NOT_FOUND',
          message: expect.stringContaining("'academic-paper-lifecycle'"),
        });
      });
    });

    describe('v1 backend over HTTP', () => {
      let server: StaticServer;
      beforeAll(async () => {
        server = await startStaticServer(sampleRegistry);
      });
      afterAll(async () => {
        await server.close();
      });

      it('searches and installs from the same registry served on 127.0.0.1', async () => {
        const backend = create({ location: server.url, timeoutMs: 2000, retries: 0 });
        expect((await backend.search(query('agent-editor'))).packages[0]?.name).toBe('agent-editor');
        const paths = target();
        await backend.install({ specs: ['agent-context-crafter'], ...paths });
        expect(existsSync(join(paths.packagesDir, 'agent-memory-forge', 'README.md'))).toBe(true);
        expect(server.state.requests).toContain('/archives/agent-context-crafter-1.0.0.tgz');
      });

      it('retries a registry that fails with 503, and one that drops the connection', async () => {
        server.state.failFirst = 2;
        const backend = create({ location: server.url, timeoutMs: 2000, retries: 2 });
        expect((await backend.search(query('agent'))).total).toBeGreaterThan(0);
        server.state.dropFirst = 1;
        const again = create({ location: server.url, timeoutMs: 2000, retries: 1 });
        expect((await again.search(query('agent'))).total).toBeGreaterThan(0);
      });

      it('times out on a slow registry with a coded error', async () => {
        server.state.delayMs = 1500;
        try {
          const backend = create({ location: server.url, timeoutMs: 200, retries: 1 });
          expect(await codeOf(backend.search(query('agent')))).toBe('GGEN_E_REGISTRY_TIMEOUT');
        } finally {
          server.state.delayMs = 0;
        }
      });

      it('reports a missing index (404) without retrying, and a refused connection', async () => {
        const before = server.state.requests.length;
        const backend = create({ location: `${server.url}nowhere/`, timeoutMs: 1000, retries: 3 });
        expect(await codeOf(backend.search(query('x')))).toBe('GGEN_E_REGISTRY_HTTP');
        expect(server.state.requests.length - before).toBe(1);
        const port = await new Promise<number>((resolve) => {
          const probe = createServer().listen(0, '127.0.0.1', () => {
            const address = probe.address();
            probe.close(() => {
              resolve(typeof address === 'object' && address !== null ? address.port : 0);
            });
          });
        });
        const closed = create({ location: `http://127.0.0.1:${port}/`, timeoutMs: 1000, retries: 0 });
        expect(await codeOf(closed.search(query('x')))).toBe('GGEN_E_REGISTRY_REFUSED');
      });
    });

    describe('a damaged registry', () => {
      it('keeps the usable entries searchable and warns about the rest', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'ggen-damaged-'));
        writeFileSync(
          join(dir, 'index.json'),
          JSON.stringify({
            packages: [
              { name: 'fine', version: '1.0.0', description: 'ok' },
              { name: 'broken', version: 'x' },
            ],
          }),
        );
        const results = await create({ location: dir, timeoutMs: 1000, retries: 0 }).search(query('fine'));
        expect(results.packages.map((pkg) => pkg.name)).toEqual(['fine']);
        expect(results.warnings).toEqual([
          'index entry #1 (broken) skipped: version: version "x" is not a semantic version',
        ]);
      });

      it('refuses an archive whose checksum does not match and installs nothing', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'ggen-badsum-'));
        cpSync(sampleRegistry, dir, { recursive: true });
        const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
          packages: Record<string, unknown>[];
        };
        const entry = index.packages.find((pkg) => pkg.name === 'agent-editor');
        if (entry === undefined) throw new Error('fixture');
        writeFileSync(join(dir, 'archives', 'agent-editor-1.0.0.tgz'), 'garbage that is not the archive');
        const paths = target();
        expect(
          await codeOf(
            create({ location: dir, timeoutMs: 1000, retries: 0 }).install({ specs: ['agent-editor'], ...paths }),
          ),
        ).toBe('GGEN_E_INTEGRITY_MISMATCH');
        expect(existsSync(paths.lockfilePath)).toBe(false);
        expect(existsSync(join(paths.packagesDir, 'agent-editor'))).toBe(false);
      });
    });

    describe('publish to a file registry', () => {
      function gpack(version: string, extra = ''): string {
        const dir = mkdtempSync(join(tmpdir(), 'ggen-gpack-'));
        mkdirSync(join(dir, 'templates'));
        writeFileSync(
          join(dir, 'gpack.yaml'),
          `name: hello-gpack\nversion: ${version}\ndescription: Says hello\ncategory: starter\ntags: [hello]\n${extra}`,
        );
        writeFileSync(join(dir, 'templates', 'hello.tmpl'), `hello ${version}`);
        return dir;
      }

      it('publishes, refuses the same version, keeps older versions installable', async () => {
        const registry = mkdtempSync(join(tmpdir(), 'ggen-registry-'));
        const backend = create({ location: registry, timeoutMs: 1000, retries: 0 });
        const dry = await backend.publish({ dir: gpack('1.0.0'), registry, dryRun: true });
        expect(dry).toMatchObject({
          dryRun: true,
          files: ['gpack.yaml', 'templates/hello.tmpl'],
          integrity: expect.stringMatching(/^sha512-/),
        });
        expect(existsSync(join(registry, 'index.json'))).toBe(false);

        const first = await backend.publish({ dir: gpack('1.0.0'), registry });
        expect(existsSync(join(registry, 'archives', 'hello-gpack-1.0.0.tgz'))).toBe(true);
        expect(first.integrity).toBe(dry.integrity);
        expect(await codeOf(backend.publish({ dir: gpack('1.0.0'), registry }))).toBe('GGEN_E_VERSION_EXISTS');
        await backend.publish({ dir: gpack('1.1.0'), registry });

        const index = JSON.parse(readFileSync(join(registry, 'index.json'), 'utf8')) as {
          package_count: number;
          categories: Record<string, number>;
          packages: { version: string; versions: unknown[] }[];
        };
        expect(index.package_count).toBe(1);
        expect(index.categories).toEqual({ starter: 1 });
        expect(index.packages[0]?.version).toBe('1.1.0');
        expect(index.packages[0]?.versions).toHaveLength(2);

        const reader = create({ location: registry, timeoutMs: 1000, retries: 0 });
        const paths = target();
        await reader.install({ specs: ['hello-gpack@~1.0.0'], ...paths });
        expect(readFileSync(join(paths.packagesDir, 'hello-gpack', 'templates', 'hello.tmpl'), 'utf8')).toBe(
          'hello 1.0.0',
        );
        expect((await reader.update(paths)).changes).toEqual([]);
        await reader.install({ specs: ['hello-gpack@^1.0.0'], ...paths });
        expect(readFileSync(join(paths.packagesDir, 'hello-gpack', 'templates', 'hello.tmpl'), 'utf8')).toBe(
          'hello 1.1.0',
        );
      });

      it('refuses an invalid manifest, an HTTP registry and a corrupt index', async () => {
        const registry = mkdtempSync(join(tmpdir(), 'ggen-registry-'));
        const backend = create({ location: registry, timeoutMs: 1000, retries: 0 });
        expect(await codeOf(backend.publish({ dir: gpack('1.0.0', 'dependencies:\n  x: "!!"\n'), registry }))).toBe(
          'GGEN_E_MANIFEST_INVALID',
        );
        expect(await codeOf(backend.publish({ dir: gpack('1.0.0'), registry: 'http://127.0.0.1:9/' }))).toBe(
          'GGEN_E_PUBLISH_UNSUPPORTED',
        );
        writeFileSync(join(registry, 'index.json'), '{"packages": [');
        expect(await codeOf(backend.publish({ dir: gpack('1.0.0'), registry }))).toBe('GGEN_E_INDEX_INVALID');
        expect(readFileSync(join(registry, 'index.json'), 'utf8')).toBe('{"packages": [');
      });

      it('serialises concurrent publishes of different packages without losing either', async () => {
        const registry = mkdtempSync(join(tmpdir(), 'ggen-registry-'));
        const backend = create({ location: registry, timeoutMs: 1000, retries: 0 });
        const dirs = ['one', 'two', 'three'].map((name) => {
          const dir = gpack('1.0.0');
          writeFileSync(join(dir, 'gpack.yaml'), `name: pkg-${name}\nversion: 1.0.0\ndescription: d\n`);
          return dir;
        });
        await Promise.all(dirs.map((dir) => backend.publish({ dir, registry })));
        const index = JSON.parse(readFileSync(join(registry, 'index.json'), 'utf8')) as {
          packages: { name: string }[];
        };
        expect(index.packages.map((pkg) => pkg.name).sort()).toEqual(['pkg-one', 'pkg-three', 'pkg-two']);
      });
    });
  });
}
