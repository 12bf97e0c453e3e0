// Starts a real nginx (Debian's nginx-light) on a free loopback port as a reverse proxy in front
// of registry servers (round robin), for the scale-out tests; and stops it. Its configuration,
// pid, logs and temp files live in a directory of its own; nothing listens beyond 127.0.0.1.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * nginx on `port` (a free one when not given) proxying to `upstreams` (http://127.0.0.1:N), with
 * the request body limit a publish needs and the request id passed on. Resolves once a request
 * through it reaches an upstream's /healthz.
 */
export async function startNginx(upstreams, port) {
  const listen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'ggen-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const servers = upstreams.map((url) => `    server ${new URL(url).host};`).join('\n');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  upstream registry {
${servers}
  }
  server {
    listen 127.0.0.1:${listen};
    client_max_body_size 90m;
    location / {
      proxy_pass http://registry;
      proxy_set_header Host $http_host;
      proxy_set_header X-Request-Id $request_id;
      proxy_read_timeout 300s;
    }
  }
}
`,
  );
  let output = '';
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const log = () => {
    let errors = '';
    try {
      errors = readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {
      // Not written yet.
    }
    return `${output}\n${errors}`.slice(-4000);
  };
  const url = `http://127.0.0.1:${listen}`;
  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${log()}`);
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (attempt >= 300) throw new Error(`nginx at ${url} did not become ready:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
