import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { computeIntegrity } from '@ggen/marketplace-core';
import {
  formatKeyId,
  formatPublicKey,
  formatSecretKey,
  formatTrustedComment,
  generateKeyFiles,
  generateSecretKey,
  parsePublicKey,
  parseSecretKey,
  parseSignature,
  publicKeyLine,
  checkSignature,
  requireVerified,
  signMessage,
  signPackageArchive,
  verifyEd25519,
  verifyPackageSignature,
  signKeyStatement,
  verifyOwnerChain,
  type KeyAction,
} from '@ggen/marketplace-v2';

import { publicKeyOf, signEd25519, verifyEd25519Noble } from '../src/signing/ed25519.js';

const here = dirname(fileURLToPath(import.meta.url));
const vectors = JSON.parse(
  readFileSync(resolve(here, '..', '..', '..', 'fixtures', 'wycheproof', 'wycheproof-ed25519.json'), 'utf8'),
) as {
  numberOfTests: number;
  testGroups: {
    publicKey: { pk: string };
    tests: { tcId: number; msg: string; sig: string; result: 'valid' | 'invalid' }[];
  }[];
};
const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
const temp = (): string => mkdtempSync(join(tmpdir(), 'ggen-sign-'));
// Cheap scrypt for tests that need an encrypted key (N = 2^14); real keys use DEFAULT_KDF.
const TEST_KDF = { opslimit: 524_288, memlimit: 16_777_216 };

describe('Ed25519 verification is strict', () => {
  it('agrees with all 151 Wycheproof cases', () => {
    const cases = vectors.testGroups.flatMap((group) =>
      group.tests.map((test) => ({ ...test, pk: group.publicKey.pk })),
    );
    expect(cases).toHaveLength(151);
    expect(vectors.numberOfTests).toBe(151);
    const disagreements = cases
      .filter((test) => verifyEd25519(hex(test.sig), hex(test.msg), hex(test.pk)) !== (test.result === 'valid'))
      .map((test) => test.tcId);
    expect(disagreements).toEqual([]);
  });

  it('verifies as @noble/ed25519 does: every Wycheproof case, and signatures with one bit flipped anywhere', () => {
    const cases = vectors.testGroups.flatMap((group) =>
      group.tests.map((test) => ({ sig: hex(test.sig), msg: hex(test.msg), pk: hex(group.publicKey.pk) })),
    );
    const seed = new Uint8Array(32).map((_, index) => index * 7 + 1);
    const message = new TextEncoder().encode('gpack archive digest');
    const signature = signEd25519(message, seed);
    const publicKey = publicKeyOf(seed);
    const flipped = (bytes: Uint8Array, bit: number): Uint8Array =>
      bytes.map((byte, index) => (index === bit >> 3 ? byte ^ (1 << (bit & 7)) : byte));
    for (let bit = 0; bit < 512; bit += 1) cases.push({ sig: flipped(signature, bit), msg: message, pk: publicKey });
    for (let bit = 0; bit < 256; bit += 1) cases.push({ sig: signature, msg: message, pk: flipped(publicKey, bit) });
    cases.push({ sig: signature, msg: message, pk: publicKey });
    const verdicts = cases.map((test) => verifyEd25519(test.sig, test.msg, test.pk));
    expect(verdicts.slice(151, 151 + 768).filter(Boolean)).toEqual([]);
    expect(verdicts.at(-1)).toBe(true);
    expect(cases.filter((test, index) => verifyEd25519Noble(test.sig, test.msg, test.pk) !== verdicts[index])).toEqual(
      [],
    );
  });
});

describe('minisign key files', () => {
  it('round-trip an encrypted secret key, and refuse a wrong password with a clear code', () => {
    const key = generateSecretKey();
    const text = formatSecretKey(key, 'correct horse', TEST_KDF);
    expect(text.split('\n')[0]).toBe('untrusted comment: minisign encrypted secret key');
    expect(parseSecretKey(text, 'correct horse')).toEqual(key);
    expect(() => parseSecretKey(text, 'wrong')).toThrow(expect.objectContaining({ code: 'GGEN_E_KEY_PASSWORD' }));
    expect(() => parseSecretKey(text, undefined)).toThrow(expect.objectContaining({ code: 'GGEN_E_KEY_PASSWORD' }));
  });

  it('refuse truncated, edited and foreign files as invalid keys', () => {
    const key = generateSecretKey();
    const text = formatSecretKey(key, undefined);
    const [comment, body] = text.split('\n');
    expect(() => parseSecretKey(`${comment}\n${(body ?? '').slice(0, 100)}\n`, undefined)).toThrow(
      expect.objectContaining({ code: 'GGEN_E_KEY_INVALID' }),
    );
    const bytes = Buffer.from(body ?? '', 'base64');
    bytes[70] = (bytes[70] ?? 0) ^ 1;
    expect(() => parseSecretKey(`${comment}\n${bytes.toString('base64')}\n`, undefined)).toThrow(
      expect.objectContaining({ code: 'GGEN_E_KEY_INVALID' }),
    );
    expect(() => parsePublicKey('-----BEGIN PGP PUBLIC KEY BLOCK-----')).toThrow(
      expect.objectContaining({ code: 'GGEN_E_KEY_INVALID' }),
    );
  });

  it('keygen writes the secret key with mode 0600 and never overwrites a key without force', async () => {
    const dir = temp();
    const path = join(dir, 'signing.key');
    const generated = await generateKeyFiles({ path, password: 'pw', force: false, kdf: TEST_KDF });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(parsePublicKey(readFileSync(join(dir, 'signing.pub'), 'utf8')).publicKey).toEqual(generated.key.publicKey);
    await expect(generateKeyFiles({ path, password: 'pw', force: false, kdf: TEST_KDF })).rejects.toMatchObject({
      code: 'GGEN_E_KEY_EXISTS',
    });
    const replaced = await generateKeyFiles({ path, password: undefined, force: true });
    expect(replaced.key.publicKey).not.toEqual(generated.key.publicKey);
  });
});

describe('interop with the real minisign binary', () => {
  it('a key made by ggen signs with minisign, and ggen verifies what minisign signed', () => {
    const dir = temp();
    const key = generateSecretKey();
    writeFileSync(join(dir, 'ggen.key'), formatSecretKey(key, 'pw', TEST_KDF));
    writeFileSync(join(dir, 'ggen.pub'), formatPublicKey(key));
    writeFileSync(join(dir, 'file.txt'), 'bytes to sign\n');
    execFileSync(
      'minisign',
      ['-S', '-s', join(dir, 'ggen.key'), '-m', join(dir, 'file.txt'), '-t', 'signed by minisign'],
      { input: 'pw\n', stdio: ['pipe', 'ignore', 'ignore'] },
    );
    const parsed = parseSignature(readFileSync(join(dir, 'file.txt.minisig'), 'utf8'));
    expect(parsed.trustedComment).toBe('signed by minisign');
    expect(checkSignature(parsed, readFileSync(join(dir, 'file.txt')), key)).toBe('verified');
    expect(checkSignature(parsed, Buffer.from('other bytes'), key)).toBe('invalid');
  });

  it('a key made by minisign signs in ggen, and minisign verifies it', () => {
    const dir = temp();
    execFileSync('minisign', ['-G', '-W', '-p', join(dir, 'm.pub'), '-s', join(dir, 'm.key')], { stdio: 'ignore' });
    const key = parseSecretKey(readFileSync(join(dir, 'm.key'), 'utf8'), undefined);
    const publicKey = parsePublicKey(readFileSync(join(dir, 'm.pub'), 'utf8'));
    expect(formatKeyId(publicKey.keyId)).toBe(formatKeyId(key.keyId));
    writeFileSync(join(dir, 'file.txt'), 'signed in ggen\n');
    writeFileSync(
      join(dir, 'file.txt.minisig'),
      signMessage(key, readFileSync(join(dir, 'file.txt')), 'ggen trusted comment'),
    );
    const output = execFileSync('minisign', ['-V', '-p', join(dir, 'm.pub'), '-m', join(dir, 'file.txt')]).toString();
    expect(output).toContain('Signature and comment signature verified');
    expect(output).toContain('Trusted comment: ggen trusted comment');
  });
});

describe('package signatures: attacks are refused, each with its own code', () => {
  const key = generateSecretKey();
  const archive = Buffer.from('the archive bytes of hello 1.0.0');
  const binding = { name: 'hello', version: '1.0.0', integrity: computeIntegrity(archive) };
  const signature = signPackageArchive(key, archive, binding, 1_700_000_000);
  const verify = (overrides: Partial<Parameters<typeof verifyPackageSignature>[0]>): string =>
    verifyPackageSignature({ binding, archive, signature, trustedKeys: [key], ...overrides }).status;

  it('verifies the genuine package', () => {
    expect(verify({})).toBe('verified');
    expect(requireVerified(verifyPackageSignature({ binding, archive, signature, trustedKeys: [key] }))).toEqual({
      keyId: formatKeyId(key.keyId),
      publicKey: publicKeyLine(key),
    });
    expect(parseSignature(signature).trustedComment).toBe(formatTrustedComment(binding, 1_700_000_000));
  });

  it('refuses a tampered archive with the old signature', () => {
    const tampered = Buffer.from('the archive bytes of hello 1.0.1');
    expect(verify({ archive: tampered, binding: { ...binding, integrity: computeIntegrity(tampered) } })).toBe(
      'invalid',
    );
  });

  it('refuses a valid signature of another package or version', () => {
    expect(verify({ binding: { ...binding, name: 'goodbye' } })).toBe('mismatch');
    expect(verify({ binding: { ...binding, version: '2.0.0' } })).toBe('mismatch');
  });

  it('refuses an edited trusted comment', () => {
    const edited = signature.replace('name=hello', 'name=hellp');
    expect(verify({ signature: edited })).toBe('invalid');
  });

  it('refuses a signature by another key that carries the trusted key id: identity is the whole public key', () => {
    const impostor = { ...generateSecretKey(), keyId: key.keyId };
    const forged = signPackageArchive(impostor, archive, binding, 1_700_000_000);
    const result = verifyPackageSignature({ binding, archive, signature: forged, trustedKeys: [key] });
    expect(result.status).toBe('untrusted');
    expect(result.reason).toContain('a key id is a label anyone can copy');
    // Trusting both keys of one id, each signature is told apart by the key that verifies it.
    const both = verifyPackageSignature({ binding, archive, signature: forged, trustedKeys: [key, impostor] });
    expect(both).toMatchObject({ status: 'verified', publicKey: publicKeyLine(impostor) });
  });

  it('refuses small-order public keys where they are read', () => {
    for (const point of [
      Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]),
      Buffer.alloc(32),
      Buffer.concat([Buffer.alloc(31, 0xff), Buffer.from([0x7f])]),
    ]) {
      const line = Buffer.concat([Buffer.from('Ed'), Buffer.alloc(8, 1), point]).toString('base64');
      expect(() => parsePublicKey(line)).toThrow(expect.objectContaining({ code: 'GGEN_E_KEY_INVALID' }));
    }
    expect(parsePublicKey(publicKeyLine(key)).publicKey).toEqual(key.publicKey);
  });

  it('refuses a key that is not trusted', () => {
    expect(verify({ trustedKeys: [generateSecretKey()] })).toBe('untrusted');
    expect(verify({ trustedKeys: [] })).toBe('untrusted');
  });

  it('refuses malformed and truncated signature files, and reports a missing one', () => {
    expect(verify({ signature: signature.split('\n').slice(0, 2).join('\n') })).toBe('malformed');
    expect(verify({ signature: 'not a signature' })).toBe('malformed');
    expect(verify({ signature: signature.replace(/^(untrusted comment: .*\n)(.{20})/, '$1') })).toBe('malformed');
    expect(verify({ signature: undefined })).toBe('missing');
    expect(() =>
      requireVerified(verifyPackageSignature({ binding, archive, signature: undefined, trustedKeys: [key] })),
    ).toThrow(expect.objectContaining({ code: 'GGEN_E_SIGNATURE_MISSING' }));
  });
});

describe('owner key statements', () => {
  const alice = generateSecretKey();
  const bob = generateSecretKey();
  const mallory = generateSecretKey();
  const line = (key: typeof alice): string => formatPublicKey(key).split('\n')[1] ?? '';
  const statement = (
    signer: typeof alice,
    action: KeyAction,
    key: typeof alice,
    sequence: number,
    name = 'pkg',
  ): string =>
    signKeyStatement(signer, { package: name, action, key: line(key), sequence, timestamp: 1_700_000_000 + sequence });
  const ids = (keys: { keyId: Uint8Array }[]): string[] => keys.map((key) => formatKeyId(key.keyId));
  const code = (statements: string[]): string | undefined => {
    try {
      verifyOwnerChain('pkg', { statements });
      return undefined;
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };

  it('derive owners, revoked keys and every key that ever owned the package', () => {
    const chain = verifyOwnerChain('pkg', {
      statements: [
        statement(alice, 'owner', alice, 0),
        statement(alice, 'add', bob, 1),
        statement(bob, 'revoke', alice, 2),
      ],
    });
    expect(ids(chain.owners)).toEqual(ids([bob]));
    expect(ids(chain.revoked)).toEqual(ids([alice]));
    expect(ids(chain.everOwned)).toEqual(ids([alice, bob]));
  });

  it('refuse a statement signed by a key that does not own the package', () => {
    expect(code([statement(alice, 'owner', alice, 0), statement(mallory, 'add', mallory, 1)])).toBe(
      'GGEN_E_OWNER_CHAIN_INVALID',
    );
    // A revoked owner can no longer sign statements either.
    expect(
      code([
        statement(alice, 'owner', alice, 0),
        statement(alice, 'add', bob, 1),
        statement(bob, 'revoke', alice, 2),
        statement(alice, 'add', mallory, 3),
      ]),
    ).toBe('GGEN_E_OWNER_CHAIN_INVALID');
  });

  it('refuse a genesis signed by another key, gaps, other packages, edits and broken rules', () => {
    expect(code([statement(mallory, 'owner', alice, 0)])).toBe('GGEN_E_OWNER_CHAIN_INVALID');
    expect(code([statement(alice, 'owner', alice, 0), statement(alice, 'add', bob, 2)])).toBe(
      'GGEN_E_OWNER_CHAIN_INVALID',
    );
    expect(code([statement(alice, 'owner', alice, 0), statement(alice, 'add', bob, 1, 'other')])).toBe(
      'GGEN_E_OWNER_CHAIN_INVALID',
    );
    expect(code([statement(alice, 'owner', alice, 0).replace('action=owner', 'action=add')])).toBe(
      'GGEN_E_OWNER_CHAIN_INVALID',
    );
    expect(code([statement(alice, 'owner', alice, 0), statement(alice, 'revoke', alice, 1)])).toBe(
      'GGEN_E_OWNER_CHAIN_INVALID',
    );
    expect(
      code([
        statement(alice, 'owner', alice, 0),
        statement(alice, 'add', bob, 1),
        statement(bob, 'revoke', alice, 2),
        statement(bob, 'add', alice, 3),
      ]),
    ).toBe('GGEN_E_OWNER_CHAIN_INVALID');
    expect(code(['not a signature'])).toBe('GGEN_E_OWNER_CHAIN_INVALID');
  });

  it('make an owner chain decide which signatures install', () => {
    const archive = Buffer.from('hello 2.0.0');
    const binding = { name: 'pkg', version: '2.0.0', integrity: computeIntegrity(archive) };
    const chain = verifyOwnerChain('pkg', {
      statements: [
        statement(alice, 'owner', alice, 0),
        statement(alice, 'add', bob, 1),
        statement(bob, 'revoke', alice, 2),
      ],
    });
    const status = (signer: typeof alice, trustedKeys: (typeof alice)[]): string =>
      verifyPackageSignature({
        binding,
        archive,
        signature: signPackageArchive(signer, archive, binding),
        trustedKeys,
        chain,
      }).status;
    expect(status(bob, [alice])).toBe('verified');
    expect(status(bob, [bob])).toBe('verified');
    expect(status(bob, [mallory])).toBe('untrusted');
    expect(status(alice, [alice])).toBe('revoked');
    expect(status(mallory, [mallory])).toBe('untrusted');
  });
});
