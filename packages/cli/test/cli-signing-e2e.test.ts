import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { bundle, compactedCatalog, copyOfSampleRegistry, freshHome, parseJson, runGgen } from './helpers/run-ggen.js';

function writePack(dir: string, name: string, version: string, extra = ''): string {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(
    join(dir, 'gpack.yaml'),
    `name: ${name}\nversion: ${version}\ndescription: A signed pack for tests\nauthor: Ada\nlicense: MIT\n${extra}`,
  );
  writeFileSync(join(dir, 'templates', 'hello.tmpl'), `hello from ${name} ${version}\n`);
  return dir;
}

describe('the publishing guide, keygen to verified install, from the CLI', () => {
  it('signs, publishes, and installs only what a trusted key signed', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    const env = { GGEN_KEY_PASSWORD: 'correct horse battery' };
    const keygen = parseJson<{ keyId: string; publicKey: string; secretKey: string }>(
      await runGgen(['marketplace', 'keygen', '--output', join(home, 'keys', 'signing.key'), '--json'], { home, env }),
    );
    expect(statSync(keygen.secretKey).mode & 0o777).toBe(0o600);
    expect((await runGgen(['marketplace', 'verify-key', keygen.secretKey], { home, env })).stdout).toContain(
      `key id:     ${keygen.keyId}`,
    );
    const wrong = await runGgen(['marketplace', 'verify-key', keygen.secretKey], {
      home,
      env: { GGEN_KEY_PASSWORD: 'wrong' },
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('error GGEN_E_KEY_PASSWORD: Wrong password');

    const pack = writePack(join(home, 'pack'), 'signed-hello', '1.0.0');
    const dry = await runGgen(
      ['marketplace', 'publish', pack, '--sign', '--key', keygen.secretKey, '--registry', registry, '--dry-run'],
      { home, env },
    );
    expect(dry.stdout).toContain('would publish signed-hello@1.0.0');
    expect(existsSync(join(registry, 'archives', 'signed-hello-1.0.0.tgz'))).toBe(false);
    const published = await runGgen(
      ['marketplace', 'publish', pack, '--sign', '--key', keygen.secretKey, '--registry', registry],
      { home, env },
    );
    expect(published.stdout).toContain(`signed by: ${keygen.keyId}`);
    // The signature rate counts publishes: the dry run is recorded without a signed flag, the publish with it.
    const publishes = readFileSync(join(home, '.ggen', 'metrics', 'operations.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { op: string; signed?: boolean })
      .filter((record) => record.op === 'publish');
    expect(publishes.map((record) => record.signed)).toEqual([undefined, true]);
    expect(readFileSync(join(registry, 'archives', 'signed-hello-1.0.0.tgz.minisig'), 'utf8')).toMatch(
      /^trusted comment: ggen-package name=signed-hello version=1\.0\.0 integrity=sha512-/m,
    );

    // Not trusted yet: refused, nothing written.
    const untrusted = await runGgen(
      ['marketplace', 'install', 'signed-hello', '--registry', registry, '--verify-signature'],
      { home },
    );
    expect(untrusted.code).toBe(6);
    expect(untrusted.stderr).toContain(
      `error GGEN_E_SIGNATURE_UNTRUSTED: signed-hello@1.0.0 is signed by key ${keygen.keyId}, which is not trusted`,
    );
    expect(readdirSync(join(home, '.ggen', 'packages')).filter((name) => !name.startsWith('.'))).toEqual([]);
    expect(existsSync(join(home, '.ggen', 'packages', '.ggen-txn'))).toBe(false);

    // Trusted through the trust file: installed, and the lockfile records the key.
    writeFileSync(join(home, '.ggen', 'trusted-keys'), `# Ada's signing key\n${keygen.publicKey}\n`);
    const installed = await runGgen(
      ['marketplace', 'install', 'signed-hello', '--registry', registry, '--verify-signature'],
      { home },
    );
    expect(installed.code).toBe(0);
    expect(installed.stdout).toMatch(new RegExp(`signed-hello\\s+1\\.0\\.0\\s+v2\\s+${keygen.keyId}`));
    expect(
      JSON.parse(readFileSync(join(home, '.ggen', 'ggen.lock'), 'utf8')).packages['signed-hello'].signature,
    ).toEqual({
      keyId: keygen.keyId,
      publicKey: keygen.publicKey,
      owners: [keygen.publicKey],
    });

    // The signature verification rate: the refused install counts 0, the verified package 1.
    const exported = (await runGgen(['marketplace', 'metrics', '--prometheus'], { home })).stdout;
    expect(exported).toMatch(/^marketplace_signature_verification_rate_count\{[^}]*\} 2$/m);
    expect(exported).toMatch(/^marketplace_signature_verification_rate_sum\{[^}]*\} 1$/m);
    expect(exported).toMatch(/^marketplace_adapter_selection_time_count\{[^}]*operation="install"[^}]*\} 2$/m);

    // A package installed earlier without verification is checked again, not taken as verified.
    const unverifiedHome = freshHome();
    expect(
      (await runGgen(['marketplace', 'install', 'signed-hello', '--registry', registry], { home: unverifiedHome }))
        .code,
    ).toBe(0);
    writeFileSync(join(registry, 'archives', 'signed-hello-1.0.0.tgz.minisig'), 'untrusted comment: cut\n');
    const recheck = await runGgen(
      ['marketplace', 'install', 'signed-hello', '--registry', registry, '--verify-signature'],
      {
        home: unverifiedHome,
        env: { GGEN_MARKETPLACE_TRUSTED_KEYS: keygen.publicKey },
      },
    );
    expect(recheck.code).toBe(6);
    expect(recheck.stderr).toMatch(/^error GGEN_E_SIGNATURE_MALFORMED: /m);

    // require_signatures in config refuses the unsigned sample packages, coded.
    mkdirSync(join(home, '.config', 'ggen'), { recursive: true });
    writeFileSync(join(home, '.config', 'ggen', 'config.yaml'), 'marketplace:\n  require_signatures: true\n');
    const unsigned = await runGgen(['marketplace', 'install', 'agent-editor', '--registry', registry], { home });
    expect(unsigned.stderr).toContain('error GGEN_E_SIGNATURE_MISSING: agent-editor@1.0.0 has no signature');
  });

  it('refuses a signature swapped in from another version, and a rollback to an older version', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    const env = { GGEN_KEY_PASSWORD: 'pw' };
    const key = join(home, 'k.key');
    const keygen = parseJson<{ publicKey: string }>(
      await runGgen(['marketplace', 'keygen', '--output', key, '--json'], { home, env }),
    );
    const catalog = join(registry, 'catalog.nq');
    let staleCatalog = '';
    for (const version of ['1.0.0', '1.1.0']) {
      expect(
        (
          await runGgen(
            [
              'marketplace',
              'publish',
              writePack(join(home, `p${version}`), 'pinned', version),
              '--sign',
              '--key',
              key,
              '--registry',
              registry,
            ],
            { home, env },
          )
        ).code,
      ).toBe(0);
      // Folded into catalog.nq each time: the stale copy below replaces the whole registry state.
      const compacted = await compactedCatalog(registry);
      if (version === '1.0.0') staleCatalog = compacted;
    }
    const trust = { GGEN_MARKETPLACE_TRUSTED_KEYS: keygen.publicKey };
    expect(
      (
        await runGgen(['marketplace', 'install', 'pinned', '--registry', registry, '--verify-signature'], {
          home,
          env: trust,
        })
      ).code,
    ).toBe(0);

    // The registry serves 1.1.0's archive with 1.0.0's signature: refused.
    const archives = join(registry, 'archives');
    const swapped = freshHome();
    writeFileSync(join(archives, 'pinned-1.1.0.tgz.minisig'), readFileSync(join(archives, 'pinned-1.0.0.tgz.minisig')));
    const refused = await runGgen(
      ['marketplace', 'install', 'pinned@1.1.0', '--registry', registry, '--verify-signature'],
      { home: swapped, env: trust },
    );
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/^error GGEN_E_SIGNATURE_INVALID: /m);

    // The registry serves a stale catalog that hides 1.1.0: the lockfile pins 1.1.0, so 1.0.0 is a rollback.
    writeFileSync(catalog, staleCatalog);
    const latest = parseJson<{ latest?: string; version: string }>(
      await runGgen(['marketplace', 'info', 'pinned', '--registry', registry, '--backend', 'v2', '--json'], { home }),
    );
    expect(latest.version).toBe('1.0.0');
    const rollback = await runGgen(
      ['marketplace', 'install', 'pinned', '--registry', registry, '--backend', 'v2', '--force'],
      { home },
    );
    expect(rollback.code).toBe(5);
    expect(rollback.stderr).toContain('error GGEN_E_DOWNGRADE: pinned would go from 1.1.0 (locked) back to 1.0.0');
    // Asked for by name, it installs: still verified (it was installed signed), against the user's trusted key.
    const asked = await runGgen(['marketplace', 'install', 'pinned@1.0.0', '--registry', registry, '--backend', 'v2'], {
      home,
      env: trust,
    });
    expect(asked.code).toBe(0);
    // The lockfile's record of the owners adds no trust of its own: without the trusted key, refused.
    const untrusted = await runGgen(
      ['marketplace', 'install', 'pinned@1.0.0', '--registry', registry, '--backend', 'v2', '--force'],
      { home },
    );
    expect(untrusted.stderr).toMatch(/^error GGEN_E_SIGNATURE_UNTRUSTED: /m);
    expect(untrusted.code).toBe(6);
  });

  it('follows owner keys: first signed publish owns, rotation and revocation by signed statements, forgeries refused', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    const keys: Record<string, { publicKey: string; keyId: string; secretKey: string }> = {};
    for (const name of ['alice', 'bob', 'mallory']) {
      keys[name] = parseJson(
        await runGgen(['marketplace', 'keygen', '--no-password', '--output', join(home, `${name}.key`), '--json'], {
          home,
        }),
      );
    }
    const alice = keys.alice!;
    const bob = keys.bob!;
    const mallory = keys.mallory!;
    const publish = (version: string, signer?: string) =>
      runGgen(
        [
          'marketplace',
          'publish',
          writePack(join(home, `p${version}`), 'rotated', version),
          '--registry',
          registry,
          ...(signer === undefined ? [] : ['--sign', '--key', signer]),
        ],
        { home },
      );

    expect((await publish('1.0.0', alice.secretKey)).code).toBe(0);
    const notOwner = await publish('1.1.0', mallory.secretKey);
    expect(notOwner.stderr).toContain(`error GGEN_E_NOT_OWNER: Key ${mallory.keyId} is not an owner of rotated`);
    expect((await publish('1.1.0')).stderr).toContain(
      'error GGEN_E_SIGNATURE_MISSING: rotated is owned by signing keys',
    );

    // Mallory cannot add herself; Alice adds Bob, then Bob revokes Alice (a rotation).
    const forged = await runGgen(
      [
        'marketplace',
        'keys',
        'add',
        '--package',
        'rotated',
        '--public-key',
        mallory.publicKey,
        '--key',
        mallory.secretKey,
        '--registry',
        registry,
      ],
      {
        home,
      },
    );
    expect(forged.stderr).toContain(`error GGEN_E_NOT_OWNER: Key ${mallory.keyId} is not an owner of rotated`);
    expect(
      (
        await runGgen(
          [
            'marketplace',
            'keys',
            'add',
            '--package',
            'rotated',
            '--public-key',
            join(home, 'bob.pub'),
            '--key',
            alice.secretKey,
            '--registry',
            registry,
          ],
          { home },
        )
      ).code,
    ).toBe(0);
    const revoked = await runGgen(
      [
        'marketplace',
        'keys',
        'revoke',
        '--package',
        'rotated',
        '--public-key',
        alice.publicKey,
        '--key',
        bob.secretKey,
        '--registry',
        registry,
      ],
      {
        home,
      },
    );
    expect(revoked.stdout).toContain(`owners: ${bob.keyId}\nrevoked: ${alice.keyId}`);
    expect((await publish('1.2.0', bob.secretKey)).code).toBe(0);

    // A user who trusted Alice follows her signed rotation to Bob; Alice's own old signature is revoked.
    const env = { GGEN_MARKETPLACE_TRUSTED_KEYS: alice.publicKey };
    const listed = parseJson<{ keys: { role: string; keyId: string }[] }>(
      await runGgen(['marketplace', 'keys', '--package', 'rotated', '--registry', registry, '--json'], { home, env }),
    );
    expect(listed.keys.map((key) => `${key.role}:${key.keyId}`)).toEqual([
      `trusted:${alice.keyId}`,
      `owner:${bob.keyId}`,
      `revoked:${alice.keyId}`,
    ]);
    const latest = await runGgen(['marketplace', 'install', 'rotated', '--registry', registry, '--verify-signature'], {
      home,
      env,
    });
    expect(latest.stdout).toMatch(new RegExp(`rotated\\s+1\\.2\\.0\\s+v2\\s+${bob.keyId}`));
    const old = await runGgen(
      [
        'marketplace',
        'install',
        'rotated@1.0.0',
        '--registry',
        registry,
        '--verify-signature',
        '--target',
        join(home, 'old'),
      ],
      { home, env },
    );
    expect(old.code).toBe(6);
    expect(old.stderr).toContain(
      `error GGEN_E_SIGNATURE_REVOKED: rotated@1.0.0 is signed by key ${alice.keyId}, which an owner of rotated revoked`,
    );

    // The registry's statement file gains a statement Mallory signed herself: the chain breaks, nothing installs.
    const statementsPath = join(registry, 'keys', 'rotated.json');
    const statements = JSON.parse(readFileSync(statementsPath, 'utf8')) as { statements: string[] };
    const sign = await runGgen(
      [
        'marketplace',
        'sign',
        '--package',
        join(home, 'p1.2.0'),
        '--key',
        mallory.secretKey,
        '--out-dir',
        join(home, 'forge'),
      ],
      { home },
    );
    expect(sign.code).toBe(0);
    const forgedSignature = readFileSync(join(home, 'forge', 'rotated-1.2.0.tgz.minisig'), 'utf8');
    writeFileSync(statementsPath, JSON.stringify({ statements: [...statements.statements, forgedSignature] }));
    const broken = await runGgen(
      ['marketplace', 'install', 'rotated', '--registry', registry, '--verify-signature', '--force'],
      { home, env },
    );
    expect(broken.code).toBe(6);
    expect(broken.stderr).toMatch(
      /^error GGEN_E_OWNER_CHAIN_INVALID: The owner keys of rotated are not trustworthy: statement 3 /m,
    );
  });
});

describe('installation across formats and the checks that do not need a key', () => {
  it('installs a signed v2 package whose dependency is an unsigned v1 package, with v1-compatible paths', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    const key = join(home, 'k.key');
    await runGgen(['marketplace', 'keygen', '--no-password', '--output', key], { home });
    const pack = writePack(join(home, 'pack'), 'needs-v1', '1.0.0', 'dependencies:\n  agent-editor: "^1.0.0"\n');
    expect(
      (await runGgen(['marketplace', 'publish', pack, '--sign', '--key', key, '--registry', registry], { home })).code,
    ).toBe(0);
    const installed = await runGgen(['marketplace', 'install', 'needs-v1', '--registry', registry, '--backend', 'v2'], {
      home,
    });
    expect(installed.stdout).toMatch(/\+\s+agent-editor\s+1\.0\.0\s+v2/);
    expect(installed.stdout).toMatch(/\+\s+needs-v1\s+1\.0\.0\s+v2/);

    // A project installed by v1 switches to v2 without reinstalling anything.
    const project = join(home, 'project');
    expect(
      (
        await runGgen(
          ['marketplace', 'install', 'agent-reasoning-mcp', '--target', join(project, 'gpacks'), '--backend', 'v1'],
          { home },
        )
      ).code,
    ).toBe(0);
    const switched = await runGgen(
      ['marketplace', 'install', 'agent-reasoning-mcp', '--target', join(project, 'gpacks'), '--backend', 'v2'],
      { home },
    );
    expect(switched.stdout).toContain('installed 0 package(s), 3 already up to date');
  });

  it('refuses a truncated signature file, and registry metadata that disagrees with the archive', async () => {
    const home = freshHome();
    const registry = copyOfSampleRegistry();
    const key = join(home, 'k.key');
    const keygen = parseJson<{ publicKey: string }>(
      await runGgen(['marketplace', 'keygen', '--no-password', '--output', key, '--json'], { home }),
    );
    await runGgen(
      [
        'marketplace',
        'publish',
        writePack(join(home, 'pack'), 'cut-short', '1.0.0'),
        '--sign',
        '--key',
        key,
        '--registry',
        registry,
      ],
      { home },
    );
    const minisig = join(registry, 'archives', 'cut-short-1.0.0.tgz.minisig');
    writeFileSync(minisig, readFileSync(minisig, 'utf8').split('\n').slice(0, 2).join('\n'));
    const truncated = await runGgen(
      ['marketplace', 'install', 'cut-short', '--registry', registry, '--verify-signature'],
      {
        home,
        env: { GGEN_MARKETPLACE_TRUSTED_KEYS: keygen.publicKey },
      },
    );
    expect(truncated.code).toBe(6);
    expect(truncated.stderr).toMatch(
      /^error GGEN_E_SIGNATURE_MALFORMED: the signature of cut-short@1\.0\.0 is malformed/m,
    );

    // The index lists agent-editor's archive (same bytes, same integrity) under another name.
    const indexPath = join(registry, 'index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { packages: Record<string, unknown>[] };
    const original = index.packages.find((entry) => entry.name === 'agent-editor');
    index.packages.push({ ...original, name: 'agent-editor-pro' });
    writeFileSync(indexPath, JSON.stringify(index));
    const mismatch = await runGgen(
      ['marketplace', 'install', 'agent-editor-pro', '--registry', registry, '--backend', 'v1'],
      { home },
    );
    expect(mismatch.code).toBe(6);
    expect(mismatch.stderr).toContain(
      "error GGEN_E_METADATA_MISMATCH: The registry lists agent-editor-pro@1.0.0, but the archive's gpack.yaml says name agent-editor",
    );
    expect(existsSync(join(home, '.ggen', 'packages', 'agent-editor-pro'))).toBe(false);
  });
});

describe('asking for a password on a terminal', () => {
  it('keygen asks twice without echo, and the key opens with what was typed', async () => {
    const home = freshHome();
    const key = join(home, 'tty.key');
    // `script` gives the CLI a real pseudo-terminal; answers are typed only once a prompt shows.
    const child = spawn(
      'script',
      ['-qec', `${process.execPath} ${bundle('parallel')} marketplace keygen --output ${key}`, '/dev/null'],
      {
        env: { PATH: process.env.PATH ?? '', HOME: home, TERM: 'dumb' },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let screen = '';
    const answered = new Set<string>();
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString('utf8');
      for (const prompt of ['Password for the new key: ', 'Repeat the password: ']) {
        if (screen.includes(prompt) && !answered.has(prompt)) {
          answered.add(prompt);
          child.stdin.write('typed on a tty\n');
        }
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect([...answered]).toHaveLength(2);
    expect(screen.split('Repeat the password: ')[1]).not.toContain('typed on a tty');
    const opened = await runGgen(['marketplace', 'verify-key', key], {
      home,
      env: { GGEN_KEY_PASSWORD: 'typed on a tty' },
    });
    expect(opened.stdout).toContain('valid encrypted minisign secret key');
  });
});
