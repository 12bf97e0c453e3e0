import { describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildId,
  buildKey,
  checkDaemonDir,
  DAEMON_PROTOCOL,
  daemonDir,
  daemonEligible,
  daemonRequest,
  daemonSetting,
  DaemonUnavailable,
  socketPath,
  type DaemonReply,
} from '../src/daemon/daemon-common.js';
import { connectSocket, type ConnectSocket } from '../src/daemon/daemon-socket.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'ggen-daemon-unit-'));

describe('when the launcher hands a command to the query service', () => {
  it('follows GGEN_DAEMON: a running service is used, one is started only when asked for, none under CI', () => {
    // By default a service started on purpose is used, and none is started by a lookup.
    expect(daemonSetting({})).toEqual({ use: true, start: false });
    expect(daemonSetting({ CI: 'true' })).toEqual({ use: false, start: false });
    expect(daemonSetting({ CI: 'false' })).toEqual({ use: true, start: false });
    expect(daemonSetting({ CI: '1', GGEN_DAEMON: 'on' })).toEqual({ use: true, start: true });
    for (const off of ['0', 'false', 'OFF', 'no'])
      expect(daemonSetting({ GGEN_DAEMON: off })).toEqual({ use: false, start: false });
    expect(daemonSetting({ GGEN_DAEMON: 'sometimes' })).toEqual({
      error: expect.stringContaining("GGEN_DAEMON is 'sometimes'"),
    });
  });

  it('takes marketplace search and info only, and never help, version or verbose runs', () => {
    expect(daemonEligible(['marketplace', 'search', 'react', '--json'])).toBe(true);
    expect(daemonEligible(['marketplace', 'info', 'react'])).toBe(true);
    expect(daemonEligible(['marketplace', 'install', 'react'])).toBe(false);
    expect(daemonEligible(['marketplace', 'sparql', 'SELECT * WHERE { ?s ?p ?o }'])).toBe(false);
    expect(daemonEligible(['--json', 'marketplace', 'search', 'react'])).toBe(false);
    expect(daemonEligible(['marketplace', 'search', '--help'])).toBe(false);
    expect(daemonEligible(['marketplace', 'search', 'x', '-h'])).toBe(false);
    expect(daemonEligible(['marketplace', 'search', 'x', '--verbose=true'])).toBe(false);
    // A search for the text "--helpful" is still a search.
    expect(daemonEligible(['marketplace', 'search', '--', '--helpful'])).toBe(true);
  });
});

describe('where the query service lives', () => {
  it('is GGEN_DAEMON_DIR, else under XDG_RUNTIME_DIR, else a per-user directory in tmp', () => {
    expect(daemonDir({ GGEN_DAEMON_DIR: '/srv/g', XDG_RUNTIME_DIR: '/run/user/1' })).toBe('/srv/g');
    expect(daemonDir({ XDG_RUNTIME_DIR: '/run/user/1' })).toBe('/run/user/1/ggen');
    expect(daemonDir({})).toBe(join(tmpdir(), `ggen-${process.getuid?.() ?? 'user'}`));
  });

  it('names one socket per build: a rebuilt bundle gets another service', () => {
    const dir = tempDir();
    const bundle = join(dir, 'ggen.mjs');
    writeFileSync(bundle, 'export {};');
    utimesSync(bundle, 1_700_000_000, 1_700_000_000);
    const before = socketPath(dir, buildKey(bundle));
    expect(socketPath(dir, buildKey(bundle))).toBe(before);
    utimesSync(bundle, 1_700_000_100, 1_700_000_100);
    expect(socketPath(dir, buildKey(bundle))).not.toBe(before);
    expect(before).toMatch(/ggen-[0-9a-f]{16}\.sock$/);
  });

  it('names one build per bundle file as it is on disk: rewritten, retimed or replaced, it is another build', () => {
    const dir = tempDir();
    const bundle = join(dir, 'ggen.cjs');
    writeFileSync(bundle, 'module.exports = 1;');
    utimesSync(bundle, 1_700_000_000, 1_700_000_000);
    const first = buildId(bundle);
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(buildId(bundle)).toBe(first);
    // Same bytes and times put back, but another file (a build that renames its output into place).
    const replacement = join(dir, 'next.cjs');
    writeFileSync(replacement, 'module.exports = 1;');
    utimesSync(replacement, 1_700_000_000, 1_700_000_000);
    renameSync(replacement, bundle);
    const replaced = buildId(bundle);
    expect(replaced).not.toBe(first);
    // Written in place with bytes of the same length: its modification time moved.
    writeFileSync(bundle, 'module.exports = 2;');
    utimesSync(bundle, 1_700_000_050, 1_700_000_050);
    expect(buildId(bundle)).not.toBe(replaced);
  });

  it('creates its directory private, and refuses one that other users can enter or a path too long for a socket', () => {
    const parent = tempDir();
    const dir = join(parent, 'svc');
    expect(checkDaemonDir(dir, join(dir, 'a.sock'))).toBeUndefined();
    chmodSync(dir, 0o777);
    expect(checkDaemonDir(dir, join(dir, 'a.sock'))).toMatch(/open to other users \(mode 777\)/);
    const file = join(parent, 'file');
    writeFileSync(file, '');
    expect(checkDaemonDir(file, join(file, 'a.sock'))).toMatch(/cannot be used|not a directory/);
    expect(checkDaemonDir(dir, join(dir, `${'x'.repeat(120)}.sock`))).toMatch(/longer than 104 bytes/);
    rmSync(parent, { recursive: true, force: true });
  });
});

describe('a request to the query service', () => {
  const connect = connectSocket;
  const request = (socket: string, body: Parameters<typeof daemonRequest>[1]): Promise<DaemonReply[]> =>
    daemonRequest(socket, body, { startMs: 5000, answerMs: 5000 }, connect);

  const withServer = async (
    answer: (line: string, reply: (text: string) => void, close: () => void) => void,
    body: (socket: string) => Promise<void>,
  ): Promise<void> => {
    const dir = tempDir();
    const socket = join(dir, 's.sock');
    const server = createServer((connection) => {
      connection.setEncoding('utf8');
      connection.once('data', (line: string) => {
        answer(
          line,
          (text) => connection.write(text),
          () => connection.end(),
        );
      });
    });
    await new Promise<void>((resolvePromise) => server.listen(socket, resolvePromise));
    try {
      await body(socket);
    } finally {
      await new Promise<void>((resolvePromise) =>
        server.close(() => {
          resolvePromise();
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('collects the replies up to the exit code, and sends the request as one JSON line', async () => {
    let received = '';
    await withServer(
      (line, reply) => {
        received = line;
        reply('{"out":"a"}\n{"err":"b"}\n');
        reply('{"exit":3}\n');
      },
      async (socket) => {
        const replies = await request(socket, {
          protocol: DAEMON_PROTOCOL,
          kind: 'run',
          argv: ['marketplace', 'search', 'x'],
          cwd: '/',
          env: {},
          settings: {},
        });
        expect(replies).toEqual([{ out: 'a' }, { err: 'b' }, { exit: 3 }]);
      },
    );
    expect(JSON.parse(received)).toEqual({
      protocol: DAEMON_PROTOCOL,
      kind: 'run',
      argv: ['marketplace', 'search', 'x'],
      cwd: '/',
      env: {},
      settings: {},
    });
    expect(received.endsWith('\n')).toBe(true);
  });

  it('takes a large answer whole, in whatever pieces it arrives, and non-ASCII text intact', async () => {
    // 3 MB of output lines with two- to four-byte characters: the socket hands it over in many reads.
    const lines = Array.from({ length: 3000 }, (_, index) => `${index} ${'é漢🙂x'.repeat(100)}`);
    await withServer(
      (_line, reply, close) => {
        for (const out of lines) reply(`${JSON.stringify({ out })}\n`);
        reply('{"exit":0}\n');
        close();
      },
      async (socket) => {
        const replies = await request(socket, {
          protocol: DAEMON_PROTOCOL,
          kind: 'run',
          argv: ['marketplace', 'search', 'x'],
          cwd: '/',
          env: {},
          settings: {},
        });
        expect(replies).toEqual([...lines.map((out) => ({ out })), { exit: 0 }]);
      },
    );
  });

  it('is unavailable when the service goes away halfway, answers garbage, or is not there', async () => {
    await withServer(
      (_line, reply, close) => {
        reply('{"out":"half of the answer"}\n');
        close();
      },
      async (socket) => {
        await expect(request(socket, { protocol: DAEMON_PROTOCOL, kind: 'status' })).rejects.toThrow(
          new DaemonUnavailable(`the service at ${socket} closed the connection before it answered`),
        );
      },
    );
    await withServer(
      (_line, reply) => {
        reply('this is not json\n');
      },
      async (socket) => {
        await expect(request(socket, { protocol: DAEMON_PROTOCOL, kind: 'status' })).rejects.toThrow(/not JSON/);
      },
    );
    const missing = join(tempDir(), 'none.sock');
    await expect(request(missing, { protocol: DAEMON_PROTOCOL, kind: 'status' })).rejects.toThrow(
      new DaemonUnavailable(`connect ENOENT ${missing}`),
    );
    // A file that is no socket (a stale path) refuses the connection.
    const notSocket = join(tempDir(), 'file.sock');
    writeFileSync(notSocket, '');
    await expect(request(notSocket, { protocol: DAEMON_PROTOCOL, kind: 'status' })).rejects.toThrow(
      new DaemonUnavailable(`connect ECONNREFUSED ${notSocket}`),
    );
  });

  it('gives up on a service that accepts and never answers, and says it is busy rather than gone', async () => {
    await withServer(
      () => undefined,
      async (socket) => {
        const started = daemonRequest(
          socket,
          { protocol: DAEMON_PROTOCOL, kind: 'status' },
          { startMs: 500, answerMs: 500 },
          connect,
        );
        await expect(started).rejects.toMatchObject({ busy: true, message: `no answer from ${socket} within 500 ms` });
      },
    );
  });
});

describe('the reply lines of a request', () => {
  it('are read across any split of the bytes, a line in many pieces or many lines in one', async () => {
    const text = '{"out":"né 漢字 🙂"}\n{"err":"ü"}\n{"exit":1}\n';
    const bytes = Buffer.from(text, 'utf8');
    // Every way of cutting the bytes in two, and one byte at a time.
    const splits = [
      ...Array.from({ length: bytes.length - 1 }, (_, cut) => [bytes.subarray(0, cut + 1), bytes.subarray(cut + 1)]),
      [...bytes].map((byte) => Uint8Array.of(byte)),
    ];
    for (const pieces of splits) {
      const fed: ConnectSocket = (_path, events) => {
        setImmediate(() => {
          events.connect();
          for (const piece of pieces) events.data(piece);
        });
        return { write: () => undefined, destroy: () => undefined };
      };
      const replies = await daemonRequest('/in-memory', { protocol: DAEMON_PROTOCOL, kind: 'status' }, undefined, fed);
      expect({ pieces: pieces.length, replies }).toEqual({
        pieces: pieces.length,
        replies: [{ out: 'né 漢字 🙂' }, { err: 'ü' }, { exit: 1 }],
      });
    }
  });
});
