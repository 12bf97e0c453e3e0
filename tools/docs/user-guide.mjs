#!/usr/bin/env node
// Generates docs/user-guide.md from the CLI itself: every command's --help, and a real example
// of each run in a fresh HOME and working directory with its real output (nothing typed by
// hand). Run after building the CLI: `npx nx run cli:build && node tools/docs/user-guide.mjs`.
// The doc test (packages/cli/test/docs-e2e.test.ts) runs every example again.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_KEYS, ERROR_CODES } from '@ggen/marketplace-core';
import { ggenShim } from '../testing/ggen-shim.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'packages', 'cli', 'dist', 'parallel', 'ggen.mjs');
const home = mkdtempSync(join(tmpdir(), 'ggen-guide-home-'));
const work = mkdtempSync(join(tmpdir(), 'ggen-guide-work-'));
const bin = ggenShim(home, cli);
const env = { PATH: `${bin}:${process.env.PATH}`, HOME: home, CI: 'true', GGEN_KEY_PASSWORD: 'docs-test-password', COLUMNS: '100' };

/** Runs one shell line as the reader would, returning what it printed (home and temp paths shown as ~ and ./). */
function run(line, expectExit = 0) {
  const result = spawnSync('bash', ['-o', 'pipefail', '-c', line], { cwd: work, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== expectExit) throw new Error(`${line}: exit ${result.status}, expected ${expectExit}\n${result.stdout}\n${result.stderr}`);
  const text = `${result.stdout}${result.stderr}`.replaceAll(work, '.').replaceAll(home, '~').trimEnd();
  return text;
}

const block = (lang, text) => `\`\`\`${lang}\n${text}\n\`\`\``;
/** A setup step: shown and run, output not shown. */
const setup = (lines) => {
  for (const line of lines) run(line);
  return block('bash', lines.join('\n'));
};
const example = (line, expectExit = 0) => {
  const output = run(line, expectExit);
  return [block('bash', expectExit === 0 ? line : `${line}  # exit ${expectExit}`), output === '' ? '(prints nothing)' : block('text', output)].join('\n');
};
const help = (command) => block('text', run(`ggen marketplace ${command} --help`).replace(/^ggen /, 'ggen '));

const commands = [
  ['features', 'What this build holds.', [() => example('ggen marketplace features')]],
  ['config show', 'The effective configuration and where each value came from.', [() => example('ggen marketplace config show')]],
  ['init', 'Start a pack: a valid gpack.yaml, a README and a template.', [() => example('ggen marketplace init ./rust-service --description "Scaffolds a Rust service"'), () => example('ggen marketplace validate ./rust-service')]],
  ['validate', 'Check a manifest before publishing; every problem at once.', [
    () => setup(['mkdir -p hello-world/templates', "printf 'name: hello-world\\nversion: 1.0.0\\ndescription: Greets in every language\\nauthor: Ada Lovelace\\nlicense: MIT\\n' > hello-world/gpack.yaml", "echo 'Hello, {{ name }}!' > hello-world/templates/hello.tmpl"]),
    () => example('ggen marketplace validate ./hello-world'),
  ]],
  ['search', 'Search by name, description, tags and keywords; filters and sorting.', [
    () => example('ggen marketplace search "agent memory" --limit 3'),
    () => example('ggen marketplace search --category finance --sort name --limit 3'),
  ]],
  ['categories', 'The categories of the registry with how many packs each has, as --category matches them (without regard to case); a search with no hit in a category suggests the nearest.', [() => example('ggen marketplace categories')]],
  ['info', 'Everything about one package.', [() => example('ggen marketplace info agent-editor'), () => example('ggen marketplace info no-such-pack', 4)]],
  ['install', 'Install packs with their dependencies (alias i). In a project (the nearest directory upwards with a ggen.yaml or ggen.lock) into its gpacks/ with its ggen.lock; elsewhere into ~/.ggen/packages; --target names another directory. With no names, installs exactly the lockfile; --offline installs from the archive cache alone; local edits of installed files are kept unless --force.', [
    () => example('ggen marketplace install agent-reasoning-mcp --dry-run'),
    () => example('ggen marketplace install agent-reasoning-mcp --target ./gpacks'),
    () => example('ggen marketplace install agent-edtior --target ./gpacks', 4),
  ]],
  ['list', 'What is installed, and whether it changed on disk (alias ls); exit 1 when anything drifted, as npm ls.', [() => example('ggen marketplace list --target ./gpacks')]],
  ['update', 'Newest versions within the recorded ranges.', [() => example('ggen marketplace update --target ./gpacks --dry-run')]],
  ['outdated', 'Installed packs with newer versions: current, wanted (within the ranges), latest; exit 1 when any is outdated.', [() => example('ggen marketplace outdated --target ./gpacks')]],
  ['why', 'Why a pack is installed: asked for directly, and which installed packs require it.', [() => example('ggen marketplace why agent-memory-forge --target ./gpacks')]],
  ['remove', 'Remove a pack (and dependencies nothing else needs); aliases rm, uninstall.', [() => example('ggen marketplace remove agent-memory-forge --target ./gpacks', 5), () => example('ggen marketplace remove agent-reasoning-mcp --target ./gpacks')]],
  ['keygen', 'An Ed25519 key pair in minisign format (password from a prompt, stdin or GGEN_KEY_PASSWORD).', [() => example('ggen marketplace keygen --output ~/.ggen/keys/signing.key')]],
  ['verify-key', 'Check a secret key.', [() => example('ggen marketplace verify-key ~/.ggen/keys/signing.key')]],
  ['publish', 'Validate, pack and publish to a registry directory, signed or not.', [
    () => setup(['mkdir -p registry']),
    () => example('ggen marketplace publish ./hello-world --registry ./registry --sign --key ~/.ggen/keys/signing.key --dry-run'),
    () => example('ggen marketplace publish ./hello-world --registry ./registry --sign --key ~/.ggen/keys/signing.key'),
  ]],
  ['sign', 'The deterministic archive and its .minisig, for registries you upload to yourself.', [() => example('ggen marketplace sign --package ./hello-world/gpack.yaml --key ~/.ggen/keys/signing.key --out-dir ./signed')]],
  ['keys', 'Trusted keys; a package\'s owner and revoked keys (keys add / keys revoke rotate them).', [() => example('ggen marketplace keys --package hello-world --registry ./registry')]],
  ['sync', 'Bring the local v2 store up to date (search then works offline for an http registry).', [() => example('ggen marketplace sync')]],
  ['cache ls', 'The archives kept by integrity in ~/.cache/ggen/archives, shared by every project: an install whose archives are kept needs no network (--offline), and a damaged one is fetched again.', [() => example('ggen marketplace cache ls')]],
  ['cache verify', 'Check every kept archive against its integrity; damaged ones are removed (exit 1 when any was).', [() => example('ggen marketplace cache verify')]],
  ['cache clean', 'Remove every kept archive (installed packs stay).', [() => example('ggen marketplace cache clean')]],
  ['sparql', 'Read-only SPARQL over the v2 catalog.', [() => example('ggen marketplace sparql "SELECT (COUNT(?p) AS ?packages) WHERE { ?p a <https://ggen.dev/ns/marketplace#Package> }"')]],
  ['registry migrate', 'A v1 registry (index.json) into a v2 one (catalog.nq and archives).', [
    () => setup(['mkdir -p v1-registry', 'ggen marketplace publish ./hello-world --registry ./v1-registry --backend v1 > /dev/null 2>&1']),
    () => example('ggen marketplace registry migrate --from ./v1-registry --to ./registry-v2'),
  ]],
  ['registry compact', 'Fold the v2 catalog\'s journal of changes (catalog.journal.nq: one entry per publish, yank, deprecation, dist-tag or key change) into catalog.nq, written whole with new statistics. The new catalog is written beside the old while changes go on; the registry\'s lock is held only to put it in place, and the changes that landed meanwhile stay in the journal. A registry server runs it by itself at 64 entries (--compact-at).', [
    () => example('ggen marketplace registry compact --registry ./registry-v2'),
  ]],
  ['registry push', 'Upload the v2 catalog to the configured SPARQL endpoint, of any size: in batches through its Graph Store into a staging graph (resumable: a push cut off continues where it ended), counted, then switched in with one SPARQL Update, so readers see the old catalog or the new one. Needs sparql_graph_store, sparql_user and the password; sparql_update for servers other than Virtuoso.', [() => example('ggen marketplace registry push', 2)]],
  ['registry serve', 'Serve a registry directory over HTTP (Fastify): per-package documents, server-side search, archives, a change feed, the v1 index and v2 catalog as files, a read-only SPARQL endpoint, and publish and lifecycle changes with tokens. With --catalog remote, the catalog is read from the configured SPARQL endpoint, which follows the directory. Runs in the foreground until SIGINT or SIGTERM; see docs/registry-server.md.', []],
  ['registry token', 'Tokens of a registry server, made on the server: random, shown once, stored only as hashes, scoped (read, publish, admin; all packages, an @scope or named packages), expirable, revocable.', [
    () => example('ggen marketplace registry token create ./registry --label ci --package hello-world --expires-in-days 90'),
    () => example('ggen marketplace registry token list ./registry'),
  ]],
  ['login', 'Store a token for a registry server in ~/.ggen/credentials.json (mode 600) once the server accepts it; GGEN_TOKEN overrides it. Needs a running server: see docs/registry-server.md.', []],
  ['whoami', 'The token a registry server sees for you.', [() => example('ggen marketplace whoami http://127.0.0.1:7878', 12)]],
  ['logout', 'Forget a stored token.', [() => example('ggen marketplace logout http://127.0.0.1:7878')]],
  ['metrics', 'Per backend and operation: count, latency percentiles, backend errors, fallbacks.', [() => example('ggen marketplace metrics')]],
  ['compare report', 'What the compare strategy recorded.', [() => setup(['ggen marketplace search "rust web" --backend compare > /dev/null']), () => example('ggen marketplace compare report')]],
  ['rollout status', 'The current phase\'s criteria, judged on the recorded operations.', [() => example('ggen marketplace rollout status')]],
  ['rollout gate', 'The same, as a gate: exit 0 advance, 1 hold, 11 roll back (--prometheus for the fleet).', [() => example('ggen marketplace rollout gate', 1)]],
  ['keys add', 'An owner adds a key to a package (a signed key statement).', [
    () => setup(['ggen marketplace keygen --output ~/.ggen/keys/second.key > /dev/null']),
    () => example('ggen marketplace keys add --package hello-world --public-key ~/.ggen/keys/second.pub --key ~/.ggen/keys/signing.key --registry ./registry'),
  ]],
  ['keys revoke', 'An owner withdraws a key (lost or compromised); the other owners stay.', [() => example('ggen marketplace keys revoke --package hello-world --public-key ~/.ggen/keys/signing.pub --key ~/.ggen/keys/second.key --registry ./registry')]],
  ['dist-tag add', 'Point a tag at a version (`latest` is set by publish); `name@tag` then installs it. Signed by an owner key once the package is owned, written to index.json and catalog.nq.', [() => example('ggen marketplace dist-tag add hello-world@1.0.0 stable --key ~/.ggen/keys/second.key --registry ./registry')]],
  ['dist-tag ls', 'The tags of a package.', [() => example('ggen marketplace dist-tag ls hello-world --registry ./registry')]],
  ['dist-tag rm', 'Remove a tag (latest can only be moved).', [() => example('ggen marketplace dist-tag rm hello-world stable --key ~/.ggen/keys/second.key --registry ./registry')]],
  ['deprecate', 'Mark versions deprecated with a message, shown on install and info; an empty message lifts it.', [
    () => example('ggen marketplace deprecate hello-world "use hello-world 2: it fixes the template paths" --key ~/.ggen/keys/second.key --registry ./registry'),
    () => example('ggen marketplace deprecate hello-world "" --key ~/.ggen/keys/second.key --registry ./registry'),
  ]],
  ['yank', 'Withdraw a version: never chosen for a range again, still installable when named exactly or locked (cargo\'s rule); --undo restores it.', [
    () => example('ggen marketplace yank hello-world@1.0.0 --key ~/.ggen/keys/second.key --registry ./registry'),
    () => example('ggen marketplace yank hello-world@1.0.0 --undo --key ~/.ggen/keys/second.key --registry ./registry'),
  ]],
  ['daemon start', 'Start the resident query service in the background (lookups use it once it runs; only with GGEN_DAEMON=1 do they start it themselves).', [() => example('GGEN_DAEMON_DIR=./service ggen marketplace daemon start')]],
  ['daemon status', 'Whether it runs, and what it holds.', [() => example('GGEN_DAEMON_DIR=./service ggen marketplace daemon status')]],
  ['daemon stop', 'Stop it (it also stops after 10 idle minutes, and when the CLI is rebuilt).', [() => example('GGEN_DAEMON_DIR=./service ggen marketplace daemon stop')]],
  ['daemon serve', 'Run the service in the foreground (what daemon start runs in the background).', []],
];

const out = [];
out.push('# User guide', '');
out.push('Generated by `node tools/docs/user-guide.mjs` from the CLI itself: each command\'s help, then real examples with the output they printed, run in a fresh HOME against the built-in sample registry (77 real ggen packs). `docs-e2e.test.ts` runs every example again, so a renamed flag breaks the build.', '');
out.push('## Every command', '');
out.push(example('ggen --version'), '');
out.push('Shell completion: `ggen completion >> ~/.bashrc` (or `~/.zshrc`) prints a script that completes commands and flags.', '');
out.push(block('text', run('ggen marketplace --help')), '');
const topics = [];
for (const [command, what, examples] of commands) {
  topics.push(`### ${command}`, '', what, '', help(command), '');
  for (const make of examples) topics.push(make(), '');
}
out.push(...topics);
out.push('## Global flags', '', '`--json` prints machine-readable output (errors too: `{ "error": { "code", "message", "hint" } }`); `--quiet` drops notes, warnings and progress (results and errors stay); `--verbose` adds debug logs and stack traces; `--backend` picks the strategy for this command (`v1` and `v2` name exactly one backend); `--registry` a registry directory or http(s) URL (for v1 and v2); `--config` a config file instead of `~/.config/ggen/config.yaml`.', '');
out.push(example('ggen marketplace search agent --limit 1 --json'), '');
out.push(example('ggen marketplace search agent --limit 1 --backend v1 --quiet'), '');
out.push(example('ggen marketplace info agent-editor --backend v1 --registry ./v1-registry', 4), '');
out.push(example("printf 'marketplace:\\n  backend: v1\\n' > other-config.yaml && ggen marketplace config show --config ./other-config.yaml | grep -E '^backend '"), '');
out.push(example('ggen marketplace info no-such-pack --verbose 2>&1 | head -n 3', 4), '');
out.push('## Configuration', '', 'Precedence, lowest first: built-in defaults, the user config (`~/.config/ggen/config.yaml`, or `$XDG_CONFIG_HOME/ggen/config.yaml`, or `--config`), the nearest project `ggen.yaml` (searched from the working directory upwards), `GGEN_MARKETPLACE_<KEY>` variables, flags. Paths in a file are relative to that file. A project file may tighten trust but never loosen it. Every key:', '');
// The README's config block is the one place each key is described; a key missing there fails this generator.
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const configBlock = /## Configuration[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
const described = new Map();
for (const line of configBlock.split('\n')) {
  const match = /^ {2}([a-z0-9_]+):\s*(.*?)\s*(?:#\s*(.*))?$/.exec(line);
  if (match !== null) described.set(match[1], { example: match[2], comment: match[3] ?? '' });
}
const undocumented = CONFIG_KEYS.filter((key) => !described.has(key) && key !== 'sparql_password');
if (undocumented.length > 0) throw new Error(`README's config block does not describe: ${undocumented.join(', ')}`);
out.push('| key | variable | example | what it does |', '|---|---|---|---|');
for (const key of CONFIG_KEYS) {
  const entry = described.get(key) ?? { example: '', comment: 'the SPARQL password; better set as the variable than written in a file' };
  out.push(`| \`${key}\` | \`${key === 'enable_ab_testing' ? 'GGEN_MARKETPLACE_AB_TEST' : `GGEN_MARKETPLACE_${key.toUpperCase()}`}\` | ${entry.example === '' ? '' : `\`${entry.example}\``} | ${entry.comment.replaceAll('|', '\\|')} |`);
}
out.push('');
out.push(example("printf 'marketplace:\\n  backend: v2\\n  fallback_on_error: true\\n' > ggen.yaml && ggen marketplace config show | grep -E '^(backend|fallback_on_error) '"), '');
out.push(setup(['rm ggen.yaml']), '');
out.push('## Exit codes', '', 'Every error prints a stable code, a message and a hint. Exit codes by family:', '');
const families = new Map();
for (const [code, { exitCode, class: kind }] of Object.entries(ERROR_CODES)) families.set(exitCode, [...(families.get(exitCode) ?? []), `\`${code}\` (${kind})`]);
const names = { 2: 'usage, config, keys', 3: 'manifest', 4: 'not found', 5: 'resolution, rollback', 6: 'integrity, archive, signature', 7: 'index, catalog, lockfile', 8: 'network, registry', 9: 'lock, query service', 10: 'disk, permissions' };
out.push('| exit | family | codes |', '|---|---|---|');
for (const exit of [...families.keys()].sort((a, b) => a - b)) out.push(`| ${exit} | ${names[exit] ?? ''} | ${families.get(exit).join(', ')} |`);
out.push('', '`rollout gate` exits 0 on advance, 1 on hold, 11 on roll back. The class says whose failure it is: the caller\'s, the backend\'s (counted in error rates, worth a fallback) or a security verdict (final).', '');
out.push('## Projects, `--target` and the lockfile', '', 'By default packs go to `~/.ggen/packages/<name>/` with `~/.ggen/ggen.lock` beside it. `--target ./gpacks` installs into a project instead, with `./ggen.lock` beside the directory: commit the lockfile. `install --frozen-lockfile` installs exactly the lockfile and fails when it does not satisfy the request. A `ggen.yaml` in the project root holds the project\'s settings (its registry, for instance).', '');
out.push(setup(['ggen marketplace install agent-editor --target ./gpacks > /dev/null']), '');
out.push(example('ggen marketplace install --frozen-lockfile --target ./gpacks'), '');
out.push('## Offline use', '', 'A v2 file registry is read from disk; an http(s) one is synced into the local store (`<cache_dir>/v2-store`) by `ggen marketplace sync`, after which `search` and `info` work without the network. Installs need the archives, so they need the registry.', '');
out.push('## The resident query service', '', '`search` and `info` are handed to a resident service over a private Unix socket when one runs, so a repeated lookup costs little more than node\'s own start. The service is started on purpose: `ggen marketplace daemon start`, or with `GGEN_DAEMON=1` the first lookup starts it; nothing starts it silently. It is not used under `CI` or with `GGEN_DAEMON=0`; `ggen marketplace daemon stop` stops it, and it stops by itself after 10 idle minutes (`daemon serve --idle-timeout <minutes>`) or when the CLI is rebuilt. The launcher sends it only the variables a lookup reads, and only when its directory and socket are this user\'s own.', '');
writeFileSync(join(root, 'docs', 'user-guide.md'), `${out.join('\n').trimEnd()}\n`);
console.log(`wrote docs/user-guide.md (${commands.length} commands)`);
