import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import { createProjectGraphAsync } from '@nx/devkit';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The boundary rule reads Nx's cached project graph and, where there is none (eslint run on its
// own, a fresh clone, another workspace data directory), only warns and skips. The graph is made
// here first, so the rule runs wherever eslint does, and lint fails when it cannot be made.
await createProjectGraphAsync({ exitOnError: false });

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'packages/*/test/fixtures/**', 'packages/*/bin/**'] },
  {
    // The scripts, benchmarks, gates and test servers (plain ES modules, run by node as they are).
    files: ['**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.strictTypeChecked, ...tseslint.configs.stylisticTypeChecked],
    plugins: { '@nx': nx },
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['packages/*/lint-fixtures/*.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          enforceBuildableLibDependency: false,
          depConstraints: [
            { sourceTag: 'scope:core', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:v1', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:v2', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:adapters', onlyDependOnLibsWithTags: ['scope:core', 'scope:v1', 'scope:v2'] },
            {
              sourceTag: 'scope:server',
              onlyDependOnLibsWithTags: ['scope:core', 'scope:v1', 'scope:v2', 'scope:adapters'],
            },
            {
              sourceTag: 'scope:cli',
              onlyDependOnLibsWithTags: ['scope:core', 'scope:v1', 'scope:v2', 'scope:adapters', 'scope:server'],
            },
          ],
        },
      ],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
          message: "import * as z from 'zod': the named z keeps all of zod (its locales) in the CLI's bundle.",
        },
      ],
    },
  },
  {
    // Tests import their own package by name, as users do (STYLE.md), and may use the
    // workspace's shared test servers in tools/testing.
    files: ['packages/*/test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allowCircularSelfDependency: true,
          allow: ['../../../tools/testing/*'],
          depConstraints: [
            { sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:v1', onlyDependOnLibsWithTags: ['scope:core', 'scope:v1'] },
            { sourceTag: 'scope:v2', onlyDependOnLibsWithTags: ['scope:core', 'scope:v2'] },
            {
              sourceTag: 'scope:adapters',
              onlyDependOnLibsWithTags: ['scope:core', 'scope:v1', 'scope:v2', 'scope:adapters'],
            },
            {
              sourceTag: 'scope:server',
              onlyDependOnLibsWithTags: ['scope:core', 'scope:v1', 'scope:v2', 'scope:adapters', 'scope:server'],
            },
            {
              sourceTag: 'scope:cli',
              onlyDependOnLibsWithTags: [
                'scope:core',
                'scope:v1',
                'scope:v2',
                'scope:adapters',
                'scope:server',
                'scope:cli',
              ],
            },
          ],
        },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
);
