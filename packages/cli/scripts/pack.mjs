#!/usr/bin/env node
// Packs @ggen/cli as users install it: `npm pack` of a staging copy that holds what package.json
// `files` lists plus its one runtime dependency, oxigraph, bundled (bundleDependencies), so the
// tarball installs with `npm install -g` on a machine without registry access. Plain `npm pack`
// in packages/cli gives the same package with oxigraph fetched at install time instead.
// Each feature build packs on its own (the builds are the plan's phase-1 switch, and the
// month-3 and month-6 releases): `--features parallel` (the default build, the plan's end
// state) writes ggen-cli-0.1.0.tgz; v1, v2-default and v2 write ggen-cli-<build>-0.1.0.tgz,
// whose `ggen` runs that build. The v1 build carries no oxigraph.
//   node packages/cli/scripts/pack.mjs [--features parallel|v1|v2-default|v2|all] [--out <dir>]   (after npx nx run cli:build)
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BUILDS = ['parallel', 'v1', 'v2-default', 'v2'];
const cliRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { out: { type: 'string', default: '.' }, features: { type: 'string', default: 'parallel' } },
});
const out = resolve(values.out);
const requested = values.features === 'all' ? BUILDS : [values.features];
for (const features of requested) {
  if (!BUILDS.includes(features)) {
    console.error(`unknown feature build '${features}': use ${BUILDS.join(', ')} or all`);
    process.exit(2);
  }
  pack(features);
}

function pack(features) {
  const manifest = JSON.parse(readFileSync(join(cliRoot, 'package.json'), 'utf8'));
  const required = [`dist/${features}/ggen.mjs`, `dist/${features}/ggen.cjs`];
  if (features === 'parallel') required.push('dist/parallel/launcher.cjs', 'dist/index.mjs');
  for (const file of required) {
    if (!existsSync(join(cliRoot, file))) {
      console.error(`${file} is missing: build first (npx nx run cli:build)`);
      process.exit(1);
    }
  }
  // The v1 build runs on node's own modules and its bundle: no runtime dependency.
  if (features === 'v1') {
    delete manifest.dependencies;
    delete manifest.bundleDependencies;
  }
  // The library entry (runCli and the default build's features) is the default build's.
  const library = features === 'parallel';
  if (!library) manifest.exports = { './package.json': './package.json' };
  // package.json's own list (what a plain `npm pack` takes), with this build's directory in place
  // of the default build's; the library entry only where it is packed.
  manifest.files = manifest.files
    .filter((entry) => library || entry !== 'dist/index.mjs')
    .map((entry) => entry.replace(/^dist\/parallel\//, `dist/${features}/`));
  const staging = mkdtempSync(join(tmpdir(), 'ggen-cli-pack-'));
  try {
    for (const entry of ['bin', `dist/${features}`, 'sample-registry', 'README.md', 'LICENSE'])
      cpSync(join(cliRoot, entry), join(staging, entry), { recursive: true });
    if (library) cpSync(join(cliRoot, 'dist', 'index.mjs'), join(staging, 'dist', 'index.mjs'));
    rmSync(join(staging, 'dist', features, 'meta.json'), { force: true });
    if (features !== 'parallel') {
      // The launcher (and its query service) belongs to the default build; another build's ggen is its program.
      rmSync(join(staging, 'bin'), { recursive: true, force: true });
      mkdirSync(join(staging, 'bin'));
      writeFileSync(
        join(staging, 'bin', 'ggen.cjs'),
        `#!/usr/bin/env node\n// The marketplace-${features} build of the ggen CLI.\nvoid import('../dist/${features}/ggen.mjs');\n`,
      );
      chmodSync(join(staging, 'bin', 'ggen.cjs'), 0o755);
    }
    // The runtime dependencies, copied from where the workspace resolved them.
    const require = createRequire(join(cliRoot, 'package.json'));
    for (const name of manifest.bundleDependencies ?? []) {
      const packageDir = dirname(require.resolve(`${name}/package.json`));
      const version = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version;
      if (version !== manifest.dependencies[name]) {
        console.error(
          `${name} resolves to ${version}, but package.json pins ${manifest.dependencies[name]}; run npm ci`,
        );
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
    const filename =
      features === 'parallel' ? packed.filename : packed.filename.replace(/^ggen-cli-/, `ggen-cli-${features}-`);
    if (filename !== packed.filename) renameSync(join(out, packed.filename), join(out, filename));
    console.log(
      `${join(out, filename)} (marketplace-${features}: ${packed.entryCount} files, ${packed.size} bytes; bundled: ${(packed.bundled ?? []).join(', ') || 'none'})`,
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
