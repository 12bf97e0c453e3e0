import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fromFsError, MarketplaceError, writeFileAtomic } from '@ggen/marketplace-core';
import { formatPublicKey, formatSecretKey, generateSecretKey, isPublicKeyLine, parsePublicKey, parseSecretKey, secretKeyIsEncrypted, type PublicKey, type SecretKey } from './minisign-format.js';

/** The public key file beside a secret key: `signing.key` -> `signing.pub`. */
export function publicKeyPathFor(secretKeyPath: string): string {
  return secretKeyPath.endsWith('.key') ? `${secretKeyPath.slice(0, -4)}.pub` : `${secretKeyPath}.pub`;
}

export interface GeneratedKey {
  secretKeyPath: string;
  publicKeyPath: string;
  key: SecretKey;
  encrypted: boolean;
}

/** Writes a new key pair: the secret key with mode 0600, never over an existing key unless forced. */
export async function generateKeyFiles(options: { path: string; password: string | undefined; force: boolean; kdf?: { opslimit: number; memlimit: number } }): Promise<GeneratedKey> {
  const publicKeyPath = publicKeyPathFor(options.path);
  for (const path of [options.path, publicKeyPath]) {
    if (existsSync(path) && !options.force) {
      throw new MarketplaceError('GGEN_E_KEY_EXISTS', `${path} already exists; not overwriting a key`, {
        hint: 'Choose another --output, or pass --force if you really mean to replace it (signatures made with the old key will no longer be yours to repeat).',
        details: { path },
      });
    }
  }
  const key = generateSecretKey();
  await writeFileAtomic(options.path, formatSecretKey(key, options.password, options.kdf), { mode: 0o600 });
  await writeFileAtomic(publicKeyPath, formatPublicKey(key), { mode: 0o644 });
  return { secretKeyPath: options.path, publicKeyPath, key, encrypted: options.password !== undefined };
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MarketplaceError('GGEN_E_KEY_INVALID', `No ${what} at ${path}`, { hint: 'Create a key pair with: ggen marketplace keygen --output <path>', details: { path } });
    }
    throw fromFsError(error, 'reading', path);
  }
}

/** Reads a secret key; `password` is asked only when the key is encrypted. */
export async function readSecretKeyFile(path: string, password: () => Promise<string | undefined>): Promise<{ key: SecretKey; encrypted: boolean }> {
  const text = await readText(path, 'secret key');
  const encrypted = secretKeyIsEncrypted(text);
  return { key: parseSecretKey(text, encrypted ? await password() : undefined), encrypted };
}

export async function readPublicKeyFile(path: string): Promise<PublicKey> {
  return parsePublicKey(await readText(path, 'public key'));
}

/** The trust file: one minisign public key per entry (file contents or base64 lines). */
export function defaultTrustFile(home = homedir()): string {
  return join(home, '.ggen', 'trusted-keys');
}

/**
 * Trusted keys: config `trusted_keys` (base64 public keys, or paths to .pub files) and the trust
 * file. A bad entry is an error naming it: a silently skipped key would weaken nothing but
 * confuse everything.
 */
export async function loadTrustedKeys(entries: readonly string[], trustFile: string | undefined): Promise<PublicKey[]> {
  const keys: PublicKey[] = [];
  const add = (text: string, where: string): void => {
    try {
      keys.push(parsePublicKey(text));
    } catch (error) {
      throw new MarketplaceError('GGEN_E_KEY_INVALID', `Trusted key ${where} is not a minisign public key`, {
        hint: 'Use the second line of a .pub file (base64, starting with RW), or the path of the .pub file.',
        cause: error,
        details: { entry: where },
      });
    }
  };
  for (const entry of entries) {
    if (isPublicKeyLine(entry)) add(entry, `'${entry}'`);
    else add(await readText(entry, 'public key'), entry);
  }
  if (trustFile !== undefined && existsSync(trustFile)) {
    const text = await readText(trustFile, 'trust file');
    for (const [index, line] of text.split('\n').entries()) {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('untrusted comment:')) continue;
      add(trimmed, `${trustFile}:${index + 1}`);
    }
  }
  return keys;
}
