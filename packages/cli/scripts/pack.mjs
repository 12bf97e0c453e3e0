#!/usr/bin/env node
// Packs @ggen/cli as users install it: `npm pack` of a staging copy that holds what package.json
// `files` lists plus its one runtime dependency, oxigraph, bundled (bundleDependencies), so the
// tarball installs with `npm install -g` on a machine without registry access. Plain `npm pack`
// in packages/cli gives the same package with oxigraph fetched at install time instead.
//   node packages/cli/scripts/pack.mjs [--out <dir>]   (after npx nx run cli:build)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const cliRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { out: { type: 'string', default: '.' } } });
const out = resolve(values.out);
const manifest = JSON.parse(readFileSync(join(cliRoot, 'package.json'), 'utf8'));
for (const required of [
  'dist/parallel/ggen.mjs',
  'dist/parallel/ggen.cjs',
  'dist/parallel/launcher.cjs',
  'dist/index.mjs',
]) {
  if (!existsSync(join(cliRoot, required))) {
    console.error(`${required} is missing: build first (npx nx run cli:build)`);
    process.exit(1);
  }
}
const staging = mkdtempSync(join(tmpdir(), 'ggen-cli-pack-'));
try {
  for (const entry of ['bin', 'dist/parallel', 'sample-registry', 'README.md', 'LICENSE'])
    cpSync(join(cliRoot, entry), join(staging, entry), { recursive: true });
  cpSync(join(cliRoot, 'dist', 'index.mjs'), join(staging, 'dist', 'index.mjs'));
  rmSync(join(staging, 'dist', 'parallel', 'meta.json'), { force: true });
  // The runtime dependencies, copied from where the workspace resolved them.
  const require = createRequire(join(cliRoot, 'package.json'));
  for (const name of manifest.bundleDependencies ?? []) {
    const packageDir = dirname(require.resolve(`${name}/package.json`));
    const version = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version;
    if (version !== manifest.dependencies[name]) {
      console.error(`${name} resolves to ${version}, but package.json pins ${manifest.dependencies[name]}; run npm ci`);
      process.exit(1);
    }
    mkdirSync(join(staging, 'node_modules'), { recursive: true });
    cpSync(packageDir, join(staging, 'node_modules', name), { recursive: true, dereference: true });
  }
  const { devDependencies: _dev, ...published } = manifest;
  writeFileSync(join(staging, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
  mkdirSync(out, { recursive: true });
  const file = execFileSync('npm', ['pack', '--pack-destination', out, '--json'], { cwd: staging, encoding: 'utf8' });
  const [packed] = JSON.parse(file);
  console.log(
    `${join(out, packed.filename)} (${packed.entryCount} files, ${packed.size} bytes; bundled: ${(packed.bundled ?? []).join(', ') || 'none'})`,
  );
} finally {
  rmSync(staging, { recursive: true, force: true });
}
