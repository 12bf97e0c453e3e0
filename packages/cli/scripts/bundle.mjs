#!/usr/bin/env node
// Bundles one feature build of the ggen CLI with esbuild and fails when the bundle holds
// anything its feature set excludes (checked on esbuild's metafile, not on names in code).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const cliRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workspaceRoot = resolve(cliRoot, '..', '..');

/** What each feature build must not contain: workspace packages and npm packages. */
export const FORBIDDEN = {
  v1: { packages: ['marketplace-v2', 'domain-adapters'], modules: ['oxigraph', 'sparqljs', 'n3', '@noble/ed25519'] },
  // Month 6, v1 removed: no v1 backend or adapter. v1's index reader stays for `registry migrate`
  // (an operator converting a last v1 registry); the adapter's strategy table stays whole, its
  // A/B and compare keys refused by the build's config check.
  v2: {
    packages: [],
    modules: [],
    files: ['packages/marketplace-v1/src/v1-backend.ts', 'packages/domain-adapters/src/v1-adapter.ts'],
  },
  parallel: { packages: [], modules: [] },
  // Month 3: the parallel build with v2 serving alone unless a config asks for v1.
  'v2-default': { packages: [], modules: [] },
};

/** How the CLI and its library entry are bundled: one file for Node 20, workspace sources inlined. */
const CLI_BUNDLE = {
  absWorkingDir: workspaceRoot,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@ggen/source'],
  // oxigraph loads its wasm from __dirname, so it stays a runtime import. The registry server
  // (Fastify and its plugins: 1.6 MB, some 45 ms of every command's start if inlined) is a bundle
  // of its own, registry-server.cjs, which only `registry serve` and `registry token` load.
  external: ['oxigraph', '@ggen/registry-server'],
  legalComments: 'none',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __ggenCreateRequire } from 'node:module'; const require = __ggenCreateRequire(import.meta.url);",
  },
};

/**
 * A build's program (ggen.cjs) is CommonJS, required by its entry (program-loader.ts): node
 * starts a CommonJS module sooner than an ES module. import.meta.url, the one ES module feature
 * the sources use, is the bundle's own file URL there as well.
 */
const PROGRAM_BUNDLE = {
  ...CLI_BUNDLE,
  format: 'cjs',
  define: { 'import.meta.url': '__ggenImportMetaUrl' },
  banner: { js: "const __ggenImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

/**
 * OpenTelemetry (its SDK and exporters, some 480 KB) runs only for an OTLP export or `metrics
 * --prometheus`, which load it with `await import('./otel-export.js')` (domain-adapters'
 * otel.ts): a program loads it from a bundle of its own beside it, otel-export.mjs, so that no
 * other command compiles it.
 */
const OTEL_EXPORT = join('packages', 'domain-adapters', 'src', 'metrics', 'otel-export.ts');
const otelApart = {
  name: 'otel-export-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/otel-export\.js$/ }, (args) =>
      args.importer === join(workspaceRoot, dirname(OTEL_EXPORT), 'otel.ts')
        ? { path: './otel-export.mjs', external: true }
        : undefined,
    );
  },
};

/** Bundled files that must hold node's own modules only: each is loaded before anything else, by every command. */
const NODE_ONLY_BUNDLE = {
  absWorkingDir: workspaceRoot,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
};

// --entry bundles another entry file under a feature set's rules (the tests prove a leak fails).
const { values } = parseArgs({
  options: { features: { type: 'string', default: 'parallel' }, outdir: { type: 'string' }, entry: { type: 'string' } },
});
const requested = values.features === 'all' ? Object.keys(FORBIDDEN) : [values.features];
for (const features of requested) {
  if (!(features in FORBIDDEN)) {
    console.error(`unknown feature set '${features}': use v1, v2, parallel, v2-default or all`);
    process.exit(2);
  }
  await bundle(
    features,
    values.outdir === undefined
      ? join(cliRoot, 'dist', features)
      : resolve(values.outdir, requested.length > 1 ? features : '.'),
  );
}

async function bundle(features, outdir) {
  // A build replaces the last one whole: nothing of an older layout stays to be run or packed
  // (only in dist/: an --outdir is the caller's directory).
  if (outdir === join(cliRoot, 'dist', features)) rmSync(outdir, { recursive: true, force: true });
  const outfile = join(outdir, 'ggen.cjs');
  const result = await build({
    ...PROGRAM_BUNDLE,
    entryPoints: [values.entry === undefined ? join(cliRoot, 'src', `main-${features}.ts`) : resolve(values.entry)],
    outfile,
    metafile: true,
    plugins: [otelApart],
  });

  const forbidden = FORBIDDEN[features];
  const violations = [];
  const inputs = Object.keys(result.metafile.inputs);
  if (inputs.length < 10)
    violations.push(
      `only ${inputs.length} inputs: paths are not relative to the workspace root, the checks would pass silently`,
    );
  // What the bundle holds: modules that put code into it (an import whose exports all went unused holds none).
  const holds = new Set(
    Object.values(result.metafile.outputs).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([, use]) => use.bytesInOutput > 0)
        .map(([input]) => input),
    ),
  );
  for (const file of forbidden.files ?? []) if (holds.has(file)) violations.push(`${file} (excluded file)`);
  for (const input of inputs) {
    for (const pkg of forbidden.packages)
      if (input.startsWith(`packages/${pkg}/`)) violations.push(`${input} (package ${pkg})`);
    for (const mod of forbidden.modules)
      if (input.includes(`node_modules/${mod}/`)) violations.push(`${input} (module ${mod})`);
  }
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imported of output.imports) {
      if (
        imported.external &&
        forbidden.modules.some((mod) => imported.path === mod || imported.path.startsWith(`${mod}/`))
      ) {
        violations.push(`external import of ${imported.path}`);
      }
    }
  }
  if (violations.length > 0) {
    console.error(
      `bundle marketplace-${features} contains what its feature set excludes:\n  ${violations.join('\n  ')}`,
    );
    process.exit(1);
  }
  mkdirSync(outdir, { recursive: true });
  writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  const program = Object.values(result.metafile.outputs)[0];
  if (program?.imports.some((imported) => imported.path === './otel-export.mjs'))
    await build({
      ...CLI_BUNDLE,
      entryPoints: [join(workspaceRoot, OTEL_EXPORT)],
      outfile: join(outdir, 'otel-export.mjs'),
    });
  // ggen.mjs, what users and tests run: the entry that requires ggen.cjs.
  await bundleNodeOnly('program-entry.ts', join(outdir, 'ggen.mjs'));
  // Builds with `registry serve` carry the server beside their program (registry-server-loader.ts).
  if (features !== 'v1' && values.entry === undefined)
    await build({
      ...PROGRAM_BUNDLE,
      external: ['oxigraph'],
      entryPoints: [join(workspaceRoot, 'packages', 'registry-server', 'src', 'index.ts')],
      outfile: join(outdir, 'registry-server.cjs'),
    });
  // Builds with v2 carry the worker a sync cuts a catalog in, beside their program (local-store.ts finds it there).
  if (features !== 'v1' && values.entry === undefined)
    await build({
      ...CLI_BUNDLE,
      entryPoints: [join(workspaceRoot, 'packages', 'marketplace-v2', 'src', 'local-store', 'sync-worker.ts')],
      outfile: join(outdir, 'sync-worker.js'),
    });
  if (features === 'parallel' && values.entry === undefined) {
    await bundleNodeOnly('launcher.ts', join(outdir, 'launcher.cjs'), 'cjs');
    await bundleLibrary(join(outdir, '..', 'index.mjs'));
  }
  console.log(`built marketplace-${features}: ${outfile} (${inputs.length} inputs)`);
}

/** The package's library entry (`exports` of @ggen/cli): runCli and the default build's features. */
async function bundleLibrary(outfile) {
  await build({ ...CLI_BUNDLE, entryPoints: [join(cliRoot, 'src', 'index.ts')], outfile });
}

/**
 * A file bundled from node's own modules only: a build's ggen.mjs (its entry) and
 * the default build's launcher (launcher.cjs, which bin/ggen.cjs loads: CommonJS, since node starts
 * a CommonJS entry sooner than an ES module; it hands lookups to the resident query service).
 * Every command pays for what they load.
 */
async function bundleNodeOnly(entry, outfile, format = 'esm') {
  const asScript = format === 'cjs' ? { format, define: PROGRAM_BUNDLE.define, banner: PROGRAM_BUNDLE.banner } : {};
  const result = await build({ ...NODE_ONLY_BUNDLE, ...asScript, entryPoints: [join(cliRoot, 'src', entry)], outfile });
  const foreign = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('packages/cli/src/'));
  if (foreign.length > 0) {
    console.error(`${entry} must hold node's own modules only, but bundles:\n  ${foreign.join('\n  ')}`);
    process.exit(1);
  }
}
