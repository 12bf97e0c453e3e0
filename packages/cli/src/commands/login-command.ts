import { homedir } from 'node:os';
import { isHttpLocation, MarketplaceError, redactUrl, serverRequest } from '@ggen/marketplace-core';
import type { CliContext } from '../cli-context.js';
import { defineCommand } from '../command-spec.js';
import { credentialsPath, readCredentials, registryKey, tokenFor, writeCredentials } from '../credentials.js';
import { readToken } from '../read-password.js';

interface Identity {
  id: string;
  label: string;
  scope: string;
  packages?: string[];
}

function serverUrl(context: CliContext, given: string | undefined): string {
  const url = given ?? context.args.registry ?? context.config().config.registry;
  if (url === undefined || !isHttpLocation(url))
    throw new MarketplaceError(
      'GGEN_E_USAGE',
      `${url === undefined ? 'No registry' : redactUrl(url)} is not a registry server URL`,
      {
        hint: 'Name the server: ggen marketplace login http://registry.example:7878',
      },
    );
  if (/^[a-z]+:\/\/[^/]*@/i.test(url))
    throw new MarketplaceError('GGEN_E_USAGE', 'A registry URL carries no credentials', {
      hint: 'Give the URL without user:password@; login asks for the token.',
    });
  return url;
}

const whoami = (url: string, token: string, context: CliContext): Promise<Identity> =>
  serverRequest<Identity>(url, {
    method: 'GET',
    path: 'whoami',
    token,
    timeoutMs: context.config().config.timeout_ms,
  });

const describe = (identity: Identity): string =>
  `${identity.id}${identity.label === '' ? '' : ` (${identity.label})`}: ${identity.scope}, ${identity.packages === undefined ? 'every package' : identity.packages.join(', ')}`;

export const loginCommand = defineCommand({
  command: 'login [url]',
  describe:
    'Store a registry server token (asked without echo, or the first line of stdin) after the server accepts it',
  builder: (yargs) =>
    yargs
      .positional('url', { type: 'string', describe: 'the registry server (default: --registry)' })
      .example('$0 marketplace login http://127.0.0.1:7878', 'paste the token when asked')
      .example('echo "$TOKEN" | $0 marketplace login https://registry.example', 'in CI'),
  run: async (context, args) => {
    const url = serverUrl(context, args.url);
    context.terminal?.stop();
    const token = await readToken(`Token for ${redactUrl(url)}: `);
    const identity = await whoami(url, token, context);
    const path = credentialsPath(context.io.env, homedir());
    const credentials = readCredentials(path);
    credentials.registries[registryKey(url)] = { token };
    writeCredentials(path, credentials);
    return { registry: redactUrl(url), identity, file: path };
  },
  render: (result) => `logged in to ${result.registry} as ${describe(result.identity)}\ntoken kept in ${result.file}`,
});

export const logoutCommand = defineCommand({
  command: 'logout [url]',
  describe: 'Forget the token stored for a registry server',
  builder: (yargs) =>
    yargs.positional('url', { type: 'string', describe: 'the registry server (default: --registry)' }),
  run: (context, args) => {
    const url = serverUrl(context, args.url);
    const path = credentialsPath(context.io.env, homedir());
    const credentials = readCredentials(path);
    const key = registryKey(url);
    const had = credentials.registries[key] !== undefined;
    if (had)
      writeCredentials(path, {
        registries: Object.fromEntries(Object.entries(credentials.registries).filter(([entry]) => entry !== key)),
      });
    return { registry: redactUrl(url), removed: had };
  },
  render: (result) =>
    result.removed ? `logged out of ${result.registry}` : `not logged in to ${result.registry}; nothing to forget`,
});

export const whoamiCommand = defineCommand({
  command: 'whoami [url]',
  describe: 'Which token a registry server sees for you, and what it may do',
  builder: (yargs) =>
    yargs.positional('url', { type: 'string', describe: 'the registry server (default: --registry)' }),
  run: async (context, args) => {
    const url = serverUrl(context, args.url);
    const token = tokenFor(url, context.io.env, credentialsPath(context.io.env, homedir()));
    if (token === undefined)
      throw new MarketplaceError('GGEN_E_AUTH_REQUIRED', `Not logged in to ${redactUrl(url)}`, {
        hint: `ggen marketplace login ${redactUrl(url)} (or set GGEN_TOKEN).`,
      });
    return { registry: redactUrl(url), identity: await whoami(url, token, context) };
  },
  render: (result) => `${describe(result.identity)} at ${result.registry}`,
});

export const loginCommands = [loginCommand, logoutCommand, whoamiCommand];
