import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The checkout the CLI works in: the nearest directory from `start` up holding this project's
 * package.json, so `.local` and `cdk.json` are found from any subdirectory; `start` itself when
 * there is none (the CLI run from elsewhere).
 */
export function projectRoot(start = process.cwd()): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'anshin-relay') return dir;
      } catch {
        // Not this project's manifest; keep looking up.
      }
    }
    if (dirname(dir) === dir) return resolve(start);
  }
}

/** The local stack's data directory: `--data-dir` / `--local-dir`, else `ANSHIN_LOCAL_DIR`, else the checkout's `.local`. */
export function localDataDir(given: string | undefined, env: NodeJS.ProcessEnv = process.env, start = process.cwd()): string {
  const chosen = given ?? env.ANSHIN_LOCAL_DIR;
  return chosen !== undefined && chosen !== '' ? resolve(start, chosen) : join(projectRoot(start), '.local');
}
