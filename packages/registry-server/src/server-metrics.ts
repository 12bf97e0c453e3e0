/** Upper bounds of the request-duration histogram, in seconds. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The server's Prometheus series, under the same `ggen_marketplace_*` naming as the CLI's:
 * requests by route and status, and their durations as a histogram.
 */
export class ServerMetrics {
  readonly #requests = new Map<string, number>();
  readonly #durations = new Map<string, { buckets: number[]; sum: number; count: number }>();

  observe(route: string, status: number, seconds: number): void {
    const key = `route="${escape(route)}",status="${status}"`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    const routeKey = `route="${escape(route)}"`;
    const duration = this.#durations.get(routeKey) ?? { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
    BUCKETS.forEach((bound, index) => {
      if (seconds <= bound) duration.buckets[index] = (duration.buckets[index] ?? 0) + 1;
    });
    duration.sum += seconds;
    duration.count += 1;
    this.#durations.set(routeKey, duration);
  }

  text(): string {
    const lines = [
      '# HELP ggen_marketplace_server_requests_total Requests the registry server answered, by route and status.',
      '# TYPE ggen_marketplace_server_requests_total counter',
      ...[...this.#requests].map(([labels, value]) => `ggen_marketplace_server_requests_total{${labels}} ${value}`),
      '# HELP ggen_marketplace_server_request_duration_seconds Time to answer a request, by route.',
      '# TYPE ggen_marketplace_server_request_duration_seconds histogram',
    ];
    for (const [labels, duration] of this.#durations) {
      BUCKETS.forEach((bound, index) =>
        lines.push(
          `ggen_marketplace_server_request_duration_seconds_bucket{${labels},le="${bound}"} ${duration.buckets[index] ?? 0}`,
        ),
      );
      lines.push(
        `ggen_marketplace_server_request_duration_seconds_bucket{${labels},le="+Inf"} ${duration.count}`,
        `ggen_marketplace_server_request_duration_seconds_sum{${labels}} ${duration.sum}`,
        `ggen_marketplace_server_request_duration_seconds_count{${labels}} ${duration.count}`,
      );
    }
    const memory = process.memoryUsage();
    lines.push(
      '# HELP ggen_marketplace_server_resident_memory_bytes The server process’s resident set size.',
      '# TYPE ggen_marketplace_server_resident_memory_bytes gauge',
      `ggen_marketplace_server_resident_memory_bytes ${memory.rss}`,
    );
    return `${lines.join('\n')}\n`;
  }
}

const escape = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
