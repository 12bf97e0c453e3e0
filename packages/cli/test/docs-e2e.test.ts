// Docs that stay true (issue 15): every ```bash block of docs/*.md runs, in order per page, in
// a temp HOME and a temp working directory, with `ggen` the built CLI and the built-in sample
// registry as the fixture. A command expected to fail ends with `# exit N`; any other failure,
// a renamed flag for one, breaks the build. Lines that build the CLI itself (npm, npx, alias)
// are the reader's setup, done here already.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ggenShim } from '../../../tools/testing/ggen-shim.mjs';
import { bundle, workspaceRoot } from './helpers/run-ggen.js';

const docsDir = join(workspaceRoot, 'docs');
const pages = readdirSync(docsDir)
  .filter((name) => name.endsWith('.md'))
  .sort();

/** The page's bash blocks, as one script: expected failures checked, setup lines left out. */
function scriptOf(markdown: string): { script: string; commands: number } {
  const lines: string[] = [];
  let commands = 0;
  for (const match of markdown.matchAll(/```bash\n([\s\S]*?)```/g)) {
    for (const raw of (match[1] ?? '').split('\n')) {
      const line = raw.trimEnd();
      if (/^(npm|npx) |^alias ggen=/.test(line)) continue;
      if (/^\s*(\w+=\S*\s+)*ggen marketplace /.test(line)) commands += 1;
      const expected = /^(.*?)\s+# exit (\d+)$/.exec(line);
      if (expected === null) {
        lines.push(line);
        continue;
      }
      const [, command = '', code = ''] = expected;
      lines.push(
        `set +e; ( ${command} ); status=$?; set -e; if [ "$status" -ne ${code} ]; then echo "expected exit ${code}, got $status: ${command.replaceAll('"', '\\"')}" >&2; exit 1; fi`,
      );
    }
  }
  return { script: lines.join('\n'), commands };
}

const runnable = pages.filter((page) => scriptOf(readFileSync(join(docsDir, page), 'utf8')).commands > 0);

describe('every command in the docs runs', () => {
  it('has the pages of the cutover, with commands to run', () => {
    for (const page of [
      'user-guide.md',
      'migration-runbook.md',
      'publishers-migration.md',
      'performance.md',
      'breaking-changes.md',
      'deprecation-timeline.md',
      'security.md',
      'publishing.md',
      'key-management.md',
    ]) {
      expect(pages).toContain(page);
    }
    expect(runnable).toEqual(
      expect.arrayContaining(['user-guide.md', 'migration-runbook.md', 'publishers-migration.md', 'publishing.md']),
    );
  });

  it('the user guide has a section for every command the help lists', () => {
    const guide = readFileSync(join(docsDir, 'user-guide.md'), 'utf8');
    const help = (args: string[]): string =>
      spawnSync(process.execPath, [bundle('parallel'), 'marketplace', ...args, '--help'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), CI: 'true' },
      }).stdout;
    // The "Commands:" section only: examples also start with "ggen marketplace".
    const listed = (text: string, prefix: string): string[] => {
      const section = /^Commands:\n([\s\S]*?)\n\n/m.exec(text)?.[1] ?? '';
      return [...section.matchAll(new RegExp(`^  ggen marketplace ${prefix}([a-z-]+)`, 'gm'))].map(
        (match) => `${prefix}${match[1] ?? ''}`,
      );
    };
    const top = help([]);
    const commands: string[] = [];
    for (const command of listed(top, '')) {
      // A group ("Subcommands: ...") is its subcommands; a command with subcommands (keys) is both.
      const group = new RegExp(`^  ggen marketplace ${command} +Subcommands:`, 'm').test(top);
      commands.push(...(group ? [] : [command]), ...listed(help([command]), `${command} `));
    }
    expect(commands.length).toBeGreaterThanOrEqual(28);
    expect(commands).toEqual(
      expect.arrayContaining(['search', 'install', 'keys', 'keys add', 'rollout gate', 'daemon serve']),
    );
    expect(commands.filter((command) => !guide.includes(`\n### ${command}\n`))).toEqual([]);
  });

  it.each(runnable)(
    '%s',
    (page) => {
      const { script } = scriptOf(readFileSync(join(docsDir, page), 'utf8'));
      const home = mkdtempSync(join(tmpdir(), 'ggen-docs-home-'));
      const work = mkdtempSync(join(tmpdir(), 'ggen-docs-work-'));
      const bin = ggenShim(home, bundle('parallel'));
      // stdin from /dev/null: bash takes a socket on stdin for rsh and would read bashrc.
      const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: work,
        env: {
          PATH: `${bin}:${process.env.PATH ?? ''}`,
          HOME: home,
          CI: 'true',
          GGEN_KEY_PASSWORD: 'docs-test-password',
          DOCS_FIXTURES: join(workspaceRoot, 'packages', 'cli', 'sample-registry'),
        },
        encoding: 'utf8',
        timeout: 240_000,
      });
      expect({
        page,
        status: run.status,
        stderr: run.status === 0 ? '' : run.stderr.slice(-3000),
        stdout: run.status === 0 ? '' : run.stdout.slice(-2000),
      }).toEqual({
        page,
        status: 0,
        stderr: '',
        stdout: '',
      });
    },
    300_000,
  );
});
