/**
 * HTML built from text that came from outside (names, descriptions, authors, READMEs): every
 * interpolated value is escaped, and control and bidi-override characters are shown as `?`
 * (safeText), so that a name cannot disguise itself or another. Only values made by `html` or
 * `trusted` (the sanitised README) pass through as markup.
 */
import { safeText } from '@ggen/marketplace-core';

const MARKUP = Symbol('markup');

/** A fragment of markup this module made (or the README sanitiser did). */
export interface Markup {
  readonly [MARKUP]: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or attribute value: escaped, with control and bidi characters replaced. */
export function escapeText(value: string): string {
  return safeText(value).replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

type Value = Markup | string | number | undefined | false | null | readonly Value[];

function render(value: Value): string {
  if (value === undefined || value === null || value === false) return '';
  if (Array.isArray(value)) return (value as readonly Value[]).map(render).join('');
  if (typeof value === 'object') return (value as Markup)[MARKUP];
  return escapeText(String(value));
}

/** A template of markup: the literal parts are markup, every `${value}` is text unless it is markup itself. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Markup {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return { [MARKUP]: out };
}

/** Markup produced by the README sanitiser, and nothing else. */
export function trusted(markup: string): Markup {
  return { [MARKUP]: markup };
}

export function toHtml(markup: Markup): string {
  return markup[MARKUP];
}

/** A URL for an href: only http(s) (a repository or homepage link from a manifest), never javascript: or data:. */
export function safeUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** A package's page path: scoped names keep their `@scope/` readable. */
export function packagePath(name: string, version?: string): string {
  // `@` is left as typed (it is safe in a path): `/package/@acme/x`, the address people share.
  const path = `/package/${name
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/^%40/, '@'))
    .join('/')}`;
  return version === undefined ? path : `${path}?version=${encodeURIComponent(version)}`;
}
