export interface ServerFaults {
  delayMs?: number;
  failFirst?: number;
  dropFirst?: number;
}
export interface StaticServer {
  url: string;
  state: Required<ServerFaults> & { requests: string[] };
  close(): Promise<void>;
}
export function startStaticServer(root: string, faults?: ServerFaults): Promise<StaticServer>;
