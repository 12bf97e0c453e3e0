import semverPrerelease from 'semver/functions/prerelease.js';
import semverRcompare from 'semver/functions/rcompare.js';
import semverSatisfies from 'semver/functions/satisfies.js';
import semverValid from 'semver/functions/valid.js';
import { MarketplaceError } from '../errors.js';
import { isExactVersion, isVersionRange, packageNameProblem, safeText } from '../names.js';
import type { PackageSource, VersionCandidate } from './package-source.js';

export interface ResolveOptions {
  /** Root requirements: name -> semver range. */
  requests: Record<string, string>;
  source: PackageSource;
  noDependencies?: boolean;
  /** Versions to try first (the lockfile's), so that unrelated packages stay put. */
  preferred?: Record<string, string>;
  /** Bound on candidate tries; past it resolution stops with a coded error. */
  maxSteps?: number;
}

export interface Resolution {
  packages: Map<string, VersionCandidate>;
  /** Dependencies before dependents; members of a cycle are adjacent. */
  order: string[];
  cycles: string[][];
}

interface Requirement {
  name: string;
  range: string;
  /** `name@version` of each package from the root down to the one requiring this. */
  chain: string[];
}

interface Failure {
  kind: 'conflict' | 'unsatisfiable';
  message: string;
  details: Record<string, unknown>;
}

/** Deeper chains than this are refused, coded, before they can exhaust the stack or memory. */
const MAX_DEPTH = 1000;

/**
 * What a registry says of a version is checked with the one name rule before the resolver
 * uses it: a name or dependency that is a path (`../x`) would install outside the packages
 * directory, so such an entry is a damaged registry, not a package.
 */
function checkCandidate(candidate: VersionCandidate, requested: string, backend: string): void {
  const problem =
    candidate.name !== requested
      ? `it answers for '${safeText(candidate.name)}'`
      : !isExactVersion(candidate.version)
        ? `version ${JSON.stringify(safeText(candidate.version))} is not a semantic version`
        : Object.entries(candidate.dependencies)
            .map(
              ([name, range]) =>
                packageNameProblem(name) ??
                (isVersionRange(range) ? undefined : `dependency ${name}: '${safeText(range)}' is not a version range`),
            )
            .find((found) => found !== undefined);
  if (problem === undefined) return;
  throw new MarketplaceError(
    'GGEN_E_INDEX_INVALID',
    `The ${backend} registry's entry for ${requested}@${safeText(candidate.version)} is unusable: ${problem}`,
    {
      hint: 'Nothing was installed. The registry metadata is damaged or hostile; report it to the registry owner.',
      details: { package: requested, version: candidate.version, backend },
    },
  );
}

/**
 * Picks one version per package name satisfying every range, newest first, backtracking
 * on conflicts. A conflict error names both chains of requirements that clash.
 */
export async function resolveDependencies(options: ResolveOptions): Promise<Resolution> {
  const { source } = options;
  const maxSteps = options.maxSteps ?? 100_000;
  const versionsCache = new Map<string, VersionCandidate[]>();
  const assignment = new Map<string, { candidate: VersionCandidate; requirement: Requirement }>();
  let steps = 0;
  let failure: Failure | undefined;

  const versionsOf = async (requirement: Requirement): Promise<VersionCandidate[]> => {
    const cached = versionsCache.get(requirement.name);
    if (cached !== undefined) return cached;
    const versions = await source.getVersions(requirement.name);
    if (versions === null) {
      const requiredBy = requirement.chain.at(-1);
      throw new MarketplaceError(
        'GGEN_E_PACKAGE_NOT_FOUND',
        requiredBy === undefined
          ? `Package '${requirement.name}' is not in the registry`
          : `Package '${requirement.name}', a dependency of ${describeChain(requirement.chain)}, is not in the registry`,
        {
          hint:
            requiredBy === undefined
              ? `Check the name with 'ggen marketplace search ${requirement.name}'.`
              : 'The registry entry points at a package that does not exist; install with --no-dependencies, or ask the package owner to fix it.',
          details: { package: requirement.name, chain: requirement.chain },
        },
      );
    }
    for (const candidate of versions) checkCandidate(candidate, requirement.name, source.backend);
    versionsCache.set(requirement.name, versions);
    return versions;
  };

  const solve = async (queue: Requirement[]): Promise<boolean> => {
    // Requirements already met are passed over in a loop, not by recursion: a wide graph
    // (thousands of packages needing one) must not grow the stack.
    let at = 0;
    for (;;) {
      const next = queue[at];
      const existing = next === undefined ? undefined : assignment.get(next.name);
      if (next === undefined || existing === undefined) break;
      if (!satisfies(existing.candidate.version, next.range)) {
        failure = conflictOf(next, existing.requirement);
        return false;
      }
      at += 1;
    }
    const requirement = queue[at];
    if (requirement === undefined) return true;
    const rest = queue.slice(at + 1);
    const versions = await versionsOf(requirement);
    const candidates = orderCandidates(versions, requirement.range, options.preferred?.[requirement.name]);
    if (candidates.length === 0) {
      failure = {
        kind: 'unsatisfiable',
        message: `no version of ${requirement.name} matches ${requirement.range} (${needs(requirement)}); available: ${
          versions
            .map(
              (candidate) =>
                `${candidate.version}${candidate.yanked ? ' (yanked: installs only when named exactly)' : ''}`,
            )
            .join(', ') || 'none'
        }`,
        details: { package: requirement.name, range: requirement.range, chain: requirement.chain },
      };
      return false;
    }
    if (requirement.chain.length >= MAX_DEPTH) {
      throw new MarketplaceError(
        'GGEN_E_RESOLUTION_TOO_COMPLEX',
        `Dependencies nest deeper than ${MAX_DEPTH} levels below ${requirement.chain[0] ?? requirement.name}`,
        {
          hint: 'A chain this deep is a broken or hostile registry entry; install with --no-dependencies, or report it to the registry owner.',
          details: { package: requirement.name, depth: requirement.chain.length },
        },
      );
    }
    for (const candidate of candidates) {
      steps += 1;
      if (steps > maxSteps) {
        throw new MarketplaceError(
          'GGEN_E_RESOLUTION_TOO_COMPLEX',
          `Dependency resolution gave up after ${maxSteps} tries`,
          {
            hint: 'Pin tighter version ranges for the packages you install.',
          },
        );
      }
      assignment.set(requirement.name, { candidate, requirement });
      const chain = [...requirement.chain, `${candidate.name}@${candidate.version}`];
      const added = options.noDependencies
        ? []
        : Object.entries(candidate.dependencies)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([name, range]) => ({ name, range, chain }));
      if (await solve([...rest, ...added])) return true;
      assignment.delete(requirement.name);
    }
    return false;
  };

  const roots = Object.entries(options.requests)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, range]) => ({ name, range, chain: [] }));
  if (!(await solve(roots))) {
    const reason = failure ?? { kind: 'unsatisfiable', message: 'no solution', details: {} };
    throw new MarketplaceError(
      reason.kind === 'conflict' ? 'GGEN_E_RESOLUTION_CONFLICT' : 'GGEN_E_VERSION_NOT_FOUND',
      reason.kind === 'conflict' ? `Conflicting requirements: ${reason.message}` : `Cannot resolve: ${reason.message}`,
      {
        hint:
          reason.kind === 'conflict'
            ? 'Only one version of a package can be installed; relax one of the ranges or install a different version of the package that requires it.'
            : "See the available versions with 'ggen marketplace info <name>'.",
        details: reason.details,
      },
    );
  }
  const packages = new Map([...assignment].map(([name, entry]) => [name, entry.candidate]));
  const { order, cycles } = orderPackages(packages, options.noDependencies ?? false);
  return { packages, order, cycles };
}

/** `*` accepts any version, prereleases included (stable ones are tried first), as npm does for a bare name. */
export function satisfies(version: string, range: string): boolean {
  const trimmed = range.trim();
  if (trimmed === '*' || trimmed === '') return semverValid(version) !== null;
  return semverSatisfies(version, trimmed, { includePrerelease: false }) || trimmed === version;
}

/** A range that names one version: the only kind a yanked version is chosen for (cargo's rule). */
const isExact = (range: string): boolean => semverValid(range.trim()) !== null;

/** The resolver's preference among versions a range allows: stable before prerelease, then newest first. */
function byPreference(a: Pick<VersionCandidate, 'version'>, b: Pick<VersionCandidate, 'version'>): number {
  return (
    Number(semverPrerelease(a.version) !== null) - Number(semverPrerelease(b.version) !== null) ||
    semverRcompare(a.version, b.version)
  );
}

/**
 * The version the resolver picks for a package that all these ranges ask for, nothing being
 * locked: what update moves to, and so what outdated calls wanted. Undefined when none fits.
 */
export function newestWithin<T extends Pick<VersionCandidate, 'version' | 'yanked'>>(
  versions: readonly T[],
  ranges: readonly string[],
): T | undefined {
  return versions
    .filter(
      (candidate) =>
        semverValid(candidate.version) !== null && ranges.every((range) => satisfies(candidate.version, range)),
    )
    .filter((candidate) => !candidate.yanked || ranges.some(isExact))
    .sort(byPreference)[0];
}

function orderCandidates(
  versions: VersionCandidate[],
  range: string,
  preferredVersion: string | undefined,
): VersionCandidate[] {
  const exact = isExact(range);
  const matching = versions
    .filter((candidate) => satisfies(candidate.version, range))
    .filter((candidate) => !candidate.yanked || exact)
    .sort(byPreference);
  if (preferredVersion === undefined) return matching;
  const index = matching.findIndex((candidate) => candidate.version === preferredVersion);
  if (index <= 0) return matching;
  const [first] = matching.splice(index, 1);
  return first === undefined ? matching : [first, ...matching];
}

function conflictOf(requirement: Requirement, existing: Requirement): Failure {
  return {
    kind: 'conflict',
    message: `${needs(requirement)}, ${needs(existing)}`,
    details: {
      package: requirement.name,
      requirements: [
        { chain: requirement.chain, range: requirement.range },
        { chain: existing.chain, range: existing.range },
      ],
    },
  };
}

function describeChain(chain: string[]): string {
  return chain.join(' > ');
}

function needs(requirement: Requirement): string {
  const parent = requirement.chain.at(-1);
  const who = parent === undefined ? 'you asked for' : `${describeChain(requirement.chain)} needs`;
  return `${who} ${requirement.name}@${requirement.range}`;
}

/** Topological order (dependencies first) by Tarjan's strongly connected components. */
function orderPackages(
  packages: Map<string, VersionCandidate>,
  noDependencies: boolean,
): { order: string[]; cycles: string[][] } {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const order: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  const edges = (name: string): string[] =>
    noDependencies
      ? []
      : Object.keys(packages.get(name)?.dependencies ?? {})
          .filter((dep) => packages.has(dep))
          .sort();

  const visit = (name: string): void => {
    index.set(name, counter);
    low.set(name, counter);
    counter += 1;
    stack.push(name);
    onStack.add(name);
    for (const dep of edges(name)) {
      if (!index.has(dep)) {
        visit(dep);
        low.set(name, Math.min(low.get(name) ?? 0, low.get(dep) ?? 0));
      } else if (onStack.has(dep)) {
        low.set(name, Math.min(low.get(name) ?? 0, index.get(dep) ?? 0));
      }
    }
    if (low.get(name) === index.get(name)) {
      const component: string[] = [];
      for (;;) {
        const member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
        if (member === name) break;
      }
      component.sort();
      if (component.length > 1 || edges(name).includes(name)) cycles.push(component);
      order.push(...component);
    }
  };
  for (const name of [...packages.keys()].sort()) if (!index.has(name)) visit(name);
  return { order, cycles };
}
