import { isMarketplaceError, nearestWord, safeText } from '@ggen/marketplace-core';
import type { Logger } from 'pino';
import { createColors } from 'picocolors';
import type { Argv } from 'yargs';
import { CliContext, type GlobalArgs, type Io } from './cli-context.js';
import {
  GLOBAL_OPTIONS,
  isGroup,
  type AnyCommandSpec,
  type CommandOptions,
  type CommandEntry,
  type CommandGroup,
} from './command-spec.js';
import { mayBeTerminal, writeStdio } from './stdio.js';
import { terminalSession } from './terminal-session.js';
import { cacheGroup } from './commands/cache-command.js';
import { categoriesCommand } from './commands/categories-command.js';
import { configGroup } from './commands/config-show-command.js';
import { featuresCommand } from './commands/features-command.js';
import { infoCommand } from './commands/info-command.js';
import { initCommand } from './commands/init-command.js';
import { installCommand } from './commands/install-command.js';
import { listCommand } from './commands/list-command.js';
import { publishCommand } from './commands/publish-command.js';
import { removeCommand } from './commands/remove-command.js';
import { searchCommand } from './commands/search-command.js';
import { outdatedCommand } from './commands/outdated-command.js';
import { updateCommand } from './commands/update-command.js';
import { validateCommand } from './commands/validate-command.js';
import { whyCommand } from './commands/why-command.js';
import { versionLine } from './version.js';
import type { FeatureSet } from './features.js';

const COMMANDS = [
  featuresCommand,
  configGroup,
  initCommand,
  validateCommand,
  searchCommand,
  categoriesCommand,
  infoCommand,
  installCommand,
  listCommand,
  updateCommand,
  outdatedCommand,
  whyCommand,
  removeCommand,
  publishCommand,
  cacheGroup,
] as unknown as CommandEntry[];

export function defaultIo(): Io {
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: (text) => {
      writeStdio(1, `${text}\n`);
    },
    stderr: (text) => {
      writeStdio(2, `${text}\n`);
    },
    // Asked only where a bar might be drawn. node makes process.stderr on first use: for a pipe
    // (CI, a captured run) a net.Socket, with node:net and its streams. A descriptor that
    // is no character device (a pipe, a file) is no terminal, and is told so without it.
    get isTty() {
      return mayBeTerminal(2) && process.stderr.isTTY;
    },
  };
}

/**
 * Everything printed passes here: registry metadata (names, descriptions, authors, error
 * details) is the registry's text, and its control characters (escape sequences that recolour,
 * retitle or rewrite the terminal, carriage returns, bidi overrides) are shown as `?`.
 */
function terminalSafe(io: Io): Io {
  const paint = colours(io);
  return {
    cwd: io.cwd,
    env: io.env,
    get isTty() {
      return io.isTty;
    },
    stdout: (text) => {
      io.stdout(paint(safeText(text, true)));
    },
    stderr: (text) => {
      io.stderr(paint(safeText(text, true)));
    },
  };
}

/**
 * Colour by what a line is, added after the text was made safe (the only escape sequences
 * printed are these): errors red, warnings yellow, hints cyan, notes dim, ✔ green and ✖ red.
 * On a terminal only, unless NO_COLOR (any value) or FORCE_COLOR (not 0) says otherwise.
 */
function colours(io: Io): (text: string) => string {
  const force = io.env.FORCE_COLOR;
  const enabled =
    force !== undefined && force !== ''
      ? force !== '0'
      : io.env.NO_COLOR === undefined || io.env.NO_COLOR === ''
        ? io.isTty
        : false;
  if (!enabled) return (text) => text;
  const c = createColors(true);
  const roles: [RegExp, (line: string) => string][] = [
    [/^error /, (line) => c.red(line)],
    [/^warning: /, (line) => c.yellow(line)],
    [/^hint: /, (line) => c.cyan(line)],
    [/^note: /, (line) => c.dim(line)],
    [/^✔/, (line) => c.green(line)],
    [/^✖/, (line) => c.red(line)],
    [/^ {2}error /, (line) => c.red(line)],
    [/^ {2}warning /, (line) => c.yellow(line)],
  ];
  return (text) =>
    text
      .split('\n')
      .map((line) => roles.find(([pattern]) => pattern.test(line))?.[1](line) ?? line)
      .join('\n');
}

/** Runs `ggen` with the given arguments; resolves to the process exit code. */
export async function runCli(
  argv: string[],
  features: FeatureSet,
  rawIo: Io = defaultIo(),
  state: { cache?: unknown } = {},
): Promise<number> {
  const io = terminalSafe(rawIo);
  let exitCode = 0;
  let jsonMode = argv.includes('--json');
  let verbose = argv.includes('--verbose');

  const report = (error: unknown): void => {
    if (isMarketplaceError(error)) {
      exitCode = error.exitCode;
      if (jsonMode) io.stdout(JSON.stringify({ error: error.toJSON() }, null, 2));
      else {
        io.stderr(`error ${error.code}: ${error.message}`);
        if (error.hint !== undefined) io.stderr(`hint: ${error.hint}`);
      }
    } else {
      exitCode = 1;
      const message = error instanceof Error ? error.message : String(error);
      if (jsonMode) io.stdout(JSON.stringify({ error: { code: 'GGEN_E_INTERNAL', message } }, null, 2));
      else {
        io.stderr(`error GGEN_E_INTERNAL: ${message}`);
        io.stderr('hint: this is a bug in ggen; run again with --verbose and report the output.');
      }
    }
    if (verbose && error instanceof Error && error.stack !== undefined) io.stderr(error.stack);
  };

  const run = async (spec: AnyCommandSpec, args: GlobalArgs & Record<string, unknown>): Promise<void> => {
    jsonMode = args.json;
    verbose = args.verbose;
    const logger = args.verbose ? await debugLogger() : undefined;
    // On a terminal: a status line from the first second of work, and Ctrl-C that restores it.
    const session = terminalSession(rawIo, args, state.cache === undefined);
    const shown: Io =
      session === undefined
        ? io
        : {
            ...io,
            get isTty() {
              return io.isTty;
            },
            stdout: (text) => {
              session.pause();
              io.stdout(text);
            },
            stderr: (text) => {
              session.pause();
              io.stderr(text);
            },
          };
    const context = new CliContext(features, shown, args, logger, state.cache, session);
    session?.startActivity(`${spec.command.split(' ')[0] ?? 'working'}: working (Ctrl-C stops it)`);
    try {
      const result: unknown = await spec.run(context, args);
      session?.stop();
      shown.stdout(args.json ? JSON.stringify(result, null, 2) : spec.render(result, context));
      exitCode = spec.exitCode?.(result) ?? 0;
    } finally {
      session?.close();
      await context.finish();
    }
  };

  // `ggen -v`, `ggen version`, `ggen marketplace --version`: what npm and cargo answer.
  if (isVersionRequest(argv)) {
    io.stdout(versionLine(features.name));
    return 0;
  }
  // `ggen` alone shows what it can do, as cargo does.
  if (argv.length === 0) argv = ['--help'];

  const table = commandTable(features);
  const usageError = (message: string, hint: string): number => {
    if (jsonMode) io.stdout(JSON.stringify({ error: { code: 'GGEN_E_USAGE', message, hint } }, null, 2));
    else {
      io.stderr(`error GGEN_E_USAGE: ${message}`);
      io.stderr(`hint: ${hint}`);
    }
    return 2;
  };
  const misplaced = topLevelMistake(argv, table);
  if (misplaced !== undefined) return usageError(misplaced.message, misplaced.hint);

  const parser = await yargsParser(argv, table, run);
  try {
    await parser.parseAsync();
  } catch (error) {
    if (error instanceof Error && 'usage' in error) exitCode = usageError(error.message, `see ${helpFor(argv, table)}`);
    else report(error);
  }
  return exitCode;
}

const VERSION_WORDS = new Set(['--version', '-V', '-v', 'version']);

/** `ggen -v`, `ggen --version`, `ggen version`, and the same after `marketplace`. */
export function isVersionRequest(argv: readonly string[]): boolean {
  const rest = argv[0] === 'marketplace' ? argv.slice(1) : argv;
  return rest.length === 1 && VERSION_WORDS.has(rest[0] ?? '');
}

/** The help that fits the line: the command's or group's own (`ggen marketplace install --help`), else the marketplace's. */
function helpFor(argv: readonly string[], table: CommandTable): string {
  const matched = matchedCommand(argv, table);
  if (matched !== undefined) return `ggen ${argv.slice(0, matched.words).join(' ')} --help`;
  if (argv[0] === 'marketplace' && table.groups.has(argv[1] ?? '')) return `ggen marketplace ${argv[1] ?? ''} --help`;
  return 'ggen marketplace --help';
}

/**
 * A first word that is not `ggen`'s: a marketplace command typed without `marketplace`
 * (`ggen search rust`), or a near miss of `marketplace` itself. Said with what was meant.
 */
function topLevelMistake(argv: readonly string[], table: CommandTable): { message: string; hint: string } | undefined {
  const word = argv[0];
  if (word === undefined || word.startsWith('-') || word === 'marketplace' || word === 'completion') return undefined;
  const names = [
    ...table.commands.flatMap((spec) => [spec.command.split(' ')[0] ?? '', ...(spec.aliases ?? [])]),
    ...table.groups.keys(),
  ];
  if (names.includes(word)) {
    const meant = ['ggen', 'marketplace', ...argv].join(' ');
    return {
      message: `Unknown command '${word}'. Did you mean: ${meant}?`,
      hint: `see ggen marketplace ${word} --help`,
    };
  }
  const guess = nearestWord(word, ['marketplace', 'completion', ...names.filter((name) => name.length > 2)]);
  if (guess === undefined) return { message: `Unknown command '${word}'`, hint: 'see ggen --help' };
  const meant = ['marketplace', 'completion'].includes(guess) ? `ggen ${guess}` : `ggen marketplace ${guess}`;
  return { message: `Unknown command '${word}'. Did you mean ${meant}?`, hint: `see ${meant} --help` };
}

/** The commands and groups a build serves, as yargs registers them. */
export interface CommandTable {
  commands: AnyCommandSpec[];
  groups: Map<string, CommandGroup>;
  available: (spec: AnyCommandSpec) => boolean;
}

export function commandTable(features: FeatureSet): CommandTable {
  // Commands that need one backend's code come from that build's entry file, so that no
  // bundle imports what its feature set excludes. Groups register their own subcommands;
  // two groups of one name (from different modules) are one group, as yargs keeps only
  // the last of two commands that share a name.
  const available = (spec: AnyCommandSpec): boolean => spec.available?.(features) ?? true;
  const commands: AnyCommandSpec[] = [];
  const groups = new Map<string, CommandGroup>();
  for (const entry of [...COMMANDS, ...((features.commands ?? []) as CommandEntry[])]) {
    if (!isGroup(entry)) {
      if (available(entry)) commands.push(entry);
      continue;
    }
    const known = groups.get(entry.group);
    groups.set(entry.group, {
      ...entry,
      ...(known?.base === undefined ? {} : { base: known.base }),
      subcommands: [...(known?.subcommands ?? []), ...entry.subcommands.filter(available)],
    });
  }
  return { commands, groups, available };
}

type Handle = (spec: AnyCommandSpec, args: GlobalArgs & Record<string, unknown>) => Promise<void>;

/** yargs' parser of `argv` over the table's commands; `handle` runs the command it matches. */
export async function yargsParser(argv: string[], table: CommandTable, handle: Handle): Promise<Argv<GlobalArgs>> {
  // A command's flags first, then its positionals and examples.
  const build =
    (spec: AnyCommandSpec) =>
    (y: Argv<GlobalArgs>): Argv<GlobalArgs> =>
      spec.builder(y.options((spec.options ?? {}) as CommandOptions) as Argv<GlobalArgs>) as Argv<GlobalArgs>;
  const register = (parent: Argv<GlobalArgs>, spec: AnyCommandSpec): Argv<GlobalArgs> =>
    parent.command<GlobalArgs>({
      command: spec.command,
      ...(spec.aliases === undefined ? {} : { aliases: spec.aliases }),
      describe: spec.describe,
      builder: build(spec),
      handler: (args: GlobalArgs & Record<string, unknown>) => handle(spec, args),
    });

  const { default: yargs } = await import('yargs');
  const parserOf = (words: string[], name: string): Argv<GlobalArgs> => {
    let parser = yargs(words).scriptName(name).strict() as unknown as Argv<GlobalArgs>;
    for (const [key, option] of Object.entries(GLOBAL_OPTIONS))
      parser = parser.option(key, { ...option, global: true });
    return parser
      .help()
      .alias('h', 'help')
      .version(false)
      .wrap(Math.min(110, process.stdout.columns || 100))
      .fail((message: string | undefined, error: Error | undefined) => {
        if (error !== undefined) throw error;
        throw Object.assign(new Error(explainUsage(message ?? 'usage error', argv, table)), { usage: true });
      });
  };

  // The command table is read first: a line that names a command is parsed by yargs for that
  // command alone, as the default command of a parser of the rest of the line; help, a group
  // without its subcommand and an unknown command get the whole tree.
  const matched = matchedCommand(argv, table);
  if (matched !== undefined && !argv.includes('--help') && !argv.includes('-h')) {
    const { spec, words } = matched;
    return parserOf(argv.slice(words), `ggen ${argv.slice(0, words).join(' ')}`).command<GlobalArgs>({
      command: ['$0', ...spec.command.split(' ').slice(1)].join(' '),
      describe: spec.describe,
      builder: build(spec),
      handler: (args: GlobalArgs & Record<string, unknown>) => handle(spec, args),
    });
  }

  return parserOf(argv, 'ggen')
    .command('marketplace', 'Search, install and publish gpacks', (marketplace: Argv<GlobalArgs>) => {
      let builder = marketplace;
      for (const spec of table.commands) builder = register(builder, spec);
      for (const { group: name, describe, base, subcommands } of table.groups.values()) {
        if (subcommands.length === 0) {
          // A group none of whose subcommands this build serves is its own command, or nothing.
          if (base !== undefined && table.available(base)) builder = register(builder, base);
          continue;
        }
        const names = subcommands.map((member) => member.command.split(' ')[0] ?? '').join(', ');
        const group = (parent: Argv<GlobalArgs>): Argv<GlobalArgs> => {
          let sub = base === undefined ? parent : (base.builder(parent) as Argv<GlobalArgs>);
          for (const member of subcommands) sub = register(sub, member);
          return base === undefined ? sub.demandCommand(1, `Name a ${name} subcommand: ${names}`) : sub;
        };
        builder =
          base === undefined
            ? builder.command(name, `Subcommands: ${names}. ${describe}`, group)
            : register(builder, { ...base, builder: group });
      }
      return builder.demandCommand(1, 'Name a marketplace command; see ggen marketplace --help');
    })
    .demandCommand(1, 'Name a command; see ggen --help')
    .completion('completion', 'Print a shell completion script: ggen completion >> ~/.bashrc (or ~/.zshrc)');
}

/**
 * A usage error that names what was wrong and what was probably meant: the unknown word and the
 * nearest command (or flag of the command), by edit distance, as cargo and git do.
 */
function explainUsage(message: string, argv: readonly string[], table: CommandTable): string {
  const commands = [
    ...table.commands.flatMap((spec) => [spec.command.split(' ')[0] ?? '', ...(spec.aliases ?? [])]),
    ...table.groups.keys(),
  ];
  const flags = [
    ...Object.keys(GLOBAL_OPTIONS),
    ...Object.keys((matchedCommand(argv, table)?.spec.options ?? {}) as CommandOptions),
  ];
  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  if (unknown === null) return message;
  const words = (unknown[1] ?? '').split(', ');
  // The word where a command goes: the rest are its arguments, and say nothing more.
  const commandWord = argv[0] === 'marketplace' ? argv[1] : undefined;
  if (commandWord !== undefined && words.includes(commandWord)) {
    const guess = nearestWord(
      commandWord,
      commands.filter((name) => name.length > 2),
    );
    return `Unknown command '${commandWord}'${guess === undefined ? '' : `. Did you mean ${guess}?`}`;
  }
  return words
    .map((word) => {
      if (argv.some((arg) => arg === `--${word}` || arg.startsWith(`--${word}=`) || arg === `-${word}`)) {
        const guess = nearestWord(word, flags);
        return `Unknown flag --${word}${guess === undefined ? '' : `. Did you mean --${guess}?`}`;
      }
      return `Unexpected argument '${word}'`;
    })
    .join('; ');
}

/** The command (or group subcommand) a line names, as far as its first words say. */
function matchedCommand(
  argv: readonly string[],
  table: CommandTable,
): { spec: AnyCommandSpec; words: number } | undefined {
  if (argv[0] !== 'marketplace') return undefined;
  const named = (specs: readonly AnyCommandSpec[], word: string | undefined): AnyCommandSpec | undefined =>
    specs.find((spec) => spec.command.split(' ')[0] === word || spec.aliases?.includes(word ?? '') === true);
  const group = table.groups.get(argv[1] ?? '');
  if (group === undefined) {
    const spec = named(table.commands, argv[1]);
    return spec === undefined ? undefined : { spec, words: 2 };
  }
  const member = named(group.subcommands, argv[2]);
  if (member !== undefined) return { spec: member, words: 3 };
  // A group's own command: only where this build serves it and no subcommand was meant.
  return group.base !== undefined && table.available(group.base) && (argv[2] === undefined || argv[2].startsWith('-'))
    ? { spec: group.base, words: 2 }
    : undefined;
}

/**
 * The debug log of --verbose (pino, to stderr). Without --verbose nothing is logged (the
 * backends log at info, below the default level), so pino is not even loaded: its module and
 * its destination would cost every command their load.
 */
async function debugLogger(): Promise<Logger> {
  const { pino } = await import('pino');
  return pino({ level: 'debug', base: undefined }, pino.destination({ dest: 2, sync: true }));
}
