import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { isPackageName, packageNameProblem, scopeName, scopeOf } from '@ggen/marketplace-core';
import { packageDir } from '../src/names.js';

describe('the one name rule', () => {
  it('takes bare names, dotted ids and @scope/name, lowercase', () => {
    for (const name of [
      'hello-world',
      'io.ggen.rust.models',
      '@acme/web-toolkit',
      '@ggen/auth-user',
      'a',
      '@a/b',
      '@types/babel__core',
    ])
      expect([name, isPackageName(name)]).toEqual([name, true]);
  });

  it('refuses paths, empty scopes, uppercase and overlong names, and says which', () => {
    expect(packageNameProblem('../victim')).toMatch(/names a path/);
    expect(packageNameProblem('@acme/../x')).toMatch(/names a path/);
    expect(packageNameProblem('@acme/x/y')).toMatch(/names a path/);
    expect(packageNameProblem('acme/x')).toMatch(/names a path/);
    expect(packageNameProblem('@./x')).toMatch(/not a package name/);
    expect(packageNameProblem('@acme')).toMatch(/a scope needs a name after it/);
    expect(packageNameProblem('@Acme/Kit')).toMatch(/names are lowercase \('@acme\/kit'\)/);
    expect(packageNameProblem(`@acme/${'x'.repeat(214)}`)).toMatch(/longer than 214/);
    expect(packageNameProblem(42)).toBe('42 is not a package name');
  });

  it('puts a scoped pack in <packages>/@scope/name and never outside', () => {
    expect(packageDir('/p', '@acme/kit')).toBe(join('/p', '@acme', 'kit'));
    expect(() => packageDir('/p', '@acme/..')).toThrow(/Refusing to install or remove/);
  });

  it('knows the scope of a name and reads a scope as typed', () => {
    expect(scopeOf('@acme/kit')).toBe('@acme');
    expect(scopeOf('kit')).toBeUndefined();
    expect(scopeName('acme')).toBe('@acme');
    expect(scopeName('@acme')).toBe('@acme');
    expect(scopeName('@acme/kit')).toBeUndefined();
    expect(scopeName('../x')).toBeUndefined();
  });
});
