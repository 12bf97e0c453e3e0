import { nodeCrypto } from '@ggen/marketplace-core';

/**
 * fetch with HTTP Digest authentication (RFC 7616, MD5, qop=auth), as SPARQL servers such as
 * Virtuoso require for updates. The challenge is drawn with a body-less HEAD: a server that
 * refuses an unauthenticated upload may close the connection before it reads the body
 * (Virtuoso does, under load), which fetch reports as a network error instead of the 401 that
 * carries the challenge. A server that does not challenge a HEAD gets the request as it is,
 * and a 401 to that draws the challenge the old way.
 */
export async function digestFetch(
  url: string,
  init: RequestInit & { user: string; password: string },
): Promise<Response> {
  const { user, password, ...request } = init;
  const headers = request.headers as Record<string, string> | undefined;
  const probe = await challengeOf(url, request.signal);
  let challenge = probe;
  if (challenge === undefined) {
    const first = await fetch(url, request);
    if (first.status !== 401) return first;
    challenge = first.headers.get('www-authenticate') ?? '';
    if (!/^Digest /i.test(challenge)) return first;
    await first.body?.cancel();
  }
  const method = (request.method ?? 'GET').toUpperCase();
  try {
    return await fetch(url, {
      ...request,
      headers: { ...headers, authorization: authorization(challenge, url, method, user, password) },
    });
  } catch (error) {
    // Refused credentials can also end in a reset halfway through the upload: ask once more
    // without the body, so that the caller sees the server's 401 instead of a network error.
    const again = probe === undefined ? undefined : await challengeOf(url, request.signal).catch(() => undefined);
    if (again === undefined) throw error;
    const check = await fetch(url, {
      method: 'HEAD',
      signal: request.signal ?? null,
      headers: { authorization: authorization(again, url, 'HEAD', user, password) },
    });
    if (check.status === 401) return check;
    throw error;
  }
}

/** The Digest challenge a body-less HEAD draws, or undefined when the server sends none. */
async function challengeOf(url: string, signal: RequestInit['signal']): Promise<string | undefined> {
  const response = await fetch(url, { method: 'HEAD', signal: signal ?? null });
  await response.body?.cancel();
  const challenge = response.headers.get('www-authenticate') ?? '';
  return response.status === 401 && /^Digest /i.test(challenge) ? challenge : undefined;
}

function authorization(challenge: string, url: string, method: string, user: string, password: string): string {
  const field = (name: string): string | undefined => new RegExp(`${name}="?([^",]+)"?`, 'i').exec(challenge)?.[1];
  const realm = field('realm') ?? '';
  const nonce = field('nonce') ?? '';
  const opaque = field('opaque');
  const qop = field('qop')?.split(',')[0]?.trim();
  const md5 = (text: string): string => nodeCrypto().createHash('md5').update(text).digest('hex');
  const { pathname, search } = new URL(url);
  const uri = pathname + search;
  const cnonce = nodeCrypto().randomBytes(8).toString('hex');
  const nc = '00000001';
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response =
    qop === undefined ? md5(`${ha1}:${nonce}:${ha2}`) : md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
  return [
    `Digest username="${user}"`,
    `realm="${realm}"`,
    `nonce="${nonce}"`,
    `uri="${uri}"`,
    `response="${response}"`,
    ...(qop === undefined ? [] : [`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`]),
    ...(opaque === undefined ? [] : [`opaque="${opaque}"`]),
  ].join(', ');
}
