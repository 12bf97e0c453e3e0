// Every test run gets its own temporary root (TMPDIR, read by os.tmpdir()), removed at the end,
// so that fixtures, registries and fake homes never pile up in the machine's /tmp.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function globalSetup() {
  process.env.GGEN_TEST_TMP_ROOT = mkdtempSync(join(tmpdir(), 'ggen-test-run-'));
  process.env.TMPDIR = process.env.GGEN_TEST_TMP_ROOT;
}
