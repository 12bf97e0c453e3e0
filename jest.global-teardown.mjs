import { rmSync } from 'node:fs';

export default function globalTeardown() {
  const root = process.env.GGEN_TEST_TMP_ROOT;
  if (root !== undefined && root.includes('ggen-test-run-')) rmSync(root, { recursive: true, force: true });
}
