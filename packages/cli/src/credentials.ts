import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  fromFsError,
  isHttpLocation,
  MarketplaceError,
  readRegularFileSync,
  writeFileAtomicSync,
} from '@ggen/marketplace-core';
import * as z from 'zod';

const CREDENTIALS = z.object({ registries: z.record(z.string(), z.object({ token: z.string().min(1) })) });
type Credentials = z.infer<typeof CREDENTIALS>;

/**
 * Where login keeps tokens: `~/.ggen/credentials.json`, mode 600, one entry per registry URL.
 * Always under HOME: a project's config cannot move it (a cloned repository must not be able to
 * point logins at a file it controls). The token is never printed and never put in a URL.
 */
export function credentialsPath(env: Record<string, string | undefined>, home: string): string {
  return join(env.HOME !== undefined && env.HOME !== '' ? env.HOME : home, '.ggen', 'credentials.json');
}

/** A registry URL as a credentials key: without credentials in it, a trailing slash or a query. */
export function registryKey(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host.toLowerCase()}${parsed.pathname.replace(/\/+$/, '')}`;
}

export function readCredentials(path: string): Credentials {
  if (!existsSync(path)) return { registries: {} };
  if ((statSync(path).mode & 0o077) !== 0)
    throw new MarketplaceError('GGEN_E_UNSAFE_PERMISSIONS', `${path} can be read by other users`, {
      hint: `Its tokens may have leaked: revoke them, then chmod 600 ${path} and log in again.`,
      details: { path },
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(readRegularFileSync(path, 1024 * 1024).toString('utf8'));
  } catch (error) {
    if (error instanceof MarketplaceError) throw error;
    throw new MarketplaceError('GGEN_E_CONFIG_INVALID', `${path} is not valid JSON`, {
      hint: 'Remove it and log in again: ggen marketplace login <registry URL>.',
      cause: error,
    });
  }
  const result = CREDENTIALS.safeParse(parsed);
  if (!result.success)
    throw new MarketplaceError('GGEN_E_CONFIG_INVALID', `${path} is not a credentials file`, {
      hint: 'Remove it and log in again: ggen marketplace login <registry URL>.',
    });
  return result.data;
}

export function writeCredentials(path: string, credentials: Credentials): void {
  try {
    writeFileAtomicSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  } catch (error) {
    throw fromFsError(error, 'writing', path);
  }
}

/** The token for `registry`: GGEN_TOKEN, else what login stored for it; undefined for a directory. */
export function tokenFor(registry: string, env: Record<string, string | undefined>, path: string): string | undefined {
  if (!isHttpLocation(registry)) return undefined;
  const fromEnv = env.GGEN_TOKEN;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return readCredentials(path).registries[registryKey(registry)]?.token;
}
