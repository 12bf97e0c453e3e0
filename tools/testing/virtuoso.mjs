// Starts a real OpenLink Virtuoso (Debian's virtuoso-opensource-7-bin) on free loopback
// ports for the remote-SPARQL tests, following the team's Virtuoso recipe, and stops it.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const VIRTUOSO_USER = 'registry';
export const VIRTUOSO_PASSWORD = 'registry-secret';

async function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function isql(port, statements) {
  const output = execFileSync('isql-vt', [`127.0.0.1:${port}`, 'dba', 'dba', `exec=${statements}`], {
    encoding: 'utf8',
  });
  // isql-vt exits 0 even when a statement fails.
  if (output.includes('*** Error')) throw new Error(`isql failed: ${output}`);
  return output;
}

/** `maxRows`: the server's ResultSetMaxRows (a real Virtuoso's default is 100000; public endpoints have less). */
export async function startVirtuoso({ maxRows = 100000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ggen-virtuoso-'));
  for (const sub of ['db', 'data', 'vsp']) mkdirSync(join(dir, sub));
  const [sqlPort, httpPort] = [await freePort(), await freePort()];
  const db = join(dir, 'db');
  writeFileSync(
    join(dir, 'virtuoso.ini'),
    [
      '[Database]',
      `DatabaseFile = ${db}/virtuoso.db`,
      `ErrorLogFile = ${db}/virtuoso.log`,
      `LockFile = ${db}/virtuoso.lck`,
      `TransactionFile = ${db}/virtuoso.trx`,
      `xa_persistent_file = ${db}/virtuoso.pxa`,
      'TempStorage = TempDatabase',
      '[TempDatabase]',
      `DatabaseFile = ${db}/virtuoso-temp.db`,
      `TransactionFile = ${db}/virtuoso-temp.trx`,
      '[Parameters]',
      `ServerPort = 127.0.0.1:${sqlPort}`,
      'DisableUnixSocket = 1',
      `DirsAllowed = ., ${join(dir, 'data')}`,
      'NumberOfBuffers = 170000',
      'MaxDirtyBuffers = 130000',
      'MaxQueryMem = 1G',
      // ThreadsPerQuery > 1 returned wrong GROUP BY + ORDER BY + LIMIT results (quirk 1).
      'ThreadsPerQuery = 1',
      '[HTTPServer]',
      `ServerPort = 127.0.0.1:${httpPort}`,
      `ServerRoot = ${join(dir, 'vsp')}`,
      'ServerThreads = 10',
      '[SPARQL]',
      `ResultSetMaxRows = ${maxRows}`,
      'MaxQueryExecutionTime = 60',
      '',
    ].join('\n'),
  );
  const child = spawn('virtuoso-t', ['+foreground', '+configfile', join(dir, 'virtuoso.ini')], {
    cwd: db,
    stdio: 'ignore',
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const base = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error('virtuoso-t exited during start');
    try {
      const response = await fetch(`${base}/sparql?query=ASK%7B%7D`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('virtuoso did not answer within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  isql(
    sqlPort,
    `DB.DBA.USER_CREATE('${VIRTUOSO_USER}','${VIRTUOSO_PASSWORD}'); GRANT SPARQL_SELECT TO "${VIRTUOSO_USER}"; GRANT SPARQL_UPDATE TO "${VIRTUOSO_USER}";`,
  );
  return {
    pid: child.pid,
    queryUrl: `${base}/sparql`,
    updateUrl: `${base}/sparql-auth`,
    graphStoreUrl: `${base}/sparql-graph-crud-auth`,
    user: VIRTUOSO_USER,
    password: VIRTUOSO_PASSWORD,
    async stop() {
      try {
        isql(sqlPort, 'shutdown;');
      } catch {
        // already going down
      }
      const gone = new Promise((resolve) => (exited ? resolve() : child.once('exit', resolve)));
      const timer = setTimeout(() => child.kill('SIGTERM'), 10_000);
      await gone;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
