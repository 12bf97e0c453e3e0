import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const corpusDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'ggen-corpus');
export const corpusIndexText = (): string => readFileSync(join(corpusDir, 'registry-index.json'), 'utf8');
export const sampleRegistry = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'cli', 'sample-registry');
