import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { bucketOf, readInstallId } from '@ggen/domain-adapters';

describe('the install id', () => {
  it('is created once in the state directory and read back unchanged', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ggen-state-')), 'nested');
    const id = readInstallId(dir);
    expect(readFileSync(join(dir, 'install-id'), 'utf8').trim()).toBe(id);
    expect(readInstallId(dir)).toBe(id);
  });

  it('replaces contents that are not an id', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ggen-state-'));
    writeFileSync(join(dir, 'install-id'), '../../etc/passwd\n');
    const id = readInstallId(dir);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(readFileSync(join(dir, 'install-id'), 'utf8').trim()).toBe(id);
  });
});

describe('the A/B bucket', () => {
  it('is sticky: the same id always lands in the same bucket 0..99', () => {
    for (const id of ['a', 'b', '3f1c2d9e-0000-4000-8000-000000000000']) {
      const bucket = bucketOf(id);
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(100);
      expect(bucketOf(id)).toBe(bucket);
    }
  });

  it.each([10, 25, 50, 75])('sends %i%% of 10,000 installs to v2, within 1.5 points', (percentage) => {
    let toV2 = 0;
    for (let index = 0; index < 10_000; index += 1) if (bucketOf(`install-${index}`) < percentage) toV2 += 1;
    expect(Math.abs((toV2 / 10_000) * 100 - percentage)).toBeLessThanOrEqual(1.5);
  });

  // Users keep their bucket across an upgrade: the same as node:crypto's SHA-256 gave before.
  it('puts every id in the bucket it had before (SHA-256 as node:crypto computes it)', () => {
    const before = (id: string): number => {
      const digest = createHash('sha256').update(`ggen-ab:${id}`).digest();
      for (let offset = 0; offset + 4 <= digest.length; offset += 4) {
        const word = digest.readUInt32BE(offset);
        if (word < Math.floor(2 ** 32 / 100) * 100) return word % 100;
      }
      throw new Error('all words rejected');
    };
    const ids = Array.from({ length: 2000 }, (_, index) => `3f1c2d9e-${index}-4000-8000-${'é'.repeat(index % 3)}`);
    expect(ids.map(bucketOf)).toEqual(ids.map(before));
  });

  it('spreads ids evenly over all 100 buckets', () => {
    const counts = new Array<number>(100).fill(0);
    for (let index = 0; index < 20_000; index += 1)
      counts[bucketOf(`user-${index}`)] = (counts[bucketOf(`user-${index}`)] ?? 0) + 1;
    // 200 expected per bucket; a chi-square over 99 degrees of freedom stays under 150 at p = 0.001.
    const chiSquare = counts.reduce((sum, count) => sum + (count - 200) ** 2 / 200, 0);
    expect(chiSquare).toBeLessThan(150);
  });
});
