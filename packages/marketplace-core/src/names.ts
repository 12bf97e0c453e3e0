import { join } from 'node:path';
import semverValid from 'semver/functions/valid.js';
import semverValidRange from 'semver/ranges/valid.js';
import { MarketplaceError } from './errors.js';

/**
 * The one rule for package names, used by every reader: manifests, the v1 index, the v2
 * catalog, the lockfile, archives and whatever a registry sends over the network. A name is
 * lowercase letters, digits, `.`, `_` and `-`, starting with a letter or digit, optionally in a
 * scope (`@scope/name`, npm's and JSR's shape); 214 characters at most. Bare names
 * (`hello-world`) and dotted ids (`io.ggen.rust.models`) stay valid. No segment can be `.` or
 * `..`, so `join(packagesDir, name)` always stays inside `packagesDir` (a scoped pack lives in
 * `<packagesDir>/@scope/name`).
 */
const SEGMENT = '[a-z0-9][a-z0-9._-]*';
const MAX_NAME_LENGTH = 214;
export const PACKAGE_NAME_PATTERN = new RegExp(`^(?=.{1,${MAX_NAME_LENGTH}}$)(?:@${SEGMENT}/)?${SEGMENT}$`);

/** What is wrong with a name read from outside, or undefined when it is a package name. */
export function packageNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `${JSON.stringify(name)} is not a package name`;
  if (PACKAGE_NAME_PATTERN.test(name)) return undefined;
  if (name.length > MAX_NAME_LENGTH)
    return `'${safeText(name.slice(0, 40))}…' is not a package name: longer than ${MAX_NAME_LENGTH} characters`;
  if (/^@[^/]*$/.test(name))
    return `'${safeText(name)}' is not a package name: a scope needs a name after it (@scope/name)`;
  if (/\\|^\.|\.\.|\0|\/.*\/|^[^@].*\//.test(name)) return `'${safeText(name)}' is not a package name: it names a path`;
  if (/[A-Z]/.test(name))
    return `'${safeText(name)}' is not a package name: names are lowercase ('${safeText(name.toLowerCase())}')`;
  return `'${safeText(name)}' is not a package name`;
}

/**
 * Lowercase for names read from a registry (the ggen corpus writes `Agent-Editor`): ASCII
 * letters only. Unicode case folding would turn a Kelvin sign (U+212A) into `k`, so that an entry
 * named `\u212Ait` would shadow `kit`; folded this way it stays what it is, and is no name.
 */
export function asciiLowerCase(text: string): string {
  return text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

export function isPackageName(name: unknown): name is string {
  return typeof name === 'string' && PACKAGE_NAME_PATTERN.test(name);
}

/** The scope of a scoped name (`@acme` of `@acme/pack`), or undefined for a bare name. */
export function scopeOf(name: string): string | undefined {
  return name.startsWith('@') && name.includes('/') ? name.slice(0, name.indexOf('/')) : undefined;
}

/** A scope as typed (`acme` or `@acme`), checked and given its `@`. */
export function scopeName(text: string): string | undefined {
  const scope = text.startsWith('@') ? text : `@${text}`;
  return new RegExp(`^@${SEGMENT}$`).test(scope) && scope.length < MAX_NAME_LENGTH ? scope : undefined;
}

/** An exact version (1.2.3, 1.0.0-rc.1) as stored by a registry or a lockfile. */
export function isExactVersion(version: unknown): version is string {
  return typeof version === 'string' && semverValid(version) === version;
}

/** A dependency range a registry or manifest may hold. */
export function isVersionRange(range: unknown): range is string {
  return typeof range === 'string' && (range.trim() === '*' || range.trim() === '' || semverValidRange(range) !== null);
}

// C0 and C1 controls (ESC starts terminal sequences), DEL, and the bidi overrides that make text read differently than it is.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text that came from a registry, an archive or a file, made safe for a terminal: control
 * characters (escape sequences, carriage returns, bidi overrides) are shown as `?`. Tabs and
 * newlines stay when `multiline` is set.
 */
export function safeText(text: string, multiline = false): string {
  const cleaned = text.replace(CONTROL, '?');
  return multiline ? cleaned : cleaned.replace(/[\t\n]/g, ' ');
}

/**
 * Where an installed package lives. Every name reaching here was checked by the one name
 * rule where it was read; this last check keeps a path out of the packages directory even if
 * a reader forgot.
 */
export function packageDir(packagesDir: string, name: string): string {
  const problem = packageNameProblem(name);
  if (problem !== undefined) {
    throw new MarketplaceError('GGEN_E_INDEX_INVALID', `Refusing to install or remove ${problem}`, {
      hint: 'Nothing was written. The registry or lockfile that named it is damaged or hostile.',
      details: { package: name },
    });
  }
  return join(packagesDir, name);
}
