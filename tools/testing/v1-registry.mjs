// Writes a v1 registry directory (index.json + archives) from raw archive bytes, with the
// integrity and checksum an honest registry would list: what a hostile registry serves.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function integrityOf(bytes) {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

export function writeV1Registry(packages, dir = mkdtempSync(join(tmpdir(), 'ggen-v1-registry-'))) {
  mkdirSync(join(dir, 'archives'), { recursive: true });
  const entries = packages.map(
    ({ name, version = '1.0.0', dependencies = {}, archive, downloadUrl, description = `the ${name} pack` }) => {
      const file = `archives/${name.replace(/[^a-z0-9._-]/gi, '_')}-${version}.tgz`;
      if (archive !== undefined) writeFileSync(join(dir, file), archive);
      const bytes = archive ?? Buffer.alloc(0);
      const checksum = createHash('sha256').update(bytes).digest('hex');
      return {
        name,
        version,
        description,
        author: 'tests',
        license: 'MIT',
        dependencies: Object.keys(dependencies),
        download_url: downloadUrl ?? file,
        checksum,
        integrity: integrityOf(bytes),
        versions: [{ version, checksum, integrity: integrityOf(bytes), archive: downloadUrl ?? file, dependencies }],
      };
    },
  );
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({ version: '1.0.0', package_count: entries.length, packages: entries }, null, 2),
  );
  return dir;
}
