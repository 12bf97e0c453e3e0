import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { MarketplaceError } from '@ggen/marketplace-core';
import type { CliContext } from '../cli-context.js';
import { defineCommand } from '../command-spec.js';
import { loadRegistryServer } from '../registry-server-loader.js';
import { endpointTarget } from '../remote-options.js';
import { storeRootOf } from '../store-root.js';

export interface ServeOutcome {
  url: string;
  dir: string;
  reason: string;
}

function registryDir(context: CliContext, dir: string): string {
  const path = resolve(context.io.cwd, dir);
  if (!existsSync(path) || !statSync(path).isDirectory())
    throw new MarketplaceError('GGEN_E_USAGE', `${path} is not a registry directory`, {
      hint: 'Create one with ggen marketplace registry migrate, or mkdir it: a server over an empty directory takes publishes.',
    });
  return path;
}

/** `ggen marketplace registry compact --registry <dir>`, run by the ggen that runs this, as a child; killed on `signal`. */
function compactInChild(dir: string, signal: AbortSignal): Promise<void> {
  const [launcher = ''] = process.argv.slice(1);
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(process.execPath, [launcher, 'marketplace', 'registry', 'compact', '--registry', dir], {
      signal,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let said = '';
    child.stderr.on('data', (chunk: Buffer) => {
      said = `${said}${chunk.toString('utf8')}`.slice(-2000);
    });
    child.once('error', rejectRun);
    child.once('exit', (code) => {
      if (code === 0) resolveRun();
      else rejectRun(new Error(`registry compact exited ${String(code)}: ${said.trim()}`));
    });
  });
}

export const registryServeCommand = defineCommand({
  command: 'serve <dir>',
  describe: 'Serve a registry directory over HTTP: per-package documents, search, archives, publish with tokens',
  options: {
    port: { type: 'number', default: 7878, describe: 'TCP port (0: any free port)' },
    host: { type: 'string', default: '127.0.0.1', describe: 'address to listen on' },
    'public-url': { type: 'string', describe: 'the URL clients use, when a proxy stands before the server' },
    'rate-limit': { type: 'number', default: 1200, describe: 'requests a minute per client address (writes: a tenth)' },
    'compact-at': {
      type: 'number',
      describe:
        'journal entries past which the server compacts the catalog in another process (default: half of the 128 that force one)',
    },
    catalog: {
      type: 'string',
      choices: ['embedded', 'remote'],
      default: 'embedded',
      describe:
        'where the v2 catalog is read: the local store, or the SPARQL endpoint of marketplace.sparql_endpoint (kept in step with the directory)',
    },
  },
  builder: (yargs) =>
    yargs
      .positional('dir', { type: 'string', demandOption: true, describe: 'the registry directory' })
      .example('$0 marketplace registry serve ./registry --port 7878', 'then: registry token create ./registry')
      .example(
        'GGEN_MARKETPLACE_SPARQL_PASSWORD=... $0 marketplace registry serve ./registry --catalog remote',
        'the catalog on the configured SPARQL endpoint',
      ),
  run: async (context, args): Promise<ServeOutcome> => {
    const dir = registryDir(context, args.dir);
    const port = args.port;
    const compactAt = args['compact-at'];
    if (compactAt !== undefined && !(Number.isInteger(compactAt) && compactAt > 0))
      throw new MarketplaceError(
        'GGEN_E_USAGE',
        `--compact-at must be a positive whole number, not ${String(compactAt)}`,
        {
          hint: 'e.g. --compact-at 64',
        },
      );
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new MarketplaceError('GGEN_E_USAGE', `--port must be a port number, not ${String(port)}`, {
        hint: 'e.g. --port 7878',
      });
    const { config } = context.config();
    // Said before anything starts: a remote catalog needs the endpoint and an account that may write to it.
    const remote =
      args.catalog === 'remote'
        ? {
            endpoint: endpointTarget(config, 'A registry server with its catalog on a SPARQL endpoint'),
            stateDir: config.state_dir,
          }
        : undefined;
    const [{ createRegistryServer }, { pino }] = await Promise.all([loadRegistryServer(), import('pino')]);
    // pino JSON lines on stdout, as a server logs; the authorization header never reaches them.
    const logger = pino({ level: args.verbose ? 'debug' : 'info', redact: ['req.headers.authorization'] });
    const server = await createRegistryServer({
      dir,
      logger,
      // The catalog's local store, where the CLI keeps it: a server and the CLI on one machine share it.
      storeRoot: storeRootOf(config),
      rateLimit: args['rate-limit'],
      ...(remote === undefined ? {} : { remote }),
      ...(compactAt === undefined ? {} : { compactAt }),
      // `registry compact` of this very ggen, in its own process: its reads and writes of the
      // whole catalog never hold up the server's requests.
      compactAside: (signal) => compactInChild(dir, signal),
      ...(args['public-url'] === undefined ? {} : { publicUrl: args['public-url'] }),
    });
    // A server runs until stopped: it takes Ctrl-C itself (and finishes in-flight requests).
    context.terminal?.close();
    const address = await server.listen({ port, host: args.host });
    const url = args['public-url'] ?? address;
    context.io.stderr(
      `ggen registry server: serving ${dir} at ${address}${remote === undefined ? '' : `, its catalog on ${remote.endpoint.queryUrl}`}`,
    );
    const reason = await new Promise<string>((resolveStop) => {
      const stop = (signal: string): void => {
        resolveStop(signal);
      };
      process.once('SIGINT', () => {
        stop('SIGINT');
      });
      process.once('SIGTERM', () => {
        stop('SIGTERM');
      });
    });
    // In-flight requests (a publish among them) finish; new ones are answered 503 meanwhile.
    await server.close();
    return { url, dir, reason };
  },
  render: (outcome) => `stopped (${outcome.reason}); served ${outcome.dir} at ${outcome.url}`,
});

export const registryTokenCommand = defineCommand({
  command: 'token <action> <dir> [id]',
  describe: 'Tokens of a registry server, on the server: create (shown once), list, revoke <id>',
  options: {
    scope: {
      type: 'string',
      choices: ['read', 'publish', 'admin'],
      default: 'publish',
      describe: 'what the token may do',
    },
    package: {
      type: 'string',
      array: true,
      describe: 'limit the token to these packages or @scopes (repeatable); default: all',
    },
    'expires-in-days': { type: 'number', describe: 'days until the token stops working' },
    label: { type: 'string', describe: 'who or what the token is for (shown in lists and logs)' },
  },
  builder: (yargs) =>
    yargs
      .positional('action', { type: 'string', choices: ['create', 'list', 'revoke'], demandOption: true })
      .positional('dir', { type: 'string', demandOption: true, describe: 'the registry directory the server serves' })
      .positional('id', { type: 'string', describe: 'the token id to revoke (tok_...)' })
      .example('$0 marketplace registry token create ./registry --package @acme --label ci', '')
      .example('$0 marketplace registry token revoke ./registry tok_0123456789ab', ''),
  run: async (context, args) => {
    const dir = registryDir(context, args.dir);
    const { TokenStore } = await loadRegistryServer();
    const store = new TokenStore(dir);
    switch (args.action) {
      case 'create': {
        const days = args['expires-in-days'];
        if (days !== undefined && !(Number.isFinite(days) && days > 0))
          throw new MarketplaceError('GGEN_E_USAGE', '--expires-in-days must be a positive number', {
            hint: 'e.g. --expires-in-days 90',
          });
        const created = await store.create({
          scope: args.scope,
          ...(args.label === undefined ? {} : { label: args.label }),
          ...(args.package === undefined ? {} : { packages: args.package.map(String) }),
          ...(days === undefined ? {} : { expiresInDays: days }),
        });
        return { action: 'create' as const, token: created.token, tokens: [created.record] };
      }
      case 'revoke': {
        if (args.id === undefined)
          throw new MarketplaceError('GGEN_E_USAGE', 'token revoke needs the token id', {
            hint: 'ggen marketplace registry token list <dir> shows the ids.',
          });
        return { action: 'revoke' as const, tokens: [await store.revoke(args.id)] };
      }
      default:
        return { action: 'list' as const, tokens: store.list() };
    }
  },
  render: (result) => {
    const rows = result.tokens.map(
      (token) =>
        `${token.id}  ${token.state.padEnd(7)}  ${token.scope.padEnd(7)}  ${(token.packages ?? ['*']).join(',')}${token.label === '' ? '' : `  ${token.label}`}${token.expires === undefined ? '' : `  expires ${token.expires}`}`,
    );
    if (result.action === 'create' && 'token' in result)
      return [
        `created ${rows[0] ?? ''}`,
        '',
        `  ${result.token}`,
        '',
        'This is the only time the token is shown: give it to its user, who runs ggen marketplace login <server URL>.',
      ].join('\n');
    if (result.action === 'revoke') return `revoked ${rows[0] ?? ''}`;
    return rows.length === 0 ? 'no tokens' : rows.join('\n');
  },
});
