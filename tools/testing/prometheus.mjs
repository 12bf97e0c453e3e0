// Starts a real Prometheus and Pushgateway (Debian's prometheus and prometheus-pushgateway)
// on free loopback ports, Prometheus scraping the Pushgateway every second, for the fleet-view
// tests; and stops them. Nothing listens beyond 127.0.0.1.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200, at most `attempts` times, `everyMs` apart. */
async function ready(url, child, log, attempts = 300, everyMs = 100) {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}:\n${log()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`${url} did not become ready:\n${log()}`);
}

function launch(command, args) {
  let output = '';
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return { child, log: () => output.slice(-4000) };
}

export async function startPrometheus() {
  const dir = mkdtempSync(join(tmpdir(), 'ggen-prometheus-'));
  const [gatewayPort, prometheusPort] = [await freePort(), await freePort()];
  // Its own data file: Debian's build persists to a machine-wide default, which would carry one
  // test's pushes into the next test (and into a real Pushgateway on the same machine).
  const gateway = launch('prometheus-pushgateway', [
    `--web.listen-address=127.0.0.1:${gatewayPort}`,
    `--persistence.file=${join(dir, 'pushgateway.data')}`,
  ]);
  await ready(`http://127.0.0.1:${gatewayPort}/-/ready`, gateway.child, gateway.log);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      'scrape_configs:',
      '  - job_name: pushgateway',
      '    honor_labels: true',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${gatewayPort}']`,
      '',
    ].join('\n'),
  );
  const prometheus = launch('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${prometheusPort}`,
  ]);
  await ready(`http://127.0.0.1:${prometheusPort}/-/ready`, prometheus.child, prometheus.log);
  const stop = async () => {
    for (const { child } of [prometheus, gateway]) {
      if (child.exitCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    pushgatewayUrl: `http://127.0.0.1:${gatewayPort}`,
    prometheusUrl: `http://127.0.0.1:${prometheusPort}`,
    stop,
  };
}
