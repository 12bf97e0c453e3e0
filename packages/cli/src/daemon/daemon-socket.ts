// The launcher's connection to the query service's Unix socket, as bytes in and out. A lookup
// through the service pays node's start and this connection, nothing else, so it is made
// without node:net where node allows: loading net, its stream classes and a cold Socket cost a
// launcher ~6 ms, a third of what a served lookup took over node's own start. Node's own
// modules only (see daemon-common.ts).

/** What a connection reports; after `error` or `end`, nothing more. */
export interface SocketEvents {
  connect: () => void;
  data: (chunk: Uint8Array) => void;
  error: (message: string) => void;
  /** The peer closed the connection. */
  end: () => void;
}

export interface SocketConnection {
  write: (text: string) => void;
  /** Closes the connection; no event follows. */
  destroy: () => void;
}

export type ConnectSocket = (path: string, events: SocketEvents) => SocketConnection;

/** Connects to the socket at `path`: on libuv's pipe handle directly where node offers it, else through node:net. */
export const connectSocket: ConnectSocket = (path, events) => connectPipe(path, events) ?? connectNet(path, events);

/** Through node:net, as any node program would. */
export const connectNet: ConnectSocket = (path, events) => {
  let done = false;
  const client = process.getBuiltinModule('node:net').connect(path);
  client.on('connect', () => {
    if (!done) events.connect();
  });
  client.on('data', (chunk: Buffer) => {
    if (!done) events.data(chunk);
  });
  client.on('error', (error) => {
    if (done) return;
    done = true;
    events.error(error.message);
  });
  client.on('close', () => {
    if (done) return;
    done = true;
    events.end();
  });
  return {
    write: (text) => {
      client.write(text);
    },
    destroy: () => {
      done = true;
      client.destroy();
    },
  };
};

/** The parts of node's pipe_wrap and stream_wrap bindings used here (node's net is built on them). */
interface PipeHandle {
  connect: (request: ConnectRequest, path: string) => number;
  readStart: () => number;
  writeUtf8String: (request: WriteRequest, text: string) => number;
  close: () => void;
  onread?: (buffer: ArrayBuffer | undefined) => void;
}
interface ConnectRequest {
  oncomplete?: (status: number) => void;
}
interface WriteRequest {
  handle?: PipeHandle;
  oncomplete?: (status: number) => void;
}
interface PipeBindings {
  Pipe: new (type: number) => PipeHandle;
  PipeConnectWrap: new () => ConnectRequest;
  WriteWrap: new () => WriteRequest;
  SOCKET: number;
  /** Where a read's byte count (or negative error) and its offset in the buffer are left. */
  state: Int32Array;
  readBytesOrError: number;
  arrayBufferOffset: number;
}

/** UV_EOF: the peer closed its end. */
const UV_EOF = -4095;

/**
 * node's pipe bindings, or undefined where they are not to be used: process.binding is
 * deprecated (DEP0111) and warns when node runs with --pending-deprecation (it is then wrapped,
 * and no longer node's own `binding`), the permission model refuses it, and a node without these
 * exports is not the one this was written against. node:net serves then.
 */
function pipeBindings(): PipeBindings | undefined {
  const binding = (process as unknown as { binding?: (name: string) => unknown }).binding;
  if (typeof binding !== 'function' || binding.name !== 'binding') return undefined;
  try {
    const pipe = binding('pipe_wrap') as Partial<{ Pipe: PipeBindings['Pipe']; PipeConnectWrap: PipeBindings['PipeConnectWrap']; constants: { SOCKET?: number } }>;
    const stream = binding('stream_wrap') as Partial<{ WriteWrap: PipeBindings['WriteWrap']; streamBaseState: Int32Array; kReadBytesOrError: number; kArrayBufferOffset: number }>;
    const { Pipe, PipeConnectWrap } = pipe;
    const { WriteWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset } = stream;
    const SOCKET = pipe.constants?.SOCKET;
    if (typeof Pipe !== 'function' || typeof PipeConnectWrap !== 'function' || typeof WriteWrap !== 'function' || typeof SOCKET !== 'number') return undefined;
    // Checked by its tag: under a test runner's vm context the binding's array is of another realm.
    if (
      Object.prototype.toString.call(streamBaseState) !== '[object Int32Array]' ||
      streamBaseState === undefined ||
      typeof kReadBytesOrError !== 'number' ||
      typeof kArrayBufferOffset !== 'number'
    )
      return undefined;
    const methods = Pipe.prototype as Partial<Record<keyof PipeHandle, unknown>>;
    for (const method of ['connect', 'readStart', 'writeUtf8String', 'close'] as const) if (typeof methods[method] !== 'function') return undefined;
    return { Pipe, PipeConnectWrap, WriteWrap, SOCKET, state: streamBaseState, readBytesOrError: kReadBytesOrError, arrayBufferOffset: kArrayBufferOffset };
  } catch {
    return undefined;
  }
}

/** An error code's name (ECONNREFUSED), for the message; only on a failure, so node:util loads then. */
function errorName(status: number): string {
  try {
    return process.getBuiltinModule('node:util').getSystemErrorName(status);
  } catch {
    return `error ${status}`;
  }
}

/**
 * On libuv's pipe handle, as node:net drives it underneath: connect, one write, reads until the
 * peer closes. Undefined where node's bindings are not to be used.
 */
export const connectPipe = (path: string, events: SocketEvents): SocketConnection | undefined => {
  const bindings = pipeBindings();
  if (bindings === undefined) return undefined;
  let handle: PipeHandle;
  try {
    handle = new bindings.Pipe(bindings.SOCKET);
  } catch {
    return undefined;
  }
  let done = false;
  let closed = false;
  const close = (): void => {
    done = true;
    if (closed) return;
    closed = true;
    handle.close();
  };
  const fail = (what: string, status: number): void => {
    if (done) return;
    close();
    events.error(`${what} ${errorName(status)} ${path}`);
  };
  handle.onread = (buffer) => {
    if (done) return;
    const read = bindings.state[bindings.readBytesOrError] ?? 0;
    if (read > 0 && buffer !== undefined) events.data(new Uint8Array(buffer, bindings.state[bindings.arrayBufferOffset], read));
    else if (read === UV_EOF) {
      close();
      events.end();
    } else if (read < 0) fail('read', read);
  };
  const request = new bindings.PipeConnectWrap();
  request.oncomplete = (status) => {
    if (done) return;
    if (status < 0) {
      fail('connect', status);
      return;
    }
    const started = handle.readStart();
    if (started < 0) fail('read', started);
    else events.connect();
  };
  // A connection that fails at once still reports it asynchronously, as net does.
  let status: number;
  try {
    status = handle.connect(request, path);
  } catch {
    // Not the binding this was written against after all: node:net connects instead.
    close();
    return undefined;
  }
  if (status < 0)
    setImmediate(() => {
      fail('connect', status);
    });
  return {
    write: (text) => {
      if (done) return;
      const write = new bindings.WriteWrap();
      write.handle = handle;
      write.oncomplete = (result) => {
        if (result < 0) fail('write', result);
      };
      const result = handle.writeUtf8String(write, text);
      if (result < 0)
        setImmediate(() => {
          fail('write', result);
        });
    },
    destroy: close,
  };
};
