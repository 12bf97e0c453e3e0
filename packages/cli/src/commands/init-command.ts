import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { isPackageName, MarketplaceError, packageNameProblem, validatePackageDir } from '@ggen/marketplace-core';
import { defineCommand } from '../command-spec.js';

interface InitResult {
  dir: string;
  name: string;
  files: string[];
}

/** A package name made from a directory name: lowercase, other characters as '-'. */
function nameFrom(dir: string): string {
  const name = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  return isPackageName(name) ? name : 'my-gpack';
}

export const initCommand = defineCommand({
  command: 'init [dir]',
  describe: 'Start a gpack: a valid gpack.yaml, a README and a template, ready to validate and publish',
  options: {
    name: { type: 'string', describe: 'package name (default: from the directory name)' },
    description: { type: 'string', describe: 'one line about the pack' },
    license: { type: 'string', default: 'MIT', describe: 'SPDX license id' },
    yes: {
      type: 'boolean',
      default: false,
      describe: 'take the defaults, ask nothing (init never prompts; kept for npm habits)',
    },
  },
  builder: (yargs) =>
    yargs
      .positional('dir', { type: 'string', describe: 'where (default: the current directory)' })
      .example(
        '$0 marketplace init ./rust-service --description "Scaffolds a Rust service"',
        'then: ggen marketplace validate ./rust-service',
      ),
  run: (context, args): Promise<InitResult> => {
    const dir = resolve(context.io.cwd, args.dir ?? '.');
    // `init @acme/tools` names the pack as typed (a scoped name is also a path: @acme/tools/).
    const typed = args.dir?.startsWith('@') === true ? args.dir.replace(/\/+$/, '') : undefined;
    const name: string = (
      args.name ?? (typed !== undefined && isPackageName(typed) ? typed : nameFrom(dir))
    ).toLowerCase();
    const problem = packageNameProblem(name);
    if (problem !== undefined) {
      throw new MarketplaceError('GGEN_E_USAGE', problem, {
        hint: 'Use lowercase letters, digits, ".", "_" and "-", optionally under a scope: --name rust-service, or --name @acme/rust-service.',
      });
    }
    if (existsSync(join(dir, 'gpack.yaml')) || existsSync(join(dir, 'package.toml'))) {
      throw new MarketplaceError('GGEN_E_USAGE', `${dir} already has a manifest; init writes a new pack only`, {
        hint: `Check it with: ggen marketplace validate ${args.dir ?? '.'}`,
      });
    }
    const description = args.description ?? `The ${name} gpack`;
    const files: [string, string][] = [
      [
        'gpack.yaml',
        [
          // Quoted: a scoped name starts with '@', which YAML reserves.
          `name: ${JSON.stringify(name)}`,
          'version: 0.1.0',
          `description: ${JSON.stringify(description)}`,
          `license: ${args.license}`,
          'templates:',
          '  - templates/hello.tmpl',
          'variables:',
          '  name:',
          '    type: string',
          '    default: world',
          '    description: who is greeted',
          '',
        ].join('\n'),
      ],
      [
        'README.md',
        `# ${name}\n\n${description}\n\nTry it: \`ggen marketplace validate .\`, then publish with \`ggen marketplace publish . --registry <dir>\`.\n`,
      ],
      ['templates/hello.tmpl', 'Hello, {{ name }}!\n'],
    ];
    mkdirSync(join(dir, 'templates'), { recursive: true });
    for (const [file, content] of files) writeFileSync(join(dir, file), content, { flag: 'wx' });
    const report = validatePackageDir(dir);
    if (!report.valid)
      throw new MarketplaceError(
        'GGEN_E_MANIFEST_INVALID',
        `init wrote a manifest that does not validate: ${report.issues.map((issue) => issue.message).join('; ')}`,
        {
          hint: 'This is a bug in ggen; please report it.',
        },
      );
    return Promise.resolve({ dir, name, files: files.map(([file]) => file) });
  },
  render: (result) =>
    [
      `created ${result.name} in ${result.dir}:`,
      ...result.files.map((file) => `  ${file}`),
      `next: ggen marketplace validate ${result.dir}`,
    ].join('\n'),
});
