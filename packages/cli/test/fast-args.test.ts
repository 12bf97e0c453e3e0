import { describe, expect, it } from '@jest/globals';
import type { GlobalArgs } from '../src/cli-context.js';
import type { AnyCommandSpec } from '../src/command-spec.js';
import { commandFacts, GLOBAL_OPTIONS, type OptionFacts } from '../src/fast-args.js';
import { parallelFeatures } from '../src/parallel-features.js';
import { commandTable, plainCommandLine, yargsParser } from '../src/run-cli.js';

// The fast reader must hand a command exactly what yargs hands it, or decline the line. Every
// line here goes through both: where the fast reader answers, the two must be equal (the same
// command, and the same argument object key for key); where it declines, yargs alone decides.
const table = commandTable(parallelFeatures);

type Parsed = { spec: AnyCommandSpec; args: GlobalArgs & Record<string, unknown> } | { error: string };

async function viaYargs(argv: string[]): Promise<Parsed> {
  let matched: Parsed | undefined;
  const parser = await yargsParser(
    argv,
    table,
    (spec, args) => {
      matched = { spec, args };
      return Promise.resolve();
    },
    {},
  );
  try {
    await parser.parseAsync();
  } catch (error) {
    return { error: (error as Error).message };
  }
  if (matched === undefined) throw new Error(`yargs ran no command for ${argv.join(' ')}`);
  return matched;
}

/** A value of the option's kind, as a user types it. */
function sample(option: OptionFacts): string[] {
  if (option.choices !== undefined) return [String(option.choices.at(-1))];
  if (option.type === 'number') return ['7'];
  if (option.array === true) return ['alpha', 'beta'];
  return ['some-value'];
}

/** Lines of every command: its required positionals, then each of its flags (and a global) in each way it can be written. */
function linesOf(spec: AnyCommandSpec): string[][] {
  const facts = commandFacts(spec);
  const word = spec.command.split(' ')[0] ?? '';
  if (facts === undefined) return [['marketplace', word]];
  const base = ['marketplace', word, ...facts.positionals.filter((positional) => positional.required).map(() => 'hello-pack')];
  const lines = [base, [...base, '--json'], ['marketplace', word, ...facts.positionals.map((positional) => (positional.variadic ? ['one', 'two'] : ['hello-pack'])).flat()]];
  const flags: [string, OptionFacts][] = [...facts.options, ['registry', GLOBAL_OPTIONS.registry], ['quiet', GLOBAL_OPTIONS.quiet]];
  for (const [name, option] of flags) {
    if (option.type === 'boolean') {
      lines.push([...base, `--${name}`], [...base, `--no-${name}`]);
      continue;
    }
    const values = sample(option);
    lines.push([...base, `--${name}`, ...values], [...base, `--${name}=${values[0] ?? ''}`], [...base, '--verbose', `--${name}`, ...values, '--json']);
  }
  return lines;
}

describe('the fast argument reader', () => {
  it('reads every plain line of every command as yargs does, and reads most of them', async () => {
    const lines = table.commands.flatMap(linesOf);
    let read = 0;
    for (const argv of lines) {
      const fast = plainCommandLine(argv, table);
      if (fast === undefined) continue;
      read += 1;
      const yargs = await viaYargs(argv);
      if ('error' in yargs) throw new Error(`${argv.join(' ')}: the fast reader read a line yargs refuses (${yargs.error})`);
      expect({ line: argv.join(' '), command: fast.spec.command, args: fast.args }).toStrictEqual({ line: argv.join(' '), command: yargs.spec.command, args: yargs.args });
    }
    expect(table.commands.length).toBeGreaterThan(15);
    expect(read).toBeGreaterThan(lines.length * 0.8);
  });

  it('reads the lines of search, info, install and list that users type most', async () => {
    const lines = [
      ['marketplace', 'search', 'rust web'],
      ['marketplace', 'search', 'http server', '--registry', '/srv/registry', '--json'],
      ['marketplace', 'search', '-q', 'agent', '--tag', 'mcp', 'rust', '--sort', 'downloads', '--limit', '5', '--offset', '10'],
      ['marketplace', 'search', '--min-downloads=100', '--order', 'asc', '--keyword', 'cli'],
      ['marketplace', 'info', 'agent-editor', '--json'],
      ['marketplace', 'install', 'agent-reasoning-mcp', '--target', '/tmp/gpacks'],
      ['marketplace', 'i', 'hello@^1.2', 'other', '--dry-run', '--no-dependencies', '--verify-signature'],
      ['marketplace', 'list', '--target', '/tmp/gpacks', '--quiet'],
    ];
    for (const argv of lines) {
      const fast = plainCommandLine(argv, table);
      expect({ line: argv.join(' '), read: fast !== undefined }).toEqual({ line: argv.join(' '), read: true });
      const yargs = await viaYargs(argv);
      expect(fast?.args).toStrictEqual('args' in yargs ? yargs.args : yargs);
    }
  });

  it('leaves to yargs every line it cannot be sure of', async () => {
    const declined = [
      ['marketplace', 'search', 'x', '--help'],
      ['marketplace', 'search', '--bogus'],
      ['marketplace', 'search', '--limt', '5'],
      ['marketplace', 'search', '--limit', '0x10'],
      ['marketplace', 'search', '--limit', '-1'],
      ['marketplace', 'search', '--limit'],
      ['marketplace', 'search', '--limit', '5', '--limit', '6'],
      ['marketplace', 'search', '--sort', 'popularity'],
      ['marketplace', 'search', '--registry='],
      ['marketplace', 'search', '--json', 'false'],
      ['marketplace', 'search', '--json=true'],
      ['marketplace', 'search', '--no-limit'],
      ['marketplace', 'search', '-qx'],
      ['marketplace', 'search', 'a', 'b'],
      ['marketplace', 'search', '42'],
      ['marketplace', 'search', '--', '--json'],
      ['marketplace', 'search', '--tag.deep', 'x'],
      ['marketplace', 'info'],
      ['marketplace', 'serch', 'x'],
      ['marketplace', 'keys'],
      ['marketplace', 'registry', 'migrate', '--from', 'a', '--to', 'b'],
      ['--json', 'marketplace', 'search', 'x'],
      ['marketplace'],
      ['completion'],
    ];
    for (const argv of declined) expect({ line: argv.join(' '), read: plainCommandLine(argv, table) !== undefined }).toEqual({ line: argv.join(' '), read: false });
    // Some of these yargs reads (differently from a naive reader), some it refuses with a usage error.
    expect(await viaYargs(['marketplace', 'search', '--json', 'false'])).toMatchObject({ args: { json: false } });
    expect(await viaYargs(['marketplace', 'search', '--limit', '0x10'])).toMatchObject({ args: { limit: 16 } });
    expect(await viaYargs(['marketplace', 'search', 'a', 'b'])).toMatchObject({ error: expect.stringContaining('b') });
  });
});
