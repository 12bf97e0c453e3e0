#!/usr/bin/env node
// dist/<build>/ggen.mjs: runs that build's bundle (ggen.cjs beside it).
import { fileURLToPath } from 'node:url';
import { runProgram } from './program-loader.js';

runProgram(fileURLToPath(new URL('ggen.cjs', import.meta.url)), process.env);
