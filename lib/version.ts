import { readFileSync } from 'node:fs';

/** The project's version (package.json), published as a stack output so `anshin status` can compare. */
export const ANSHIN_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
