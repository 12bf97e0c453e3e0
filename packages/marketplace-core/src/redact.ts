/**
 * A URL as ggen prints it: any user name and password in it (`http://user:secret@host/`) shown
 * as `***`, so that a config value or an error never puts a credential on a terminal or in a log.
 * Text that is not a URL is returned unchanged.
 */
export function redactUrl(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)([^/@\s]+)@/gi, '$1***@');
}

/** Config keys whose value is a secret: shown as `***` wherever config is printed. */
export const SECRET_CONFIG_KEYS: ReadonlySet<string> = new Set(['sparql_password']);

/** A config value as ggen prints it: a secret as `***`, a URL without its credentials. */
export function printableConfigValue(key: string, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (SECRET_CONFIG_KEYS.has(key)) return '***';
  return typeof value === 'string' ? redactUrl(value) : value;
}
