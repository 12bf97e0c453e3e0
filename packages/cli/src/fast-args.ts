// The arguments of a plain command line, read without yargs. yargs costs every command ~11 ms
// of parsing (it builds the whole command tree, usage and validation for one line) and its
// modules' start-up; most command lines are a command word, its positionals and a few known
// flags. Such a line is read here into exactly the object yargs hands the command's handler
// (test/fast-args.test.ts compares the two over every command). Anything else (help, an
// unknown or repeated flag, a missing value, a short-flag cluster, a value yargs would coerce
// or reject) is declined and goes to yargs, which reads it or explains what is wrong.
import type { Argv } from 'yargs';
import type { GlobalArgs } from './cli-context.js';
import type { AnyCommandSpec } from './command-spec.js';

/** An option as the command builders declare it: the keys they use (anything else is declined). */
export interface OptionFacts {
  type?: 'string' | 'boolean' | 'number';
  array?: boolean;
  alias?: string | readonly string[];
  default?: unknown;
  choices?: readonly unknown[];
  demandOption?: boolean | string;
  describe?: string;
}

const KNOWN_KEYS = new Set(['type', 'array', 'alias', 'default', 'choices', 'demandOption', 'describe']);

/** The flags every command takes: given to yargs from here too, so that the two parsers read one list. */
export const GLOBAL_OPTIONS = {
  json: { type: 'boolean', default: false, describe: 'machine-readable output' },
  verbose: { type: 'boolean', default: false, describe: 'debug logs and stack traces' },
  quiet: { type: 'boolean', default: false, describe: 'no notes, warnings or progress: results and errors only' },
  backend: { type: 'string', describe: 'v1 | v2 | v2-with-fallback | ab-test | compare' },
  registry: { type: 'string', describe: 'registry directory or http(s) URL' },
  config: { type: 'string', describe: 'config file instead of ~/.config/ggen/config.yaml' },
} as const satisfies Record<string, OptionFacts>;

export interface Positional {
  name: string;
  required: boolean;
  variadic: boolean;
  facts: OptionFacts;
}

export interface CommandFacts {
  options: Map<string, OptionFacts>;
  positionals: Positional[];
}

/**
 * What a command's builder declares, read by running it on a recorder instead of yargs. A
 * builder that calls anything but positional, option and example (a check, a conflict, a
 * middleware), or an option key this reader does not know, makes the command yargs' alone.
 */
export function commandFacts(spec: AnyCommandSpec): CommandFacts | undefined {
  const options = new Map<string, OptionFacts>();
  const declared = new Map<string, OptionFacts>();
  const state = { readable: true };
  const record = (target: Map<string, OptionFacts>) => (name: unknown, facts: unknown) => {
    if (typeof name !== 'string' || typeof facts !== 'object' || facts === null || !Object.keys(facts).every((key) => KNOWN_KEYS.has(key))) state.readable = false;
    else target.set(name, facts);
    return recorder;
  };
  const recorder: object = new Proxy(
    {},
    {
      get: (_target, method) => {
        if (method === 'option') return record(options);
        if (method === 'positional') return record(declared);
        if (method === 'example') return () => recorder;
        return () => {
          state.readable = false;
          return recorder;
        };
      },
    },
  );
  spec.builder(recorder as Argv<GlobalArgs>);
  if (!state.readable) return undefined;
  const positionals: Positional[] = [];
  for (const word of spec.command.split(' ').slice(1)) {
    const match = /^([<[])([a-z][a-z0-9-]*)(\.\.)?[>\]]$/.exec(word);
    if (match === null) return undefined;
    const name = match[2] ?? '';
    positionals.push({ name, required: match[1] === '<', variadic: match[3] !== undefined, facts: declared.get(name) ?? {} });
  }
  return { options, positionals };
}

const camel = (name: string): string => name.replace(/-([a-z0-9])/g, (_match, char: string) => char.toUpperCase());

/** Decimal numbers as yargs reads them to the same value; anything else (hex, exponents, signs) is left to yargs. */
const PLAIN_NUMBER = /^(0|[1-9][0-9]{0,14})(\.[0-9]{1,15})?$/;
/** A positional that yargs would read as a number, or as a flag. */
const NOT_PLAIN_WORD = /^(-|[+]?[0-9.])/;

/**
 * The handler arguments of `argv` for one of `specs`, as yargs would give them, or undefined
 * when the line is not plain enough to be sure of that.
 */
export function fastArgs(argv: readonly string[], specs: readonly AnyCommandSpec[]): { spec: AnyCommandSpec; args: GlobalArgs & Record<string, unknown> } | undefined {
  const [group, word] = argv;
  if (group !== 'marketplace' || word === undefined) return undefined;
  const spec = specs.find((candidate) => candidate.command.split(' ')[0] === word || candidate.aliases?.includes(word) === true);
  if (spec === undefined) return undefined;
  const facts = commandFacts(spec);
  if (facts === undefined) return undefined;

  const options = new Map<string, OptionFacts>(Object.entries(GLOBAL_OPTIONS));
  for (const [name, option] of facts.options) {
    if (options.has(name)) return undefined;
    options.set(name, option);
  }
  // Every name a flag may be given by: the option's own, and its aliases.
  const byName = new Map<string, string>();
  for (const [name, option] of options) {
    if (option.type === undefined && option.choices === undefined) return undefined;
    for (const alias of [name, ...aliases(option)]) byName.set(alias, name);
  }
  for (const positional of facts.positionals) if (byName.has(positional.name)) return undefined;

  const given = new Map<string, unknown>();
  const words: string[] = [];
  for (let index = 2; index < argv.length; index += 1) {
    const token = argv[index] ?? '';
    if (!token.startsWith('-')) {
      words.push(token);
      continue;
    }
    const long = token.startsWith('--');
    let flag = long ? token.slice(2) : token.slice(1);
    // A short flag is a single-letter alias (-q), never a cluster (-abc) or an attached value (-qtext).
    if (!long && flag.length !== 1) return undefined;
    let inline: string | undefined;
    const equals = flag.indexOf('=');
    if (long && equals !== -1) {
      inline = flag.slice(equals + 1);
      flag = flag.slice(0, equals);
    }
    let negated = false;
    let name = byName.get(flag);
    if (name === undefined && long && flag.startsWith('no-') && inline === undefined) {
      name = byName.get(flag.slice(3));
      negated = true;
    }
    const option = name === undefined ? undefined : options.get(name);
    if (name === undefined || option === undefined || given.has(name)) return undefined;
    if (option.type === 'boolean') {
      // yargs takes a following true or false as the flag's value: left to it.
      const next = argv[index + 1];
      if (inline !== undefined || next === 'true' || next === 'false') return undefined;
      given.set(name, !negated);
      continue;
    }
    if (negated) return undefined;
    const values: string[] = [];
    if (inline !== undefined) values.push(inline);
    else {
      // An array option takes every word up to the next flag, as yargs does.
      while (index + 1 < argv.length && !(argv[index + 1] ?? '').startsWith('-')) {
        values.push(argv[index + 1] ?? '');
        index += 1;
        if (option.array !== true) break;
      }
    }
    if (values.length === 0 || values.some((value) => value === '')) return undefined;
    const read = values.map((value) => optionValue(option, value));
    if (read.some((value) => value === undefined)) return undefined;
    given.set(name, option.array === true ? read : read[0]);
  }

  const args: Record<string, unknown> = { _: [group, word] };
  const assign = (name: string, option: OptionFacts, value: unknown): void => {
    for (const key of [name, ...aliases(option)]) {
      args[key] = value;
      if (key.includes('-')) args[camel(key)] = value;
    }
  };
  for (const [name, option] of options) {
    if (given.has(name)) assign(name, option, given.get(name));
    else if (option.demandOption !== undefined && option.demandOption !== false) return undefined;
    else if (option.default !== undefined) assign(name, option, option.default);
  }
  for (const positional of facts.positionals) {
    const taken = positional.variadic ? words.splice(0) : words.splice(0, 1);
    if (taken.some((value) => NOT_PLAIN_WORD.test(value)) || (positional.facts.type !== undefined && positional.facts.type !== 'string')) return undefined;
    if (taken.length === 0) {
      if (positional.required || positional.facts.demandOption === true) return undefined;
      if (positional.facts.default !== undefined) assign(positional.name, positional.facts, positional.facts.default);
      continue;
    }
    assign(positional.name, positional.facts, positional.variadic || positional.facts.array === true ? taken : taken[0]);
  }
  // Words no positional takes: yargs (strict) reports them.
  if (words.length > 0) return undefined;
  args.$0 = 'ggen';
  return { spec, args: args as GlobalArgs & Record<string, unknown> };
}

function aliases(option: OptionFacts): readonly string[] {
  if (option.alias === undefined) return [];
  return typeof option.alias === 'string' ? [option.alias] : option.alias;
}

function optionValue(option: OptionFacts, value: string): unknown {
  if (option.choices !== undefined) return option.choices.includes(value) && option.type !== 'number' ? value : undefined;
  if (option.type === 'number') return PLAIN_NUMBER.test(value) ? Number(value) : undefined;
  return value;
}
