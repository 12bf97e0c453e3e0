// A real HTTP server on 127.0.0.1 that serves a registry directory, for tests. Faults are
// injected per request: a delay, N failures with 503 first, or a connection dropped.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';

export async function startStaticServer(root, faults = {}) {
  const state = { delayMs: 0, failFirst: 0, dropFirst: 0, requests: [], ...faults };
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    state.requests.push(path);
    if (state.dropFirst > 0) {
      state.dropFirst -= 1;
      request.socket.destroy();
      return;
    }
    if (state.failFirst > 0) {
      state.failFirst -= 1;
      response.writeHead(503).end('try later');
      return;
    }
    setTimeout(() => {
      const file = normalize(join(root, path));
      if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
        response.writeHead(404).end('not found');
        return;
      }
      response.writeHead(200, {
        'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
      });
      createReadStream(file).pipe(response);
    }, state.delayMs);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    state,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
