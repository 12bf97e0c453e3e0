#!/usr/bin/env node
// The same CLI as bin/ggen.cjs (the package's bin), for scripts and aliases that name this file.
await import('../dist/parallel/launcher.cjs');
