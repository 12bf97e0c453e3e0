import { createHash, randomBytes } from 'node:crypto';

/**
 * fetch with HTTP Digest authentication (RFC 7616, MD5, qop=auth), as SPARQL servers such as
 * Virtuoso require for updates: the first request draws the 401 challenge.
 */
export async function digestFetch(url: string, init: RequestInit & { user: string; password: string }): Promise<Response> {
  const { user, password, ...request } = init;
  const first = await fetch(url, request);
  if (first.status !== 401) return first;
  const challenge = first.headers.get('www-authenticate') ?? '';
  await first.body?.cancel();
  if (!/^Digest /i.test(challenge)) return first;
  const field = (name: string): string | undefined => new RegExp(`${name}="?([^",]+)"?`, 'i').exec(challenge)?.[1];
  const realm = field('realm') ?? '';
  const nonce = field('nonce') ?? '';
  const opaque = field('opaque');
  const qop = field('qop')?.split(',')[0]?.trim();
  const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
  const { pathname, search } = new URL(url);
  const uri = pathname + search;
  const method = (request.method ?? 'GET').toUpperCase();
  const cnonce = randomBytes(8).toString('hex');
  const nc = '00000001';
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = qop === undefined ? md5(`${ha1}:${nonce}:${ha2}`) : md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
  const authorization = [
    `Digest username="${user}"`,
    `realm="${realm}"`,
    `nonce="${nonce}"`,
    `uri="${uri}"`,
    `response="${response}"`,
    ...(qop === undefined ? [] : [`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`]),
    ...(opaque === undefined ? [] : [`opaque="${opaque}"`]),
  ].join(', ');
  return fetch(url, { ...request, headers: { ...(request.headers as Record<string, string> | undefined), authorization } });
}
