import type {
  BackendMetadata,
  InstalledPackage,
  InstallPaths,
  InstallRequest,
  InstallResult,
  PackageDetails,
  PublishRequest,
  PublishResult,
  RemoveRequest,
  RemoveResult,
  SearchQuery,
  SearchResults,
  UpdateRequest,
  UpdateResult,
  ValidationReport,
} from './models.js';
import type { InstallEvents } from './install/install-events.js';

/**
 * What every registry backend offers. "Not found" is a return value (`null`);
 * a thrown MarketplaceError means something went wrong.
 */
export interface MarketplaceBackend {
  metadata(): BackendMetadata;
  search(query: SearchQuery): Promise<SearchResults>;
  getPackage(name: string, version?: string): Promise<PackageDetails | null>;
  listInstalled(options: InstallPaths): Promise<InstalledPackage[]>;
  install(request: InstallRequest, events?: InstallEvents): Promise<InstallResult>;
  remove(request: RemoveRequest, events?: InstallEvents): Promise<RemoveResult>;
  update(request: UpdateRequest, events?: InstallEvents): Promise<UpdateResult>;
  publish(request: PublishRequest): Promise<PublishResult>;
  validate(dir: string): Promise<ValidationReport>;
}
