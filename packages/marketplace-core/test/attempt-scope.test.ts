import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { fetchResource, MarketplaceError, withAttemptSignal } from '@ggen/marketplace-core';

// A registry request belongs to the backend attempt it was made in: when the adapter cancels
// that attempt (v2 ran out of time), the request ends and is never retried.

let server: Server | undefined;
afterEach(async () => {
  const running = server;
  server = undefined;
  if (running === undefined) return;
  running.closeAllConnections();
  await new Promise<void>((resolve) => {
    running.close(() => {
      resolve();
    });
  });
});

/** A server that counts requests and answers none of them. */
async function silentServer(): Promise<{ url: string; requests: () => number; seen: Promise<void> }> {
  let count = 0;
  let first: () => void = () => undefined;
  const seen = new Promise<void>((resolve) => (first = resolve));
  server = createServer(() => {
    count += 1;
    first();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.json`, requests: () => count, seen };
}

describe('a request inside a cancelled attempt', () => {
  it("ends with the attempt's reason and is not retried", async () => {
    const registry = await silentServer();
    const controller = new AbortController();
    const reason = new MarketplaceError('GGEN_E_BACKEND_TIMEOUT', 'v2 did not answer in time');
    const fetching = withAttemptSignal(controller.signal, () =>
      fetchResource(registry.url, { timeoutMs: 60_000, retries: 5, retryDelayMs: 1 }, 'index'),
    );
    await registry.seen;
    controller.abort(reason);
    await expect(fetching).rejects.toBe(reason);
    expect(registry.requests()).toBe(1);
  });

  it('outside any attempt, keeps its own time limit and retries', async () => {
    const registry = await silentServer();
    await expect(
      fetchResource(registry.url, { timeoutMs: 50, retries: 2, retryDelayMs: 1 }, 'index'),
    ).rejects.toMatchObject({ code: 'GGEN_E_REGISTRY_TIMEOUT' });
    expect(registry.requests()).toBe(3);
  });
});
