import { printableConfigValue } from '@ggen/marketplace-core';
import { defineCommand, defineGroup, table } from '../command-spec.js';

export const configShowCommand = defineCommand({
  command: 'show',
  describe: 'Print the effective configuration and where each value came from',
  builder: (yargs) => yargs.example('$0 marketplace config show --json', 'machine-readable, with sources'),
  run: (context) => {
    const loaded = context.config();
    // A secret (sparql_password) and the credentials inside a URL are never printed.
    const values = Object.fromEntries(
      Object.entries(loaded.config).map(([key, value]) => [
        key,
        { value: printableConfigValue(key, value), source: loaded.sources[key as keyof typeof loaded.sources] },
      ]),
    );
    if (loaded.config.registry === undefined) {
      values.registry = { value: context.registry(), source: { kind: 'default', origin: 'built-in sample registry' } };
    }
    return Promise.resolve({ files: loaded.files, values });
  },
  render: (result) => {
    const rows = [['KEY', 'VALUE', 'SOURCE']];
    for (const [key, entry] of Object.entries(result.values).sort(([a], [b]) => (a < b ? -1 : 1))) {
      rows.push([key, JSON.stringify(entry.value), `${entry.source.kind} (${entry.source.origin})`]);
    }
    const files = `user config: ${result.files.user}${result.files.userExists ? '' : ' (not present)'}\nproject config: ${result.files.project ?? '(none)'}`;
    return `${files}\n\n${table(rows)}`;
  },
});

export const configGroup = defineGroup({
  group: 'config',
  describe: 'The effective configuration',
  subcommands: [configShowCommand],
});
