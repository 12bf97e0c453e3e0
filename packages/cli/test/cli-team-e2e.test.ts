// A registry a team can share (issue 13): namespaced packs with scope owners, a lockfile that
// travels to another machine and a moved registry, and migrate keeping every scoped entry.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadNpmRows, writeV1Registry as writeNpmV1Registry } from '../../../tools/testing/npm-sample.mjs';
import { freshHome, parseJson, runGgen } from './helpers/run-ggen.js';

const env = { GGEN_KEY_PASSWORD: 'team secret', GGEN_DAEMON: '0' };

function writePack(dir: string, name: string, version = '1.0.0', description = 'Generates web apps for Acme'): string {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(
    join(dir, 'gpack.yaml'),
    `name: "${name}"\nversion: ${version}\ndescription: ${description}\nlicense: MIT\ntemplates:\n  - templates/a.tmpl\n`,
  );
  writeFileSync(join(dir, 'templates', 'a.tmpl'), `${name} ${version}\n`);
  writeFileSync(join(dir, 'README.md'), `# ${name}\n`);
  return dir;
}

async function keygen(home: string, file: string): Promise<{ keyId: string; publicKey: string; secretKey: string }> {
  return parseJson(await runGgen(['marketplace', 'keygen', '--output', join(home, file), '--json'], { home, env }));
}

describe('namespaces: @scope/name from publish to install', () => {
  it('publishes a scoped pack signed, finds it by scope, words and exact name, installs it to gpacks/@acme/', async () => {
    const home = freshHome();
    const registry = mkdtempSync(join(tmpdir(), 'ggen-team-registry-'));
    const owner = await keygen(home, 'owner.key');
    const pack = writePack(join(home, 'kit'), '@acme/web-toolkit');
    const published = await runGgen(
      ['marketplace', 'publish', pack, '--sign', '--key', owner.secretKey, '--registry', registry],
      { home, env },
    );
    expect([published.code, published.stdout.split('\n')[0]]).toEqual([
      0,
      `published @acme/web-toolkit@1.0.0 to ${registry}`,
    ]);
    expect(existsSync(join(registry, 'archives', '@acme', 'web-toolkit-1.0.0.tgz'))).toBe(true);
    expect(existsSync(join(registry, 'keys', '@acme.json'))).toBe(true);
    for (const text of ['acme', 'toolkit', '@acme/web-toolkit']) {
      const found = parseJson<{ packages: { name: string }[] }>(
        await runGgen(['marketplace', 'search', text, '--registry', registry, '--json'], { home, env }),
      );
      expect([text, found.packages[0]?.name]).toEqual([text, '@acme/web-toolkit']);
    }
    writeFileSync(join(home, 'trusted.pub'), `${owner.publicKey}\n`);
    mkdirSync(join(home, '.ggen'), { recursive: true });
    cpSync(join(home, 'trusted.pub'), join(home, '.ggen', 'trusted-keys'));
    const target = join(home, 'project', 'gpacks');
    const install = await runGgen(
      [
        'marketplace',
        'install',
        '@acme/web-toolkit@^1',
        '--registry',
        registry,
        '--target',
        target,
        '--verify-signature',
      ],
      { home, env },
    );
    expect(install.code).toBe(0);
    expect(install.stdout).toMatch(/^\+ +@acme\/web-toolkit +1\.0\.0 +v2 +[0-9A-F]{16}$/m);
    expect(readFileSync(join(target, '@acme', 'web-toolkit', 'templates', 'a.tmpl'), 'utf8')).toBe(
      '@acme/web-toolkit 1.0.0\n',
    );
    const lock = JSON.parse(readFileSync(join(home, 'project', 'ggen.lock'), 'utf8')) as {
      packages: Record<string, { resolved: string }>;
    };
    expect(lock.packages['@acme/web-toolkit']?.resolved).toBe('v2:archives/@acme/web-toolkit-1.0.0.tgz');
    expect((await runGgen(['marketplace', 'list', '--target', target], { home, env })).stdout).toMatch(
      /^@acme\/web-toolkit +1\.0\.0 +ok +v2$/m,
    );
    expect(
      (await runGgen(['marketplace', 'remove', '@acme/web-toolkit', '--target', target], { home, env })).code,
    ).toBe(0);
    expect(existsSync(join(target, '@acme'))).toBe(false);
  });

  it('gives a scope to its first signed publisher; others publish into it only with a scope owner key', async () => {
    const home = freshHome();
    const registry = mkdtempSync(join(tmpdir(), 'ggen-team-registry-'));
    const alice = await keygen(home, 'alice.key');
    const bob = await keygen(home, 'bob.key');
    expect(
      (
        await runGgen(
          [
            'marketplace',
            'publish',
            writePack(join(home, 'a'), '@acme/first'),
            '--sign',
            '--key',
            alice.secretKey,
            '--registry',
            registry,
          ],
          { home, env },
        )
      ).code,
    ).toBe(0);
    const second = writePack(join(home, 'b'), '@acme/second');
    const unsigned = await runGgen(['marketplace', 'publish', second, '--registry', registry], { home, env });
    expect([unsigned.code, unsigned.stderr.split('\n')[0]]).toEqual([
      6,
      'error GGEN_E_SIGNATURE_MISSING: The scope @acme is owned by signing keys; @acme/second must be published signed by one of them',
    ]);
    const stranger = await runGgen(
      ['marketplace', 'publish', second, '--sign', '--key', bob.secretKey, '--registry', registry],
      { home, env },
    );
    expect([stranger.code, stranger.stderr.split('\n')[0]]).toEqual([
      6,
      `error GGEN_E_NOT_OWNER: Key ${bob.keyId} is not an owner of the scope @acme; it cannot publish @acme/second`,
    ]);
    expect(stranger.stderr).toContain(`keys add --scope @acme`);
    // Another scope, or a bare name, is not affected.
    expect(
      (
        await runGgen(
          [
            'marketplace',
            'publish',
            writePack(join(home, 'c'), '@bob/tools'),
            '--sign',
            '--key',
            bob.secretKey,
            '--registry',
            registry,
          ],
          { home, env },
        )
      ).code,
    ).toBe(0);
    const neither = await runGgen(
      ['marketplace', 'keys', 'add', '--public-key', bob.publicKey, '--key', alice.secretKey, '--registry', registry],
      { home, env },
    );
    expect([neither.code, neither.stderr.split('\n')[0]]).toEqual([
      2,
      'error GGEN_E_USAGE: keys add needs one of --package <name> or --scope <@scope>',
    ]);
    const added = await runGgen(
      [
        'marketplace',
        'keys',
        'add',
        '--scope',
        'acme',
        '--public-key',
        bob.publicKey,
        '--key',
        alice.secretKey,
        '--registry',
        registry,
      ],
      { home, env },
    );
    expect([added.code, added.stdout.split('\n')[0]]).toEqual([
      0,
      `added key ${bob.keyId} for @acme (statement signed by ${alice.keyId})`,
    ]);
    expect(
      (
        await runGgen(['marketplace', 'publish', second, '--sign', '--key', bob.secretKey, '--registry', registry], {
          home,
          env,
        })
      ).code,
    ).toBe(0);
    const keys = parseJson<{ keys: { keyId: string; role: string; source: string }[] }>(
      await runGgen(['marketplace', 'keys', '--scope', '@acme', '--registry', registry, '--json'], { home, env }),
    );
    expect(keys.keys.filter((key) => key.source === '@acme').map((key) => [key.role, key.keyId])).toEqual([
      ['owner', alice.keyId],
      ['owner', bob.keyId],
    ]);
    const revoked = await runGgen(
      [
        'marketplace',
        'keys',
        'revoke',
        '--scope',
        '@acme',
        '--public-key',
        alice.publicKey,
        '--key',
        bob.secretKey,
        '--registry',
        registry,
      ],
      {
        home,
        env,
      },
    );
    expect(revoked.code).toBe(0);
    const third = await runGgen(
      [
        'marketplace',
        'publish',
        writePack(join(home, 'd'), '@acme/third'),
        '--sign',
        '--key',
        alice.secretKey,
        '--registry',
        registry,
      ],
      { home, env },
    );
    expect([third.code, third.stderr.split('\n')[0]]).toEqual([
      6,
      `error GGEN_E_NOT_OWNER: Key ${alice.keyId} is not an owner of the scope @acme; it cannot publish @acme/third`,
    ]);
  });

  it('registry migrate keeps every entry of a 10,000-package npm registry, 4,201 of them scoped', async () => {
    const home = freshHome();
    const v1 = mkdtempSync(join(tmpdir(), 'ggen-npm-v1-'));
    const rows = loadNpmRows(10_000, 'npm-top10k-scoped.tsv.gz');
    writeNpmV1Registry(v1, rows, { installTargets: 0 });
    const scoped = rows.filter((row) => row.name.startsWith('@')).length;
    expect(scoped).toBe(4201);
    const v2 = join(home, 'v2');
    const migrated = await runGgen(['marketplace', 'registry', 'migrate', '--from', v1, '--to', v2], { home, env });
    expect([migrated.code, migrated.stdout.split('\n')[0]]).toEqual([
      0,
      `migrated 10000 package(s), 10000 version(s) from ${v1}`,
    ]);
    const babel = parseJson<{ packages: { name: string }[]; total: number }>(
      await runGgen(['marketplace', 'search', 'babel', '--registry', v2, '--limit', '3', '--json'], { home, env }),
    );
    expect(babel.packages.map((pkg) => pkg.name)).toEqual(['@babel/core', '@babel/types', '@babel/runtime']);
    const exact = parseJson<{ packages: { name: string }[] }>(
      await runGgen(['marketplace', 'search', '@types/node', '--registry', v2, '--limit', '1', '--json'], {
        home,
        env,
      }),
    );
    expect(exact.packages[0]?.name).toBe('@types/node');
  }, 180_000);
});

describe('a lockfile that travels', () => {
  it('installs on another HOME from a moved registry given by --registry, and says which entry and registry failed otherwise', async () => {
    const home = freshHome();
    const registry = join(mkdtempSync(join(tmpdir(), 'ggen-team-')), 'registry');
    mkdirSync(registry);
    for (const [dir, name] of [
      ['k', '@acme/kit'],
      ['h', 'helper'],
    ] as const) {
      expect(
        (
          await runGgen(['marketplace', 'publish', writePack(join(home, dir), name), '--registry', registry], {
            home,
            env,
          })
        ).code,
      ).toBe(0);
    }
    const project = join(home, 'project');
    expect(
      (
        await runGgen(
          [
            'marketplace',
            'install',
            '@acme/kit',
            'helper',
            '--registry',
            registry,
            '--target',
            join(project, 'gpacks'),
          ],
          { home, env },
        )
      ).code,
    ).toBe(0);
    const lockText = readFileSync(join(project, 'ggen.lock'), 'utf8');
    expect(lockText).not.toContain(registry);
    expect(lockText).not.toContain(home);

    // A clone elsewhere: another HOME, the registry moved, the project copied without gpacks/.
    const other = freshHome();
    const clone = join(other, 'clone');
    mkdirSync(clone);
    cpSync(join(project, 'ggen.lock'), join(clone, 'ggen.lock'));
    const moved = join(other, 'registry-now');
    renameSync(registry, moved);
    const lost = await runGgen(['marketplace', 'install', '--target', join(clone, 'gpacks'), '--backend', 'v2'], {
      home: other,
      env,
    });
    // Not a network failure: the registry in use (the built-in sample) has no such archive, said once.
    expect(lost.code).toBe(4);
    expect(lost.stderr.match(/is not in the v2 registry/g)?.length).toBe(1);
    expect(lost.stderr).toMatch(
      /^error GGEN_E_REGISTRY_NOT_FOUND: ggen\.lock entry (@acme\/kit|helper)@1\.0\.0 \(v2:archives\/\S+\.tgz\) is not in the v2 registry at \S+sample-registry: /m,
    );
    expect(lost.stderr).toContain('hint: If the registry moved, give its new location with --registry');
    expect(existsSync(join(clone, 'gpacks', 'helper'))).toBe(false);
    const found = await runGgen(['marketplace', 'install', '--target', join(clone, 'gpacks'), '--registry', moved], {
      home: other,
      env,
    });
    expect(found.code).toBe(0);
    expect(readFileSync(join(clone, 'gpacks', '@acme', 'kit', 'templates', 'a.tmpl'), 'utf8')).toBe(
      '@acme/kit 1.0.0\n',
    );
    expect(readFileSync(join(clone, 'ggen.lock'), 'utf8')).toBe(lockText);
  });
});

describe('lifecycle: yank, deprecate, dist-tags, in both formats', () => {
  it('a yanked version is never chosen for a range but installs when named; tags install; deprecation is shown; sync carries it', async () => {
    const home = freshHome();
    const registry = mkdtempSync(join(tmpdir(), 'ggen-team-registry-'));
    // A v1 registry, migrated: from then on each publish writes both formats (dual writes).
    for (const version of ['1.0.0', '1.1.0', '2.0.0-rc.1']) {
      const pack = writePack(join(home, `kit-${version}`), 'kit', version);
      const backend = version === '1.0.0' ? 'v1' : 'v2';
      expect(
        (await runGgen(['marketplace', 'publish', pack, '--registry', registry, '--backend', backend], { home, env }))
          .code,
      ).toBe(0);
      if (version === '1.0.0')
        expect(
          (await runGgen(['marketplace', 'registry', 'migrate', '--from', registry, '--to', registry], { home, env }))
            .code,
        ).toBe(0);
    }
    const yank = await runGgen(['marketplace', 'yank', 'kit@1.1.0', '--registry', registry], { home, env });
    expect([yank.code, yank.stdout]).toEqual([
      0,
      `yanked kit@1.1.0\nwritten to catalog.nq and index.json in ${registry}\n`,
    ]);
    const index = JSON.parse(readFileSync(join(registry, 'index.json'), 'utf8')) as {
      packages: { versions: { version: string; yanked?: boolean }[] }[];
    };
    expect(index.packages[0]?.versions.find((entry) => entry.version === '1.1.0')?.yanked).toBe(true);
    expect((await runGgen(['marketplace', 'sync', '--registry', registry], { home, env })).code).toBe(0);
    for (const backend of ['v2', 'v1']) {
      const target = join(home, `range-${backend}`, 'gpacks');
      const ranged = await runGgen(
        ['marketplace', 'install', 'kit@^1.0.0', '--registry', registry, '--target', target, '--backend', backend],
        { home, env },
      );
      expect([backend, ranged.code, ranged.stdout.split('\n')[1]]).toEqual([
        backend,
        0,
        `+  kit      1.0.0    ${backend}`,
      ]);
      const named = await runGgen(
        ['marketplace', 'install', 'kit@1.1.0', '--registry', registry, '--target', target, '--backend', backend],
        { home, env },
      );
      expect([backend, named.code, named.stdout.split('\n')[1]]).toEqual([
        backend,
        0,
        `~  kit      1.0.0 -> 1.1.0  ${backend}`,
      ]);
    }
    expect((await runGgen(['marketplace', 'info', 'kit', '--registry', registry], { home, env })).stdout).toMatch(
      /^ {2}1\.1\.0 \(yanked\)/m,
    );
    expect(
      (await runGgen(['marketplace', 'yank', 'kit@1.1.0', '--undo', '--registry', registry], { home, env })).stdout,
    ).toMatch(/^restored kit@1\.1\.0$/m);
    expect((await runGgen(['marketplace', 'yank', 'kit@9.9.9', '--registry', registry], { home, env })).stderr).toMatch(
      /^error GGEN_E_VERSION_NOT_FOUND: kit has no version 9\.9\.9$/m,
    );

    const tagged = await runGgen(['marketplace', 'dist-tag', 'add', 'kit@2.0.0-rc.1', 'next', '--registry', registry], {
      home,
      env,
    });
    expect(tagged.code).toBe(0);
    expect(
      (await runGgen(['marketplace', 'dist-tag', 'add', 'kit@1.1.0', 'latest', '--registry', registry], { home, env }))
        .code,
    ).toBe(0);
    expect(
      (await runGgen(['marketplace', 'dist-tag', 'ls', 'kit', '--registry', registry], { home, env })).stdout,
    ).toBe('latest:  1.1.0\nnext:    2.0.0-rc.1\n');
    expect(
      (
        await runGgen(['marketplace', 'dist-tag', 'ls', 'kit', '--registry', registry, '--backend', 'v1'], {
          home,
          env,
        })
      ).stdout,
    ).toBe('latest:  1.1.0\nnext:    2.0.0-rc.1\n');
    const next = await runGgen(
      ['marketplace', 'install', 'kit@next', '--registry', registry, '--target', join(home, 'tags', 'gpacks')],
      { home, env },
    );
    expect([next.code, next.stdout.split('\n')[1]]).toEqual([0, '+  kit      2.0.0-rc.1  v2']);
    expect(JSON.parse(readFileSync(join(home, 'tags', 'ggen.lock'), 'utf8'))).toMatchObject({
      requested: { kit: '^2.0.0-rc.1' },
    });
    const latest = await runGgen(
      ['marketplace', 'install', 'kit', '--registry', registry, '--target', join(home, 'latest', 'gpacks')],
      { home, env },
    );
    expect(latest.stdout.split('\n')[1]).toBe('+  kit      1.1.0    v2');
    const noTag = await runGgen(
      ['marketplace', 'install', 'kit@beta', '--registry', registry, '--target', join(home, 'tags', 'gpacks')],
      { home, env },
    );
    expect(noTag.code).toBe(4);
    expect(noTag.stderr).toMatch(/^error GGEN_E_VERSION_NOT_FOUND: kit has no dist-tag 'beta'$/m);
    expect(
      (await runGgen(['marketplace', 'dist-tag', 'rm', 'kit', 'latest', '--registry', registry], { home, env })).code,
    ).toBe(2);
    expect(
      (await runGgen(['marketplace', 'dist-tag', 'rm', 'kit', 'next', '--registry', registry], { home, env })).code,
    ).toBe(0);

    // A version only one format holds (published before dual writes) is changed there, the
    // other format left as it is.
    const indexBefore = readFileSync(join(registry, 'index.json'), 'utf8');
    const onlyV2 = writePack(join(home, 'kit-3.0.0'), 'kit', '3.0.0');
    expect(
      (await runGgen(['marketplace', 'publish', onlyV2, '--registry', registry, '--backend', 'v2'], { home, env }))
        .code,
    ).toBe(0);
    writeFileSync(join(registry, 'index.json'), indexBefore);
    const yankedOne = await runGgen(['marketplace', 'yank', 'kit@3.0.0', '--registry', registry], { home, env });
    expect([yankedOne.code, yankedOne.stdout]).toEqual([0, `yanked kit@3.0.0\nwritten to catalog.nq in ${registry}\n`]);
    expect(readFileSync(join(registry, 'index.json'), 'utf8')).toBe(indexBefore);
    const deprecated = await runGgen(
      ['marketplace', 'deprecate', 'kit@<1.1.0', 'use kit 1.1 or later', '--registry', registry],
      { home, env },
    );
    expect(deprecated.stdout.split('\n')[0]).toBe('deprecated kit@1.0.0: use kit 1.1 or later');
    const old = await runGgen(
      ['marketplace', 'install', 'kit@1.0.0', '--registry', registry, '--target', join(home, 'old', 'gpacks')],
      { home, env },
    );
    expect([old.code, old.stderr]).toEqual([0, 'warning: kit@1.0.0 is deprecated: use kit 1.1 or later\n']);
    expect(
      (await runGgen(['marketplace', 'info', 'kit@1.0.0', '--registry', registry], { home, env })).stdout.split(
        '\n',
      )[2],
    ).toBe('DEPRECATED: use kit 1.1 or later');
    expect(
      (await runGgen(['marketplace', 'deprecate', 'kit', '', '--registry', registry], { home, env })).stdout.split(
        '\n',
      )[0],
    ).toBe('no longer deprecated: kit@3.0.0, kit@2.0.0-rc.1, kit@1.1.0, kit@1.0.0');
  });

  it('an owned package changes only with an owner key, and the change is signed', async () => {
    const home = freshHome();
    const registry = mkdtempSync(join(tmpdir(), 'ggen-team-registry-'));
    const owner = await keygen(home, 'owner.key');
    const other = await keygen(home, 'other.key');
    expect(
      (
        await runGgen(
          [
            'marketplace',
            'publish',
            writePack(join(home, 'o'), 'owned'),
            '--sign',
            '--key',
            owner.secretKey,
            '--registry',
            registry,
          ],
          { home, env },
        )
      ).code,
    ).toBe(0);
    const unsigned = await runGgen(['marketplace', 'yank', 'owned@1.0.0', '--registry', registry], { home, env });
    expect([unsigned.code, unsigned.stderr.split('\n')[0]]).toEqual([
      6,
      'error GGEN_E_SIGNATURE_MISSING: owned is owned by signing keys; this change must be signed by one of them',
    ]);
    const stranger = await runGgen(
      ['marketplace', 'dist-tag', 'add', 'owned@1.0.0', 'stable', '--key', other.secretKey, '--registry', registry],
      { home, env },
    );
    expect([stranger.code, stranger.stderr.split('\n')[0]]).toEqual([
      6,
      `error GGEN_E_NOT_OWNER: Key ${other.keyId} is not an owner of owned`,
    ]);
    // A change that cannot be made records nothing, signed or not.
    const missing = await runGgen(
      ['marketplace', 'yank', 'owned@9.9.9', '--key', owner.secretKey, '--registry', registry],
      { home, env },
    );
    expect([missing.code, missing.stderr.split('\n')[0]]).toEqual([
      4,
      'error GGEN_E_VERSION_NOT_FOUND: owned has no version 9.9.9',
    ]);
    expect(existsSync(join(registry, 'lifecycle', 'owned.json'))).toBe(false);
    const signed = await runGgen(
      ['marketplace', 'deprecate', 'owned', 'moved to @acme/owned', '--key', owner.secretKey, '--registry', registry],
      { home, env },
    );
    expect([signed.code, signed.stdout.split('\n')[1]]).toEqual([
      0,
      `written to catalog.nq in ${registry} (signed by ${owner.keyId})`,
    ]);
    const log = JSON.parse(readFileSync(join(registry, 'lifecycle', 'owned.json'), 'utf8')) as { statements: string[] };
    expect(log.statements).toHaveLength(1);
    expect(log.statements[0]).toContain(
      'trusted comment: ggen-lifecycle package=owned action=deprecate range="*" message="moved to @acme/owned"',
    );
  });
});

describe('manifests people can write', () => {
  it('validate reports every problem at once, in line order, with did-you-mean for misspelt keys', async () => {
    const home = freshHome();
    const dir = join(home, 'bad');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'gpack.yaml'),
      'name: Bad_Pack\nversion: one\ndescripton: x\nlicence: MIT\nvariables:\n  who:\n    typ: string\n',
    );
    const run = await runGgen(['marketplace', 'validate', dir], { home, env });
    expect(run.code).toBe(3);
    expect(run.stdout.split('\n').slice(1, 7)).toEqual([
      '  error [name] (line 1): field \'name\' must be a package name: lowercase letters, digits, ".", "_" or "-", starting with a letter or digit, optionally in a scope (@acme/name)',
      "  error [description] (line 1): field 'description' is required",
      "  error [version] (line 2): field 'version' must be a semantic version such as 1.2.3",
      "  error [descripton] (line 3): unknown field 'descripton'. Did you mean 'description'?",
      "  error [licence] (line 4): unknown field 'licence'. Did you mean 'license'?",
      "  error [variables.who.typ] (line 7): unknown field 'variables.who.typ'. Did you mean 'variables.who.type'?",
    ]);
  });

  it('publish warns about a missing license and README; info shows variables, templates, files, sizes and the README', async () => {
    const home = freshHome();
    const registry = mkdtempSync(join(tmpdir(), 'ggen-team-registry-'));
    const bare = join(home, 'bare');
    mkdirSync(join(bare, 'templates'), { recursive: true });
    writeFileSync(join(bare, 'gpack.yaml'), 'name: bare\nversion: 1.0.0\ndescription: No license, no README\n');
    writeFileSync(join(bare, 'templates', 'a.tmpl'), 'x\n');
    const published = await runGgen(['marketplace', 'publish', bare, '--registry', registry], { home, env });
    expect(published.code).toBe(0);
    expect(published.stderr).toMatch(/^warning: no license: /m);
    expect(published.stderr).toMatch(/^warning: no README\.md: /m);
    const pack = writePack(join(home, 'kit'), '@acme/kit');
    writeFileSync(
      join(pack, 'gpack.yaml'),
      `${readFileSync(join(pack, 'gpack.yaml'), 'utf8')}repository: https://example.test/acme/kit\nvariables:\n  port:\n    type: number\n    default: 8080\n    description: where it listens\n`,
    );
    writeFileSync(join(pack, 'README.md'), '# @acme/kit\n\nRun ggen with port=8080.\n');
    const quiet = await runGgen(['marketplace', 'publish', pack, '--registry', registry], { home, env });
    expect([quiet.code, quiet.stderr]).toEqual([0, '']);
    const info = (await runGgen(['marketplace', 'info', '@acme/kit', '--registry', registry], { home, env })).stdout;
    expect(info).toContain('repository: https://example.test/acme/kit\n');
    expect(info).toMatch(/^size: +\d+ bytes packed, \d+ bytes unpacked$/m);
    expect(info).toContain('variables (1):\n  port  number  default 8080  where it listens\n');
    expect(info).toContain('templates (1):\n  templates/a.tmpl\n');
    expect(info).toContain('files (3):\n  README.md\n  gpack.yaml\n  templates/a.tmpl\n');
    expect(info).toContain('README:\n  # @acme/kit\n  \n  Run ggen with port=8080.\n');
  });
});
