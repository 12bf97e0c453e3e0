#!/usr/bin/env node
// Bundles one feature build of the ggen CLI with esbuild and fails when the bundle holds
// anything its feature set excludes (checked on esbuild's metafile, not on names in code).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const cliRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workspaceRoot = resolve(cliRoot, '..', '..');

/** What each feature build must not contain: workspace packages and npm packages. */
export const FORBIDDEN = {
  v1: { packages: ['marketplace-v2', 'domain-adapters'], modules: ['oxigraph', 'sparqljs', 'n3', '@noble/ed25519'] },
  v2: { packages: ['marketplace-v1', 'domain-adapters'], modules: [] },
  parallel: { packages: [], modules: [] },
};

/**
 * Modules that libraries import at their top and call only on some paths, each replaced, for
 * every library that imports it, by a stand-in that loads the real module on the first call or
 * property read (esbuild defers a required module's top-level code until the require runs):
 * - string-width (yargs' help layout and cli-progress, in four copies) builds Unicode-property
 *   regular expressions and an Intl.Segmenter when it loads: ~20 ms of ICU work in every
 *   command, though only help, usage and progress text ever measure a string;
 * - node's assert (minizlib's checks of its zlib handle): loading it makes process.stderr, for
 *   a pipe a net.Socket with node:net (~5 ms of every command that reads an archive, under CI).
 * The stand-in is the real export where it is a function, with every other export as a getter.
 */
export const LAZY_FOR_LIBRARIES = ['string-width', 'assert'];

const lazyForLibraries = {
  name: 'lazy-for-libraries',
  setup(build) {
    const filter = new RegExp(`^(${LAZY_FOR_LIBRARIES.join('|')})$`);
    build.onResolve({ filter }, async ({ path, importer, resolveDir, kind, namespace, pluginData }) => {
      // The real module is resolved as esbuild would (this plugin skips its own lookup); ggen's own imports are lazyModules' concern.
      if (pluginData?.real === true || /^packages\/[^/]+\/src\//.test(relative(workspaceRoot, importer))) return undefined;
      const real = await build.resolve(path, { importer, resolveDir, kind, namespace, pluginData: { real: true } });
      if (real.errors.length > 0) return { errors: real.errors };
      // A node module stays node's (required by its name); a library is required from its file,
      // named relative to the workspace: the bundle holds no path of the machine it was built on.
      const external = real.external === true;
      const named = external ? `node:${path}` : relative(workspaceRoot, real.path);
      const module = await import(external ? named : real.path);
      const callable = typeof (module.default ?? module) === 'function';
      const names = Object.keys(module.default ?? module).filter((name) => name !== 'default' && name !== '__esModule');
      return { path: named, namespace: 'lazy-for-libraries', pluginData: { target: external ? named : `./${basename(real.path)}`, callable, names } };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-for-libraries' }, ({ path, pluginData: { target, callable, names } }) => ({
      // An ES module's default export (string-width's) is what its importers call.
      contents: standInSource(target, { callable, names, unwrapDefault: true }),
      resolveDir: path.startsWith('node:') ? workspaceRoot : join(workspaceRoot, dirname(path)),
      loader: 'js',
      pluginData: { real: true },
    }));
  },
};

/**
 * The source of a stand-in for the module `target`: the real one is required on the first call
 * (when `callable`: the stand-in is a function calling the real export) or the first read of one
 * of `names` (getters). `unwrapDefault`: an ES module's default export is the real export.
 */
function standInSource(target, { callable, names, unwrapDefault = false }) {
  const real = unwrapDefault ? "typeof real === 'function' || real.default === undefined ? real : real.default" : 'real';
  return [
    'let real;',
    `const load = () => { real ??= require(${JSON.stringify(target)}); return ${real}; };`,
    ...(callable ? ['module.exports = function lazyStandIn(...args) {', '  return load().apply(this, args);', '};'] : []),
    ...names.map((name) => `Object.defineProperty(module.exports, ${JSON.stringify(name)}, { enumerable: true, get: () => load()[${JSON.stringify(name)}] });`),
    '',
  ].join('\n');
}

/**
 * Libraries that only some commands use, each loaded when a command first touches one of its
 * exports instead of when the bundle starts: zod (a check of a config, lockfile, manifest or
 * answer), n3 (writing or reading N-Quads; a search ranked from the shards never does), yaml
 * (a config file or a manifest), OpenTelemetry (exporting metrics) and cli-progress (a bar on a
 * terminal), and node's fs/promises (writes of a sync, an install or a publish). Their module
 * set-up cost every command ~8 ms. Each import of one gets a stand-in
 * whose exports are getters that require the real module on first use (esbuild defers a required
 * module's top-level code until the require runs). A default import gets a function that calls
 * the real one (the build fails if the real default export is not a function).
 */
export const LAZY_MODULES = [
  'zod',
  'n3',
  'yaml',
  'cli-progress',
  'node:fs/promises',
  '@opentelemetry/exporter-metrics-otlp-http',
  '@opentelemetry/exporter-prometheus',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-metrics',
  'smol-toml',
  'ignore',
  // semver's functions, each a module whose export is the function (imported by default):
  // the regular expressions every one of them needs are built when one is first called.
  /^semver\/(functions|ranges)\/[a-z-]+\.js$/,
];

const lazyModules = {
  name: 'lazy-modules',
  setup(build) {
    const filter = new RegExp(`^(${LAZY_MODULES.map((name) => (typeof name === 'string' ? name.replace(/[/.]/g, '\\$&') : name.source.slice(1, -1))).join('|')})$`);
    build.onResolve({ filter }, async ({ path, importer, resolveDir, kind, namespace, pluginData }) => {
      // Only ggen's own imports: a library that requires another gets the real module, as it expects.
      if (pluginData?.real === true || !/^packages\/[^/]+\/src\//.test(relative(workspaceRoot, importer))) return undefined;
      // Resolved as a require: a package's CommonJS build is wrapped whole by esbuild, while an ES
      // module build still sets up its namespace objects at start-up (zod's ~400 exports, ~5 ms).
      const real = await build.resolve(path, { importer, resolveDir, kind: 'require-call', namespace, pluginData: { real: true } });
      if (real.errors.length > 0) return { errors: real.errors };
      // A node module stays node's (required by its name); a library is bundled from its file.
      const target = real.external === true ? path : real.path;
      const module = await import(target);
      const exported = Object.keys(module).filter((name) => name !== '__esModule' && (name !== 'default' || typeof module.default === 'function'));
      // A stand-in per set of names imported (zod has ~400 exports; ggen imports `z`), every export where that set is not plain to read.
      const imported = kind === 'import-statement' ? importedNames(readFileSync(importer, 'utf8'), path) : undefined;
      const unknown = (imported ?? []).filter((name) => !exported.includes(name));
      if (unknown.length > 0) return { errors: [{ text: `${importer} imports ${unknown.join(', ')} from ${path}, which does not export it` }] };
      if (imported === undefined && exported.includes('default'))
        return { errors: [{ text: `${importer} imports ${path}, whose export is a function, other than as \`import name from\`` }] };
      const names = imported ?? exported;
      // Named relative to the workspace: the bundle holds no path of the machine it was built on.
      const named = real.external === true ? path : relative(workspaceRoot, real.path);
      return { path: `${named}${imported === undefined ? '' : `#${imported.join(',')}`}`, namespace: 'lazy-module', pluginData: { names, target } };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-module' }, ({ path: named, pluginData }) => {
      const path = named.split('#')[0] ?? named;
      return {
        contents: standInSource(pluginData.target, { callable: pluginData.names.includes('default'), names: pluginData.names.filter((name) => name !== 'default') }),
        resolveDir: pluginData.target === path ? workspaceRoot : join(workspaceRoot, dirname(path)),
        loader: 'js',
        pluginData: { real: true },
      };
    });
  },
};

/** The names one `import { a, b as c } from 'module'` of a source takes (type-only ones left out), or undefined when that is not the one form it imports the module in. */
function importedNames(source, module) {
  const quoted = module.replace(/[/.@-]/g, '\\$&');
  const forms = [...source.matchAll(new RegExp(`^import\\s+(type\\s+)?([^;]*?)\\s+from\\s+'${quoted}';`, 'gm'))].filter((match) => match[1] === undefined);
  const clause = forms.length === 1 ? (forms[0]?.[2] ?? '').trim() : '';
  if (/^[A-Za-z_$][\w$]*$/.test(clause)) return ['default'];
  const braces = /^\{([^}]*)\}$/.exec(clause);
  if (braces === null) return undefined;
  const names = (braces[1] ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !part.startsWith('type '))
    .map((part) => part.split(/\s+as\s+/)[0] ?? part);
  return names.length === 0 ? undefined : names.sort();
}

/** How the CLI and its library entry are bundled: one file for Node 20, workspace sources inlined. */
const CLI_BUNDLE = {
  absWorkingDir: workspaceRoot,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@ggen/source'],
  // oxigraph loads its wasm from __dirname, so it stays a runtime import.
  external: ['oxigraph'],
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __ggenCreateRequire } from 'node:module'; const require = __ggenCreateRequire(import.meta.url);" },
  plugins: [lazyForLibraries, lazyModules],
};

/**
 * A build's program (ggen.cjs) is CommonJS: node 20 keeps no compile cache of its own, and
 * V8's code cache (program-loader.ts) takes a script, not an ES module. import.meta.url, the
 * one ES module feature the sources use, is the bundle's own file URL there as well.
 */
const PROGRAM_BUNDLE = {
  ...CLI_BUNDLE,
  format: 'cjs',
  define: { 'import.meta.url': '__ggenImportMetaUrl' },
  banner: { js: "const __ggenImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
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
const { values } = parseArgs({ options: { features: { type: 'string', default: 'parallel' }, outdir: { type: 'string' }, entry: { type: 'string' } } });
const requested = values.features === 'all' ? Object.keys(FORBIDDEN) : [values.features];
for (const features of requested) {
  if (!(features in FORBIDDEN)) {
    console.error(`unknown feature set '${features}': use v1, v2, parallel or all`);
    process.exit(2);
  }
  await bundle(features, values.outdir === undefined ? join(cliRoot, 'dist', features) : resolve(values.outdir, requested.length > 1 ? features : '.'));
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
  });

  asciiOnly(outfile);

  const forbidden = FORBIDDEN[features];
  const violations = [];
  const inputs = Object.keys(result.metafile.inputs);
  if (inputs.length < 10) violations.push(`only ${inputs.length} inputs: paths are not relative to the workspace root, the checks would pass silently`);
  for (const input of inputs) {
    for (const pkg of forbidden.packages) if (input.startsWith(`packages/${pkg}/`)) violations.push(`${input} (package ${pkg})`);
    for (const mod of forbidden.modules) if (input.includes(`node_modules/${mod}/`)) violations.push(`${input} (module ${mod})`);
  }
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imported of output.imports) {
      if (imported.external && forbidden.modules.some((mod) => imported.path === mod || imported.path.startsWith(`${mod}/`))) {
        violations.push(`external import of ${imported.path}`);
      }
    }
  }
  if (violations.length > 0) {
    console.error(`bundle marketplace-${features} contains what its feature set excludes:\n  ${violations.join('\n  ')}`);
    process.exit(1);
  }
  mkdirSync(outdir, { recursive: true });
  writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  // ggen.mjs, what users and tests run: the loader that runs ggen.cjs with the code cache.
  await bundleNodeOnly('program-entry.ts', join(outdir, 'ggen.mjs'));
  if (features === 'parallel' && values.entry === undefined) {
    await bundleNodeOnly('launcher.ts', join(outdir, 'launcher.cjs'), 'cjs');
    await bundleLibrary(join(outdir, '..', 'index.mjs'));
  }
  console.log(`built marketplace-${features}: ${outfile} (${inputs.length} inputs)`);
}

/**
 * The program as ASCII: its loader then reads it as latin1, ~12 ms less per command than
 * decoding 3.5 MB of UTF-8. esbuild already escapes every non-ASCII character in code
 * (charset ascii, its default); what remains is in comments of bundled libraries, where a
 * \u escape changes nothing.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  const escaped = text.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (escaped !== text) writeFileSync(file, escaped);
}

/** The package's library entry (`exports` of @ggen/cli): runCli and the default build's features. */
async function bundleLibrary(outfile) {
  await build({ ...CLI_BUNDLE, entryPoints: [join(cliRoot, 'src', 'index.ts')], outfile });
}

/**
 * A file bundled from node's own modules only: a build's ggen.mjs (the code-cache loader) and
 * the default build's launcher (launcher.cjs, which bin/ggen.cjs loads: CommonJS, since node starts
 * a CommonJS entry ~20 ms sooner than an ES module; it hands lookups to the resident query service).
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
