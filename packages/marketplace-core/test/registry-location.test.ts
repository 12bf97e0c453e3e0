import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import {
  isHttpLocation,
  isLocationUrl,
  MarketplaceError,
  PUBLISH_LOCK_FILE,
  registryLocation,
  registryWriter,
  resolveLocation,
} from '@ggen/marketplace-core';

// Where a registry lives is decided in one place: every reader and writer asks registryLocation.
describe('registry locations', () => {
  it('tells an http(s) registry from a directory, a file: URL being a directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ggen-location-'));
    expect(registryLocation('https://registry.example/ggen/')).toEqual({
      kind: 'http',
      url: 'https://registry.example/ggen/',
    });
    expect(registryLocation('HTTP://127.0.0.1:8080')).toEqual({ kind: 'http', url: 'HTTP://127.0.0.1:8080' });
    expect(registryLocation(dir)).toEqual({ kind: 'directory', path: dir });
    expect(registryLocation(pathToFileURL(dir).href)).toEqual({ kind: 'directory', path: dir });
    expect(registryLocation('./relative/registry')).toEqual({ kind: 'directory', path: './relative/registry' });
    expect([isHttpLocation('https://x'), isHttpLocation('ftp://x'), isHttpLocation('/srv')]).toEqual([
      true,
      false,
      false,
    ]);
    expect([isLocationUrl('file:///srv'), isLocationUrl('https://x'), isLocationUrl('srv')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(resolveLocation(pathToFileURL(dir).href, 'index.json')).toBe(join(dir, 'index.json'));
    expect(resolveLocation('https://registry.example/ggen', 'index.json')).toBe(
      'https://registry.example/ggen/index.json',
    );
  });

  it('writes only to a directory, under its one lock; an http(s) registry is refused with the coded error', async () => {
    let thrown: unknown;
    try {
      registryWriter('https://registry.example/ggen', 'run yank on');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MarketplaceError);
    expect((thrown as MarketplaceError).code).toBe('GGEN_E_PUBLISH_UNSUPPORTED');
    expect((thrown as MarketplaceError).message).toBe(
      'Cannot run yank on https://registry.example/ggen: this writes registry directories only, not http(s) URLs',
    );

    const dir = mkdtempSync(join(tmpdir(), 'ggen-writer-'));
    const writer = registryWriter(pathToFileURL(dir).href);
    expect(writer.dir).toBe(dir);
    // Two writers of one registry take turns: the second starts after the first ended.
    const order: string[] = [];
    let release: () => void = () => undefined;
    let entered: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const first = writer.locked(async () => {
      order.push('first in');
      expect(existsSync(join(dir, PUBLISH_LOCK_FILE))).toBe(true);
      entered();
      await held;
      order.push('first out');
    });
    await inside;
    const second = registryWriter(dir).locked(() => {
      order.push('second');
      return Promise.resolve();
    });
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second']);
  });
});
