import stringWidth from 'string-width';
import type { Argv, InferredOptionTypes, Options } from 'yargs';
import type { CliContext, GlobalArgs } from './cli-context.js';
import type { FeatureSet } from './features.js';

/** A command's flags, as yargs declares options: said once, read by yargs and by the usage hints. */
export type CommandOptions = Record<string, Options>;
// A command without flags of its own adds no arguments (a type, not an interface: it must fit CommandOptions).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/consistent-type-definitions
type NoOptions = {};

/** The flags every command takes. */
export const GLOBAL_OPTIONS = {
  json: { type: 'boolean', default: false, describe: 'machine-readable output' },
  verbose: { type: 'boolean', default: false, describe: 'debug logs and stack traces' },
  quiet: { type: 'boolean', default: false, describe: 'no notes, warnings or progress: results and errors only' },
  backend: { type: 'string', describe: 'v1 | v2 | v2-with-fallback | ab-test | compare' },
  registry: { type: 'string', describe: 'registry directory or http(s) URL' },
  config: { type: 'string', describe: 'config file instead of ~/.config/ggen/config.yaml' },
  offline: {
    type: 'boolean',
    describe: 'never use the network: cached archives, kept documents and synced catalogs only',
  },
  'prefer-offline': {
    type: 'boolean',
    describe: 'use what is kept on this machine without asking the registry whether it changed',
  },
} as const satisfies CommandOptions;

/**
 * One CLI command: its flags, a builder with positionals and examples, a handler that returns
 * data, and a renderer for people. Only the CLI runner prints: as JSON with --json, else
 * through `render`.
 */
export interface CommandSpec<O extends CommandOptions = NoOptions, A = Record<string, unknown>, R = unknown> {
  command: string;
  describe: string;
  /** Other names of the command (`i` for install), as npm and cargo have them. */
  aliases?: string[];
  /** The command's flags (yargs declares them before the builder runs). */
  options?: O;
  builder: (yargs: Argv<GlobalArgs & InferredOptionTypes<O>>) => Argv<GlobalArgs & A>;
  run: (context: CliContext, args: GlobalArgs & A) => R | Promise<R>;
  render: (result: R, context: CliContext) => string;
  /** Exit code for a result that is not an error but still a failure (e.g. an invalid manifest). */
  exitCode?: (result: R) => number;
  /** Commands appear only in builds that can serve them. */
  available?: (features: FeatureSet) => boolean;
}

/**
 * A command group (`keys`, `registry`, `dist-tag`, `daemon`): its subcommands, and optionally a
 * command of its own (`keys` lists keys; `keys add` rotates). A module registers its own
 * subcommands by exporting its group; builds that hold other members of the same group (the
 * v2 build has `registry push` without `registry migrate`) export groups of the same name,
 * which the runner merges.
 */
/** Any command, whatever its arguments and result: what groups and the runner hold. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- specs differ in argument and result types; the runner treats them alike
export type AnyCommandSpec = CommandSpec<any, any, any>;

export interface CommandGroup {
  group: string;
  describe: string;
  /** What `ggen marketplace <group>` alone runs; without it, the group asks for a subcommand. */
  base?: AnyCommandSpec;
  subcommands: readonly AnyCommandSpec[];
}

export type CommandEntry = AnyCommandSpec | CommandGroup;

export function defineGroup(group: CommandGroup): CommandGroup {
  return group;
}

export const isGroup = (entry: unknown): entry is CommandGroup =>
  typeof entry === 'object' && entry !== null && 'subcommands' in entry;

export const needsBackend = (features: FeatureSet): boolean => features.createBackend !== undefined;

export function defineCommand<const O extends CommandOptions = NoOptions, A = unknown, R = unknown>(
  spec: CommandSpec<O, A, R>,
): CommandSpec<O, A, R> {
  return spec;
}

/** Printable ASCII: one column a character (string-width builds its emoji pattern anew on every call). */
const PLAIN = /^[\x20-\x7e]*$/;

const displayWidth = (text: string): number => (PLAIN.test(text) ? text.length : stringWidth(text));

/** Columns padded by what a terminal shows (CJK wide, emoji, combining marks), not by UTF-16 length. */
export function table(rows: string[][]): string {
  const cellWidths = rows.map((row) => row.map((cell) => displayWidth(cell)));
  const widths: number[] = [];
  for (const row of cellWidths) row.forEach((width, index) => (widths[index] = Math.max(widths[index] ?? 0, width)));
  return rows
    .map((row, at) =>
      row
        .map((cell, index) =>
          index === row.length - 1
            ? cell
            : cell + ' '.repeat(Math.max(0, (widths[index] ?? 0) - (cellWidths[at]?.[index] ?? 0))),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

let graphemes: Intl.Segmenter | undefined;

/**
 * At most `max` columns on a terminal, cut at a whole character (never inside a surrogate pair
 * or a wide one), with '…'. Graphemes are measured one at a time and no further than `max`
 * columns: a registry's description may be of any length.
 */
export function truncate(text: string, max: number): string {
  if (PLAIN.test(text)) return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
  graphemes ??= new Intl.Segmenter();
  let kept = '';
  let keeping = true;
  let width = 0;
  for (const { segment } of graphemes.segment(text)) {
    width += displayWidth(segment);
    if (width > max) return `${kept}…`;
    if (keeping && width <= max - 1) kept += segment;
    else keeping = false;
  }
  return text;
}
