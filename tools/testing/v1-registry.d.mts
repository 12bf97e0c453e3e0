export interface HostilePackage {
  name: string;
  version?: string;
  dependencies?: Record<string, string>;
  archive?: Buffer;
  downloadUrl?: string;
  description?: string;
}
export function integrityOf(bytes: Uint8Array): string;
export function writeV1Registry(packages: HostilePackage[], dir?: string): string;
