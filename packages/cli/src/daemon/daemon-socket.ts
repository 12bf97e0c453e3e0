// The launcher's connection to the query service's Unix socket, as bytes in and out, through
// node:net. Node's own modules only (see daemon-common.ts).

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

/** Connects to the socket at `path` through node:net. */
export const connectSocket: ConnectSocket = (path, events) => {
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
