import { resolve } from 'node:path';
import { validatePackageDir, type ValidationReport } from '@ggen/marketplace-core';
import { defineCommand } from '../command-spec.js';

export const validateCommand = defineCommand({
  command: 'validate <dir>',
  describe: 'Validate the package manifest (gpack.yaml, or a legacy package.toml) in a directory',
  builder: (yargs) =>
    yargs
      .positional('dir', { type: 'string', demandOption: true, describe: 'package directory' })
      .example('$0 marketplace validate ./my-gpack', 'report errors and warnings with file and line'),
  run: (context, args) => Promise.resolve(validatePackageDir(resolve(context.io.cwd, args.dir))),
  render: (report: ValidationReport) => {
    const lines = [
      report.valid
        ? `✔ ${report.name ?? ''}@${report.version ?? ''} is valid (${report.format ?? 'manifest'})`
        : `✖ invalid manifest${report.manifestPath === undefined ? '' : ` ${report.manifestPath}`}`,
    ];
    for (const issue of report.issues) {
      const where = issue.line === undefined ? '' : ` (line ${issue.line})`;
      lines.push(
        `  ${issue.severity}${issue.field === undefined ? '' : ` [${issue.field}]`}${where}: ${issue.message}`,
      );
    }
    return lines.join('\n');
  },
  exitCode: (report) => (report.valid ? 0 : 3),
});
