#!/usr/bin/env node
// The default (marketplace-parallel) build of the ggen CLI; build it with `npx nx run cli:build`.
await import('../dist/parallel/ggen.mjs');
