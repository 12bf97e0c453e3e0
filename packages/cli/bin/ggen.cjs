#!/usr/bin/env node
// The default (marketplace-parallel) build of the ggen CLI; build it with `npx nx run cli:build`.
// The launcher hands search and info to the resident query service, else runs dist/parallel/ggen.cjs.
// CommonJS: node starts a CommonJS entry ~20 ms sooner than an ES module.
require('../dist/parallel/launcher.cjs');
