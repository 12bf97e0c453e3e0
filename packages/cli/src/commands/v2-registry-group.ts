import { registryGroup } from './registry-group.js';
import { registryCompactCommand } from './registry-compact-command.js';
import { registryMigrateCommand } from './registry-migrate-command.js';
import { registryPushCommand } from './registry-push-command.js';
import { registryServeCommand, registryTokenCommand } from './registry-serve-command.js';

/** `registry` in the builds that carry v2: migrate, push, compact, serve and token. */
export const v2RegistryGroup = registryGroup(
  registryMigrateCommand,
  registryPushCommand,
  registryCompactCommand,
  registryServeCommand,
  registryTokenCommand,
);
