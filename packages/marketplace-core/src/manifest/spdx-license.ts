import parseSpdx from 'spdx-expression-parse';
import correctSpdx from 'spdx-correct';

/**
 * What is wrong with a manifest's license, or undefined: an SPDX license expression (`MIT`,
 * `Apache-2.0`, `MIT OR Apache-2.0`, `LicenseRef-...`), or npm's `UNLICENSED` and
 * `SEE LICENSE IN <file>` for terms that have no SPDX id. A near miss names the id meant.
 */
export function licenseProblem(license: string): string | undefined {
  if (license === 'UNLICENSED' || /^SEE LICEN[CS]E IN \S/.test(license)) return undefined;
  try {
    parseSpdx(license);
    return undefined;
  } catch {
    const meant = correctSpdx(license);
    return `an SPDX license id or expression such as MIT, Apache-2.0 or "MIT OR Apache-2.0"; '${license}' is not one${meant === null ? '' : `. Did you mean '${meant}'?`}`;
  }
}
