export interface RunningNginx {
  url: string;
  stop(): Promise<void>;
}
export function freePort(): Promise<number>;
export function startNginx(upstreams: string[], port?: number): Promise<RunningNginx>;
