/** The CLI's version (packages/cli/package.json; a test keeps the two equal). Node builtins only import this. */
export const CLI_VERSION = '0.1.0';

/** What `ggen --version` prints, for the launcher and the CLI alike. */
export const versionLine = (build: string): string => `ggen ${CLI_VERSION} (${build})`;
