import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  fromFsError,
  MarketplaceError,
  readRegularFileSync,
  scopeOf,
  withFileLock,
  writeFileAtomic,
} from '@ggen/marketplace-core';
import * as z from 'zod';

/** What a token may do: read (whoami only, reads are open), publish (and lifecycle changes), admin (everything). */
export const TOKEN_SCOPES = ['read', 'publish', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

const TOKEN_RECORD = z.object({
  id: z.string().regex(/^tok_[0-9a-f]{12}$/),
  label: z.string().max(200),
  /** sha256 of the token, hex: the token itself is never stored. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  scope: z.enum(TOKEN_SCOPES),
  /** Names and `@scope`s the token may change; absent: every package. */
  packages: z.array(z.string()).optional(),
  created: z.string(),
  expires: z.string().optional(),
  revoked: z.string().optional(),
});
export type TokenRecord = z.infer<typeof TOKEN_RECORD>;
const TOKEN_FILE = z.object({ tokens: z.array(TOKEN_RECORD) });

/** The server's own files beside the registry's: never served. */
export const SERVER_DIR = '.ggen-server';
const TOKENS_FILE = 'tokens.json';

const hashOf = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** A token as people see it in a list: never the token, never its hash. */
export type TokenView = Omit<TokenRecord, 'hash'> & { state: 'active' | 'expired' | 'revoked' };

/** Who a request is, once its token checked out. */
export interface Identity {
  id: string;
  label: string;
  scope: TokenScope;
  packages?: string[];
}

/**
 * The server's tokens, in `<registry>/.ggen-server/tokens.json` (mode 600): random, shown once,
 * stored only as sha256 hashes, scoped, expirable and revocable. Every instance over the same
 * directory reads the file again when it changes, so a revocation holds at once everywhere.
 */
export class TokenStore {
  readonly #path: string;
  #loaded: { stamp: string; tokens: TokenRecord[] } | undefined;

  constructor(registryDir: string) {
    this.#path = join(registryDir, SERVER_DIR, TOKENS_FILE);
  }

  get path(): string {
    return this.#path;
  }

  #read(): TokenRecord[] {
    if (!existsSync(this.#path)) return [];
    const stats = statSync(this.#path);
    const stamp = `${stats.mtimeMs}:${stats.size}`;
    if (this.#loaded?.stamp === stamp) return this.#loaded.tokens;
    if ((stats.mode & 0o077) !== 0) {
      throw new MarketplaceError(
        'GGEN_E_UNSAFE_PERMISSIONS',
        `${this.#path} can be read by other users (mode ${(stats.mode & 0o777).toString(8)})`,
        { hint: `chmod 600 ${this.#path}`, details: { path: this.#path } },
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(readRegularFileSync(this.#path, 16 * 1024 * 1024).toString('utf8'));
    } catch (error) {
      if (error instanceof MarketplaceError) throw error;
      throw new MarketplaceError('GGEN_E_CONFIG_INVALID', `${this.#path} is not valid JSON`, {
        hint: 'Restore it from a backup; until then no token is accepted.',
        cause: error,
      });
    }
    const result = TOKEN_FILE.safeParse(parsed);
    if (!result.success)
      throw new MarketplaceError('GGEN_E_CONFIG_INVALID', `${this.#path} is not a token file`, {
        hint: 'Restore it from a backup; until then no token is accepted.',
        details: { problem: result.error.issues[0]?.message ?? '' },
      });
    this.#loaded = { stamp, tokens: result.data.tokens };
    return result.data.tokens;
  }

  async #change<T>(work: (tokens: TokenRecord[]) => T): Promise<T> {
    mkdirSync(join(this.#path, '..'), { recursive: true, mode: 0o700 });
    return withFileLock(`${this.#path}.lock`, async () => {
      const tokens = [...this.#read()];
      const result = work(tokens);
      try {
        await writeFileAtomic(this.#path, `${JSON.stringify({ tokens }, null, 2)}\n`, { mode: 0o600 });
      } catch (error) {
        throw fromFsError(error, 'writing', this.#path);
      }
      return result;
    });
  }

  /** A new token: the token itself is returned once and never again. */
  async create(options: {
    scope: TokenScope;
    label?: string;
    packages?: string[];
    expiresInDays?: number;
    now?: Date;
  }): Promise<{ token: string; record: TokenView }> {
    const now = options.now ?? new Date();
    const token = `ggen_${randomBytes(32).toString('base64url')}`;
    const record: TokenRecord = {
      id: `tok_${randomBytes(6).toString('hex')}`,
      label: options.label ?? '',
      hash: hashOf(token),
      scope: options.scope,
      ...(options.packages === undefined || options.packages.length === 0 ? {} : { packages: options.packages }),
      created: now.toISOString(),
      ...(options.expiresInDays === undefined
        ? {}
        : { expires: new Date(now.getTime() + options.expiresInDays * 86_400_000).toISOString() }),
    };
    await this.#change((tokens) => tokens.push(record));
    return { token, record: view(record, now) };
  }

  list(now = new Date()): TokenView[] {
    return this.#read().map((record) => view(record, now));
  }

  async revoke(id: string, now = new Date()): Promise<TokenView> {
    return this.#change((tokens) => {
      const index = tokens.findIndex((record) => record.id === id);
      const record = tokens[index];
      if (record === undefined)
        throw new MarketplaceError('GGEN_E_USAGE', `No token ${id}`, {
          hint: 'See the tokens with ggen marketplace registry token list <dir>.',
        });
      const revoked = { ...record, revoked: record.revoked ?? now.toISOString() };
      tokens[index] = revoked;
      return view(revoked, now);
    });
  }

  /** The identity behind a bearer token, or undefined when it is unknown, expired or revoked. */
  identify(token: string, now = new Date()): Identity | undefined {
    const hash = Buffer.from(hashOf(token), 'hex');
    const record = this.#read().find((entry) => timingSafeEqual(Buffer.from(entry.hash, 'hex'), hash));
    if (record === undefined || view(record, now).state !== 'active') return undefined;
    return {
      id: record.id,
      label: record.label,
      scope: record.scope,
      ...(record.packages === undefined ? {} : { packages: record.packages }),
    };
  }
}

function view(record: TokenRecord, now: Date): TokenView {
  const rest: Omit<TokenRecord, 'hash'> & { hash?: string } = { ...record };
  delete rest.hash;
  const state =
    record.revoked !== undefined
      ? 'revoked'
      : record.expires !== undefined && Date.parse(record.expires) <= now.getTime()
        ? 'expired'
        : 'active';
  return { ...rest, state };
}

/** Whether an identity may change `name`: a publish or admin token, and the package (or its scope) among its packages. */
export function mayChange(identity: Identity, name: string): boolean {
  if (identity.scope === 'read') return false;
  if (identity.packages === undefined) return true;
  const scope = scopeOf(name);
  return identity.packages.some((entry) => entry === name || (scope !== undefined && entry === scope));
}
