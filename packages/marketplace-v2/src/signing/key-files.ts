import { existsSync } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fromFsError, MarketplaceError, readRegularFileSync, writeFileAtomic } from '@ggen/marketplace-core';
import {
  formatPublicKey,
  formatSecretKey,
  generateSecretKey,
  isPublicKeyLine,
  parsePublicKey,
  parseSecretKey,
  secretKeyIsEncrypted,
  type PublicKey,
  type SecretKey,
} from './minisign-format.js';

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
export async function generateKeyFiles(options: {
  path: string;
  password: string | undefined;
  force: boolean;
  kdf?: { opslimit: number; memlimit: number };
}): Promise<GeneratedKey> {
  const publicKeyPath = publicKeyPathFor(options.path);
  for (const path of [options.path, publicKeyPath]) {
    if (existsSync(path) && !options.force) {
      throw new MarketplaceError('GGEN_E_KEY_EXISTS', `${path} already exists; not overwriting a key`, {
        hint: 'Choose another --output, or pass --force if you really mean to replace it (signatures made with the old key will no longer be yours to repeat).',
        details: { path },
      });
    }
  }
  await refuseUnsafeKeyPlace(options.path);
  const key = generateSecretKey();
  await writeFileAtomic(options.path, formatSecretKey(key, options.password, options.kdf), { mode: 0o600 });
  await writeFileAtomic(publicKeyPath, formatPublicKey(key), { mode: 0o644 });
  return { secretKeyPath: options.path, publicKeyPath, key, encrypted: options.password !== undefined };
}

/**
 * A secret key is written only where nobody else can swap it: not through a link, and not
 * into a directory that other users may write to (they could rename it away or replace it
 * between our write and its first use).
 */
async function refuseUnsafeKeyPlace(path: string): Promise<void> {
  const stats = await lstat(path).catch(() => undefined);
  if (stats?.isSymbolicLink() === true) {
    throw new MarketplaceError(
      'GGEN_E_UNSAFE_PERMISSIONS',
      `${path} is a symbolic link; a secret key is never written through one`,
      {
        hint: 'Remove the link, or choose another --output.',
        details: { path },
      },
    );
  }
  const dir = dirname(path);
  const dirStats = await lstat(dir).catch(() => undefined);
  if (dirStats !== undefined && (dirStats.mode & 0o022) !== 0) {
    throw new MarketplaceError(
      'GGEN_E_UNSAFE_PERMISSIONS',
      `${dir} can be written by other users (mode ${(dirStats.mode & 0o777).toString(8)}); a secret key does not go there`,
      {
        hint: 'Keep keys in a directory of your own, e.g. ~/.ggen/keys (chmod 700).',
        details: { path: dir },
      },
    );
  }
}

/** A file that others can change, or that another user owns, must not decide what is trusted. */
async function refuseWritableByOthers(path: string, what: string): Promise<void> {
  const stats = await stat(path).catch(() => undefined);
  if (stats === undefined) return;
  const uid = process.getuid?.();
  if ((stats.mode & 0o022) !== 0 || (uid !== undefined && stats.uid !== uid && stats.uid !== 0)) {
    throw new MarketplaceError(
      'GGEN_E_UNSAFE_PERMISSIONS',
      `${what} ${path} can be changed by other users (mode ${(stats.mode & 0o777).toString(8)}, owner uid ${stats.uid}); its keys are not used`,
      {
        hint: `Make it yours alone: chmod 600 ${path}`,
        details: { path },
      },
    );
  }
}

/** A secret key that others can read is used, with a warning (as ssh does for identity files, but not fatal). */
export async function secretKeyWarning(path: string): Promise<string | undefined> {
  const stats = await stat(path).catch(() => undefined);
  if (stats === undefined || (stats.mode & 0o077) === 0) return undefined;
  return `warning: secret key ${path} is readable by other users (mode ${(stats.mode & 0o777).toString(8)}); chmod 600 it`;
}

function readText(path: string, what: string): string {
  try {
    return readRegularFileSync(path, 1024 * 1024).toString('utf8');
  } catch (error) {
    if (error instanceof MarketplaceError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MarketplaceError('GGEN_E_KEY_INVALID', `No ${what} at ${path}`, {
        hint: 'Create a key pair with: ggen marketplace keygen --output <path>',
        details: { path },
      });
    }
    throw fromFsError(error, 'reading', path);
  }
}

/** Reads a secret key; `password` is asked only when the key is encrypted. */
export async function readSecretKeyFile(
  path: string,
  password: () => Promise<string | undefined>,
): Promise<{ key: SecretKey; encrypted: boolean }> {
  const text = readText(path, 'secret key');
  const encrypted = secretKeyIsEncrypted(text);
  return { key: parseSecretKey(text, encrypted ? await password() : undefined), encrypted };
}

export function readPublicKeyFile(path: string): PublicKey {
  return parsePublicKey(readText(path, 'public key'));
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
      const reason = error instanceof MarketplaceError ? `: ${error.message}` : '';
      throw new MarketplaceError('GGEN_E_KEY_INVALID', `Trusted key ${where} is not a minisign public key${reason}`, {
        hint: 'Use the second line of a .pub file (base64, starting with RW), or the path of the .pub file.',
        cause: error,
        details: { entry: where },
      });
    }
  };
  for (const entry of entries) {
    if (isPublicKeyLine(entry)) add(entry, `'${entry}'`);
    else add(readText(entry, 'public key'), entry);
  }
  if (trustFile !== undefined && existsSync(trustFile)) {
    await refuseWritableByOthers(trustFile, 'Trust file');
    const text = readText(trustFile, 'trust file');
    for (const [index, line] of text.split('\n').entries()) {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('untrusted comment:')) continue;
      add(trimmed, `${trustFile}:${index + 1}`);
    }
  }
  return keys;
}
