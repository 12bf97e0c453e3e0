// A `ggen` on PATH for scripts that run commands as a reader types them: a directory holding
// a shell shim that runs the built CLI bundle with this node.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Creates `<dir>/bin/ggen` running `bundle`; returns the bin directory to put first on PATH. */
export function ggenShim(dir, bundle) {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'ggen'), `#!/bin/sh\nexec "${process.execPath}" "${bundle}" "$@"\n`);
  chmodSync(join(bin, 'ggen'), 0o755);
  return bin;
}
