export const VIRTUOSO_USER: string;
export const VIRTUOSO_PASSWORD: string;
export interface RunningVirtuoso {
  pid: number;
  queryUrl: string;
  updateUrl: string;
  graphStoreUrl: string;
  user: string;
  password: string;
  stop(): Promise<void>;
}
export function startVirtuoso(options?: { maxRows?: number }): Promise<RunningVirtuoso>;
