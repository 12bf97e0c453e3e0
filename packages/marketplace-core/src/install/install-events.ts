/** What long operations report while they run; the CLI renders these (progress bar, lines). */
export type InstallEvent =
  | { type: 'lock-wait'; pid: number }
  | { type: 'recovered'; action: 'rolled-forward' | 'rolled-back' }
  | { type: 'resolved'; count: number }
  | { type: 'fetch-start'; total: number }
  /** `cached`: the archive came from the archive cache, not the registry. */
  | { type: 'fetched'; name: string; version: string; done: number; total: number; cached?: boolean }
  /** A cache entry whose bytes did not match its integrity: removed, and the archive fetched again. */
  | { type: 'cache-corrupt'; name: string; path: string }
  | { type: 'committed'; count: number }
  | { type: 'deprecated'; name: string; version: string; message: string }
  /** A directory a removal left in place: its files are not what ggen installed there. */
  | { type: 'kept'; name: string; path: string };

export type InstallEvents = (event: InstallEvent) => void;
