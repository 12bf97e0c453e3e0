import { errorClass, MarketplaceError } from '../errors.js';
import type { SignatureInfo } from '../models.js';
import type { PackageSource, VersionCandidate } from './package-source.js';

/**
 * Dependencies across registry formats: the primary registry answers for every name it
 * knows, and only a name it does not know is looked up in the other registry (a v2 pack that
 * depends on a pack only the v1 registry holds). A name the primary has never comes from the
 * other, so this is not dependency confusion; each candidate keeps the backend that served it,
 * the lockfile records it, and each is verified by its own format's rules (a v1 candidate has
 * no signature, so it is refused wherever a signature is required).
 */
export function combineSources(primary: PackageSource, other: PackageSource): PackageSource {
  const owner = (candidate: VersionCandidate): PackageSource =>
    candidate.backend === primary.backend ? primary : other;
  return {
    backend: primary.backend,
    async getVersions(name) {
      const own = await primary.getVersions(name);
      if (own !== null) return own;
      // The other registry is asked as a courtesy: if it cannot answer (unreachable, damaged),
      // the name is simply not there, and the primary's "not found" stands.
      try {
        return await other.getVersions(name);
      } catch (error) {
        if (errorClass(error) === 'backend') return null;
        throw error;
      }
    },
    fetchArchive: (candidate) => owner(candidate).fetchArchive(candidate),
    registryLocation: (backend) => (backend === primary.backend ? primary : other).registryLocation?.(backend),
    readsBackend: (backend) => backend === primary.backend || backend === other.backend,
    verifyArchive(candidate: VersionCandidate, archive: Uint8Array, known?: SignatureInfo): Promise<SignatureInfo> {
      const source = owner(candidate);
      if (source.verifyArchive === undefined) {
        throw new MarketplaceError(
          'GGEN_E_SIGNATURE_MISSING',
          `${candidate.name}@${candidate.version} comes from the ${source.backend} registry, which holds no signatures (it is a dependency that the ${primary.backend} registry does not have)`,
          {
            hint: `Publish ${candidate.name} signed to the ${primary.backend} registry, or install without --verify-signature / require_signatures.`,
            details: { package: candidate.name, backend: source.backend },
          },
        );
      }
      return source.verifyArchive(candidate, archive, known);
    },
  };
}

/**
 * The source an install or update resolves from: the registry alone, or with the other
 * configured registry for the names it lacks when the request allows it (`crossRegistry`).
 */
export function resolutionSource(
  primary: PackageSource,
  other: (() => PackageSource) | undefined,
  crossRegistry: boolean | undefined,
): PackageSource {
  return crossRegistry === true && other !== undefined ? combineSources(primary, other()) : primary;
}
