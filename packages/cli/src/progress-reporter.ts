import type { InstallEvent } from '@ggen/marketplace-core';
import type { SingleBar } from 'cli-progress';
import type { CliContext } from './cli-context.js';

/**
 * Renders install events: a progress bar on a TTY for multi-package work, quiet and
 * line-oriented otherwise. A wait for another process's lock is always said.
 */
export async function createProgressReporter(
  context: CliContext,
  /** Where the change happens, for the line Ctrl-C leaves. */
  packagesDir?: string,
): Promise<{ onEvent: (event: InstallEvent) => void; stop: () => void }> {
  let bar: SingleBar | undefined;
  const terminal = context.terminal;
  // Ctrl-C before the commit point changes nothing (what was staged is cleared by the next
  // command there); after it, the change is complete. The commit is synchronous: no signal lands inside it.
  let committed = false;
  terminal?.keep(() =>
    committed
      ? `the change was already committed${packagesDir === undefined ? '' : ` in ${packagesDir}`}`
      : `nothing was changed${packagesDir === undefined ? '' : ` in ${packagesDir}`}; what was staged is cleared by the next ggen command there`,
  );
  terminal?.onInterrupt(() => bar?.stop());
  const interactive = context.io.isTty && !context.args.json && context.args.quiet !== true;
  // Only a terminal gets a bar: cli-progress (and node's readline under it) loads for it alone.
  const Bar = interactive ? (await import('cli-progress')).SingleBar : undefined;
  return {
    onEvent: (event) => {
      switch (event.type) {
        case 'lock-wait':
          context.notice(`waiting for another ggen process (pid ${event.pid}) to finish in this packages directory...`);
          break;
        case 'recovered':
          context.notice(`recovered an interrupted install (${event.action})`);
          break;
        case 'fetch-start':
          if (Bar !== undefined && event.total > 1) {
            terminal?.stop();
            bar = new Bar({
              format: 'installing [{bar}] {value}/{total} {pkg}',
              stream: process.stderr,
              clearOnComplete: true,
              hideCursor: true,
            });
            bar.start(event.total, 0, { pkg: '' });
          }
          break;
        case 'fetched':
          bar?.update(event.done, { pkg: `${event.name}@${event.version}` });
          break;
        case 'committed':
          committed = true;
          bar?.stop();
          bar = undefined;
          break;
        case 'deprecated':
          context.notice(`warning: ${event.name}@${event.version} is deprecated: ${event.message}`);
          break;
        case 'kept':
          context.notice(
            `kept ${event.path}: its files are not what ggen installed for ${event.name} (changed, or never installed by ggen); remove it yourself if it is yours to remove`,
          );
          break;
        case 'cache-corrupt':
          context.notice(
            `warning: the cached archive of ${event.name} was damaged (${event.path}); removed, fetching it again`,
          );
          break;
        case 'resolved':
          break;
      }
    },
    stop: () => {
      bar?.stop();
    },
  };
}
