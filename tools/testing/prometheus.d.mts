export interface RunningPrometheus {
  pushgatewayUrl: string;
  prometheusUrl: string;
  stop(): Promise<void>;
}
export function startPrometheus(): Promise<RunningPrometheus>;
