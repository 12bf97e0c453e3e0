import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { workspaceRoot } from './helpers/run-ggen.js';

const run = promisify(execFile);

async function lint(file: string, env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(
      process.execPath,
      [join(workspaceRoot, 'node_modules', 'eslint', 'bin', 'eslint.js'), file],
      {
        cwd: workspaceRoot,
        env: { ...process.env, ...env },
      },
    );
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, output: failed.stdout };
  }
}

describe('module boundaries', () => {
  it('fail lint on a v1 -> v2 import', async () => {
    const result = await lint('packages/marketplace-v1/lint-fixtures/imports-v2.ts');
    expect(result.code).toBe(1);
    expect(result.output).toContain(
      'A project tagged with "scope:v1" can only depend on libs tagged with "scope:core"',
    );
  });

  it('fail lint on a v1 -> v2 import when eslint runs outside Nx, with no project graph cached', async () => {
    // Nx's rule alone warns and skips without a cached graph; the config makes the graph first.
    const result = await lint('packages/marketplace-v1/lint-fixtures/imports-v2.ts', {
      NX_WORKSPACE_DATA_DIRECTORY: mkdtempSync(join(tmpdir(), 'ggen-nx-data-')),
      NX_DAEMON: 'false',
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain(
      'A project tagged with "scope:v1" can only depend on libs tagged with "scope:core"',
    );
  });

  it('allow a v1 -> core import', async () => {
    expect(await lint('packages/marketplace-v1/lint-fixtures/imports-core.ts')).toEqual({ code: 0, output: '' });
  });
});
