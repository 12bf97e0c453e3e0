import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { packDirectory } from '@ggen/marketplace-core';
import {
  formatKeyStatement,
  publicKeyLine,
  signMessage,
  signPackageArchive,
  type SecretKey,
} from '@ggen/marketplace-v2';
import { createRegistryServer } from '@ggen/registry-server';

export const silent = pino({ level: 'silent' });
const started: { close: () => Promise<void> }[] = [];
/** Closes the servers a test file started (call it from that file's afterAll). */
export const closeServers = async (): Promise<void> => {
  await Promise.all(started.splice(0).map((server) => server.close()));
};

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));

/** A real registry server on 127.0.0.1 over `dir` (its catalog store in a new directory, unless given); `before` sees it before it listens. */
export async function serve(
  dir: string,
  options: {
    rateLimit?: number;
    storeRoot?: string;
    before?: (app: FastifyInstance) => void;
    compactAside?: (signal: AbortSignal) => Promise<void>;
    compactAt?: number;
  } = {},
): Promise<string> {
  const { before, storeRoot, ...rest } = options;
  const app = await createRegistryServer({
    dir,
    logger: silent,
    storeRoot: storeRoot ?? tempDir('ggen-server-store-'),
    ...rest,
  });
  before?.(app);
  started.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

export async function packOf(name: string, version: string, extra: Record<string, string> = {}): Promise<Buffer> {
  const dir = tempDir('ggen-pack-');
  writeFileSync(join(dir, 'gpack.yaml'), `name: '${name}'\nversion: ${version}\ndescription: A pack for ${name}\n`);
  for (const [file, content] of Object.entries(extra)) writeFileSync(join(dir, file), content);
  return (await packDirectory(dir)).bytes;
}

/** A signed publish's extras, as the CLI sends them: the signature, the whole public key, the owner claims of the package and its scope. */
export function signed(key: SecretKey, archive: Buffer, name: string, version: string, integrity: string) {
  const timestamp = Math.floor(Date.now() / 1000);
  const claim = (subject: string): string => {
    const text = formatKeyStatement({
      package: subject,
      action: 'owner',
      key: publicKeyLine(key),
      sequence: 0,
      timestamp,
    });
    return signMessage(key, Buffer.from(text, 'utf8'), text);
  };
  return {
    signature: signPackageArchive(key, archive, { name, version, integrity }),
    publicKey: publicKeyLine(key),
    statements: [name, ...(name.startsWith('@') ? [name.split('/')[0]!] : [])].map(claim),
  };
}

/** A server answer: a result, or a coded error. */
export type Answer = Record<string, unknown> & { error?: { code: string }; integrity?: string };

export async function post(
  url: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: Answer }> {
  const response = await fetch(`${url}/-/v1/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer };
}
