import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  compactRegistry,
  generateSecretKey,
  publicKeyLine,
  signMessage,
  signPackageArchive,
  submittedSigner,
} from '@ggen/marketplace-v2';
import { httpStatusOf, TokenStore } from '@ggen/registry-server';
import { closeServers, packOf, post, serve, signed, tempDir } from './support.js';

afterAll(closeServers);

describe('tokens', () => {
  it('are shown once, kept only as hashes in a 600 file, scoped, and stop working when revoked or expired', async () => {
    const dir = tempDir('ggen-registry-');
    const store = new TokenStore(dir);
    const { token, record } = await store.create({ scope: 'publish', packages: ['@acme'], label: 'ci' });
    expect(token).toMatch(/^ggen_[A-Za-z0-9_-]{43}$/);
    const file = readFileSync(store.path, 'utf8');
    expect(file).not.toContain(token);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(store.identify(token)).toEqual({ id: record.id, label: 'ci', scope: 'publish', packages: ['@acme'] });
    expect(store.identify(`${token}x`)).toBeUndefined();
    expect(JSON.stringify(store.list())).not.toContain('hash');

    const expiring = await store.create({ scope: 'admin', expiresInDays: 1, now: new Date('2026-01-01T00:00:00Z') });
    expect(store.identify(expiring.token, new Date('2026-01-01T12:00:00Z'))?.scope).toBe('admin');
    expect(store.identify(expiring.token, new Date('2026-01-02T00:00:01Z'))).toBeUndefined();

    await store.revoke(record.id);
    expect(store.identify(token)).toBeUndefined();
    expect(store.list().find((entry) => entry.id === record.id)?.state).toBe('revoked');
    await expect(store.revoke('tok_000000000000')).rejects.toMatchObject({ code: 'GGEN_E_USAGE' });

    // A token file others can read is refused, not used.
    chmodSync(store.path, 0o644);
    expect(() => new TokenStore(dir).identify(token)).toThrow(/can be read by other users/);
  });
});

describe('a submitted signature', () => {
  it('is given back only when it verifies with the whole key sent and binds what the server was about to sign', async () => {
    const key = generateSecretKey();
    const other = generateSecretKey();
    const archive = await packOf('bound', '1.0.0');
    const binding = { name: 'bound', version: '1.0.0', integrity: 'sha512-x' };
    const good = signPackageArchive(key, archive, binding);
    expect(submittedSigner({ publicKey: publicKeyLine(key), archive: good }).sign(archive, binding)).toBe(good);
    // Signed by another key, sent with this one: refused.
    expect(() =>
      submittedSigner({
        publicKey: publicKeyLine(key),
        archive: signPackageArchive(other, archive, binding),
      }).sign(archive, binding),
    ).toThrow(/does not verify/);
    // A signature of another version of the same bytes: refused.
    expect(() =>
      submittedSigner({ publicKey: publicKeyLine(key), archive: good }).sign(archive, { ...binding, version: '2.0.0' }),
    ).toThrow(/binds another package/);
    // A statement dated an hour ago is not accepted as signed now.
    const now = Math.floor(Date.now() / 1000);
    const statement = `ggen-lifecycle package=bound action=yank version=1.0.0 timestamp=${now - 3600}`;
    const old = signMessage(key, Buffer.from(statement, 'utf8'), statement);
    expect(() =>
      submittedSigner({ publicKey: publicKeyLine(key), statements: [old] }).signStatement(
        `ggen-lifecycle package=bound action=yank version=1.0.0 timestamp=${now}`,
      ),
    ).toThrow(/ten minutes/);
    expect(() =>
      submittedSigner({ publicKey: publicKeyLine(key), statements: [old] }).signStatement(
        `ggen-lifecycle package=bound action=unyank version=1.0.0 timestamp=${now}`,
      ),
    ).toThrow(/is missing/);
  });
});

describe('the registry server', () => {
  it('answers each refusal with its code and status: 401, 403, 409, 413, 422, 400', async () => {
    const dir = tempDir('ggen-registry-');
    const url = await serve(dir);
    const store = new TokenStore(dir);
    const { token } = await store.create({ scope: 'publish' });
    const { token: narrow } = await store.create({ scope: 'publish', packages: ['@acme'] });
    const { token: reader } = await store.create({ scope: 'read' });
    const archive = await packOf('served', '1.0.0');
    const body = { archive: archive.toString('base64') };

    expect((await post(url, 'publish', body)).status).toBe(401);
    expect((await post(url, 'publish', body, 'ggen_not-a-token')).body.error?.code).toBe('GGEN_E_AUTH_REQUIRED');
    const forbidden = await post(url, 'publish', body, narrow);
    expect([forbidden.status, forbidden.body.error?.code]).toEqual([403, 'GGEN_E_FORBIDDEN']);
    expect((await post(url, 'publish', body, reader)).status).toBe(403);

    const published = await post(url, 'publish', body, token);
    expect(published.status).toBe(201);
    expect(published.body.name).toBe('served');
    const again = await post(url, 'publish', body, token);
    expect([again.status, again.body.error?.code]).toEqual([409, 'GGEN_E_VERSION_EXISTS']);
    const corrupt = await post(url, 'publish', { archive: Buffer.from('not a tgz').toString('base64') }, token);
    expect([corrupt.status, corrupt.body.error?.code]).toEqual([422, 'GGEN_E_ARCHIVE_CORRUPT']);
    const secret = await post(
      url,
      'publish',
      {
        archive: (
          await tarOf({ 'gpack.yaml': 'name: leaky\nversion: 1.0.0\ndescription: d\n', '.env': 'KEY=1' })
        ).toString('base64'),
      },
      token,
    );
    expect([secret.status, secret.body.error?.code]).toEqual([422, 'GGEN_E_ARCHIVE_UNSAFE']);
    const malformed = await post(url, 'publish', { signature: 'no archive' }, token);
    expect([malformed.status, malformed.body.error?.code]).toEqual([400, 'GGEN_E_USAGE']);
    const huge = await fetch(`${url}/-/v1/lifecycle/served`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ change: { action: 'yank', version: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(huge.status).toBe(413);
    expect(httpStatusOf('GGEN_E_INDEX_INVALID')).toBe(500);
  });

  it('serves per-package documents and registry files with ETags and 304s, and never a file outside its kinds', async () => {
    const dir = tempDir('ggen-registry-');
    const url = await serve(dir);
    const { token } = await new TokenStore(dir).create({ scope: 'admin' });
    const key = generateSecretKey();
    const archive = await packOf('@acme/doc', '1.2.0');
    const first = await post(url, 'publish', { archive: archive.toString('base64') }, token);
    expect(first.body.error).toBeUndefined();
    expect([first.status, first.body.integrity]).toEqual([201, expect.stringMatching(/^sha512-/)]);
    // A second version, signed: the owner claim is recorded from the statement sent.
    const next = await packOf('@acme/doc', '1.3.0');
    const nextIntegrity = `sha512-${(await import('node:crypto')).createHash('sha512').update(next).digest('base64')}`;
    const signedPublish = await post(
      url,
      'publish',
      { archive: next.toString('base64'), ...signed(key, next, '@acme/doc', '1.3.0', nextIntegrity) },
      token,
    );
    expect(signedPublish.status).toBe(201);

    const document = await fetch(`${url}/-/v1/packages/${encodeURIComponent('@acme/doc')}`);
    expect(document.status).toBe(200);
    const pkg = (await document.json()) as { latest: string; versions: { version: string; tarball: string }[] };
    expect(pkg.latest).toBe('1.3.0');
    expect(pkg.versions.map((version) => version.tarball)).toEqual([
      `${url}/archives/@acme/doc-1.3.0.tgz`,
      `${url}/archives/@acme/doc-1.2.0.tgz`,
    ]);
    const tag = document.headers.get('etag') ?? '';
    expect(tag).not.toBe('');
    const revalidated = await fetch(`${url}/-/v1/packages/${encodeURIComponent('@acme/doc')}`, {
      headers: { 'if-none-match': tag },
    });
    expect(revalidated.status).toBe(304);

    const catalog = await fetch(`${url}/catalog.nq`);
    expect(catalog.status).toBe(200);
    expect(await catalog.text()).toContain('@acme/doc');
    const catalogTag = catalog.headers.get('etag') ?? '';
    expect((await fetch(`${url}/catalog.nq`, { headers: { 'if-none-match': catalogTag } })).status).toBe(304);

    const search = (await (await fetch(`${url}/-/v1/search?q=doc&limit=5`)).json()) as { packages: { name: string }[] };
    expect(search.packages.map((entry) => entry.name)).toEqual(['@acme/doc']);
    const changes = (await (await fetch(`${url}/-/v1/changes?since=1`)).json()) as {
      changes: { seq: number; version: string }[];
      last: number;
    };
    expect(changes).toMatchObject({ last: 2, changes: [{ seq: 2, version: '1.3.0' }] });

    // The server's own files, a link out of the registry, and paths that climb are not served.
    mkdirSync(join(dir, 'archives'), { recursive: true });
    symlinkSync('/etc/passwd', join(dir, 'archives', 'passwd.tgz'));
    for (const path of ['.ggen-server/tokens.json', 'archives/passwd.tgz', 'archives/..%2f.ggen-server%2ftokens.json'])
      expect((await fetch(`${url}/${path}`)).status).toBe(404);
    expect(await (await fetch(`${url}/.ggen-server/tokens.json`)).text()).not.toContain('hash');
  });

  it('reads its catalog from the local store, and says so with a code when that store is damaged', async () => {
    const dir = tempDir('ggen-registry-');
    const storeRoot = tempDir('ggen-server-store-');
    const url = await serve(dir, { storeRoot });
    const { token } = await new TokenStore(dir).create({ scope: 'admin' });
    const archive = await packOf('stored', '1.0.0');
    expect((await post(url, 'publish', { archive: archive.toString('base64') }, token)).status).toBe(201);
    expect((await fetch(`${url}/-/v1/packages/stored`)).status).toBe(200);
    // The store the server synced, under the root it was given.
    const [store] = readdirSync(storeRoot);
    const current = JSON.parse(readFileSync(join(storeRoot, store ?? '', 'current.json'), 'utf8')) as {
      version: string;
    };
    writeFileSync(join(storeRoot, store ?? '', current.version, 'ranges.bin'), 'damaged');
    // Another instance over the same store: never an empty registry, a coded refusal.
    const other = await serve(dir, { storeRoot });
    const answer = await fetch(`${other}/-/v1/packages/stored`);
    expect(answer.status).toBe(500);
    expect(((await answer.json()) as { error: { code: string; hint: string } }).error).toEqual(
      expect.objectContaining({ code: 'GGEN_E_INDEX_INVALID', hint: expect.stringContaining('sync --force') }),
    );
  });

  it('appends publishes to the journal, checked against its store: look-alikes and versions of journaled packages', async () => {
    const dir = tempDir('ggen-registry-');
    const url = await serve(dir);
    const { token } = await new TokenStore(dir).create({ scope: 'admin' });
    const publish = async (name: string, version = '1.0.0'): Promise<{ status: number; code?: string }> => {
      const answer = await post(url, 'publish', { archive: (await packOf(name, version)).toString('base64') }, token);
      return { status: answer.status, ...(answer.body.error === undefined ? {} : { code: answer.body.error.code }) };
    };
    // The first publish writes the catalog whole (there is none); the next ones go to the journal.
    expect(await publish('first-pack')).toEqual({ status: 201 });
    const catalog = statSync(join(dir, 'catalog.nq'));
    expect(await publish('web-kit')).toEqual({ status: 201 });
    expect(await publish('@acme/tools')).toEqual({ status: 201 });
    expect(statSync(join(dir, 'catalog.nq')).ino).toBe(catalog.ino);
    expect(readFileSync(join(dir, 'catalog.journal.nq'), 'utf8')).toContain('# ggen-journal @acme/tools ');
    // Refused by what the store holds of the journal: a look-alike name, a look-alike scope, a version again.
    expect(await publish('webkit')).toEqual({ status: 409, code: 'GGEN_E_NAME_TAKEN' });
    expect(await publish('first_pack')).toEqual({ status: 409, code: 'GGEN_E_NAME_TAKEN' });
    expect(await publish('@ac-me/other')).toEqual({ status: 409, code: 'GGEN_E_NAME_TAKEN' });
    expect(await publish('web-kit')).toEqual({ status: 409, code: 'GGEN_E_VERSION_EXISTS' });
    expect(await publish('web-kit', '1.1.0')).toEqual({ status: 201 });
    const document = (await (await fetch(`${url}/-/v1/packages/web-kit`)).json()) as {
      versions: { version: string }[];
    };
    expect(document.versions.map((entry) => entry.version).sort()).toEqual(['1.0.0', '1.1.0']);
    // Mirrors and old clients get the whole catalog, the journal merged in.
    const served = await (await fetch(`${url}/catalog.nq`)).text();
    for (const name of ['first-pack', 'web-kit', '@acme/tools'])
      expect(served).toContain(
        `<https://ggen.dev/registry/package/${name}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>`,
      );
    expect(served).toContain('/package/web-kit/1.1.0>');
  });

  it('compacts aside once the journal reaches compactAt, and serves every package on either side of it', async () => {
    const dir = tempDir('ggen-registry-');
    let compacted: () => void = () => undefined;
    const done = new Promise<void>((resolveDone) => {
      compacted = resolveDone;
    });
    let runs = 0;
    const url = await serve(dir, {
      compactAt: 3,
      compactAside: async () => {
        runs += 1;
        await compactRegistry(dir);
        compacted();
      },
    });
    const { token } = await new TokenStore(dir).create({ scope: 'admin' });
    const publish = async (name: string): Promise<number> =>
      (await post(url, 'publish', { archive: (await packOf(name, '1.0.0')).toString('base64') }, token)).status;
    // The first publish writes the catalog whole; the next two are journal entries, below compactAt.
    for (const name of ['aside-zero', 'aside-one', 'aside-two']) expect(await publish(name)).toBe(201);
    expect(runs).toBe(0);
    // The third entry starts a compaction, which this publish does not wait for.
    expect(await publish('aside-three')).toBe(201);
    await done;
    expect(runs).toBe(1);
    expect(existsSync(join(dir, 'catalog.journal.nq'))).toBe(false);
    expect(readFileSync(join(dir, 'catalog.nq'), 'utf8')).toContain('/package/aside-three>');
    expect(await publish('aside-four')).toBe(201);
    const found = (await (await fetch(`${url}/-/v1/search?q=aside&limit=10`)).json()) as {
      packages: { name: string }[];
    };
    expect(found.packages.map((pkg) => pkg.name).sort()).toEqual([
      'aside-four',
      'aside-one',
      'aside-three',
      'aside-two',
      'aside-zero',
    ]);
  });

  it('refuses read-only SPARQL over a catalog too large to load per query, with a code and a hint', async () => {
    const dir = tempDir('ggen-registry-');
    // A sparse file: its size is what the endpoint judges, before it reads a byte.
    writeFileSync(join(dir, 'catalog.nq'), '');
    truncateSync(join(dir, 'catalog.nq'), 300 * 2 ** 20);
    const url = await serve(dir);
    const answer = await fetch(`${url}/-/v1/sparql?query=${encodeURIComponent('SELECT * WHERE { ?s ?p ?o } LIMIT 1')}`);
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: { code: string; hint: string } }).error).toEqual(
      expect.objectContaining({ code: 'GGEN_E_BACKEND_UNAVAILABLE', hint: expect.stringContaining('registry push') }),
    );
  });

  it('limits requests per client with a coded 429', async () => {
    const dir = tempDir('ggen-registry-');
    const url = await serve(dir, { rateLimit: 3 });
    const statuses: number[] = [];
    for (let index = 0; index < 4; index += 1) statuses.push((await fetch(`${url}/-/v1/search?q=x`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = (await (await fetch(`${url}/-/v1/search?q=x`)).json()) as { error: { code: string } };
    expect(refused.error.code).toBe('GGEN_E_RATE_LIMITED');
  });

  it('two instances over one directory agree, and concurrent publishes through both lose nothing', async () => {
    const dir = tempDir('ggen-registry-');
    const [first, second] = await Promise.all([serve(dir), serve(dir)]);
    const { token } = await new TokenStore(dir).create({ scope: 'publish' });
    const archives = await Promise.all(Array.from({ length: 8 }, (_, index) => packOf(`concurrent-${index}`, '1.0.0')));
    const answers = await Promise.all(
      archives.map((archive, index) =>
        post(index % 2 === 0 ? first : second, 'publish', { archive: archive.toString('base64') }, token),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 8 }, () => 201));
    for (const url of [first, second]) {
      const found = (await (await fetch(`${url}/-/v1/search?q=concurrent&limit=20`)).json()) as {
        packages: { name: string }[];
      };
      expect(found.packages.map((entry) => entry.name).sort()).toEqual(
        Array.from({ length: 8 }, (_, index) => `concurrent-${index}`),
      );
    }
    const feed = (await (await fetch(`${second}/-/v1/changes`)).json()) as { changes: { seq: number }[] };
    expect(feed.changes.map((change) => change.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

/** A .tgz of these files as any tar tool would make it (not through publish's own file selection). */
async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const { Header } = await import('tar/header');
  const chunks: Buffer[] = [];
  for (const [path, content] of Object.entries(files)) {
    const header = new Header({
      path,
      mode: 0o644,
      size: Buffer.byteLength(content),
      mtime: new Date(0),
      type: 'File',
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    const body = Buffer.alloc(Math.ceil(Buffer.byteLength(content) / 512) * 512);
    body.write(content);
    chunks.push(block, body);
  }
  chunks.push(Buffer.alloc(1024));
  return (await import('node:zlib')).gzipSync(Buffer.concat(chunks));
}
