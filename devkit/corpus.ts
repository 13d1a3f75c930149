import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The shared real-world test mail (see its SOURCES.md): `shared/corpus/` beside the repository, as
 * every developer machine and CI has it, or the folder named by `ANSHIN_CORPUS_DIR`. A missing
 * corpus fails the tests that need it instead of skipping them.
 */
const CORPUS_DIR: URL = process.env.ANSHIN_CORPUS_DIR
  ? new URL(`file://${process.env.ANSHIN_CORPUS_DIR.replace(/\/?$/, '/')}`)
  : new URL('../../shared/corpus/', import.meta.url);

/** Paths of every corpus message, relative to {@link CORPUS_DIR}, from its MANIFEST.tsv. */
export function corpusPaths(): string[] {
  const manifest = new URL('MANIFEST.tsv', CORPUS_DIR);
  if (!existsSync(manifest)) {
    throw new Error(`the shared mail corpus is missing: expected ${fileURLToPath(manifest)} (or set ANSHIN_CORPUS_DIR)`);
  }
  return readFileSync(manifest, 'utf8')
    .split('\n')
    .slice(1)
    .map((row) => row.split('\t')[0] ?? '')
    .filter(Boolean);
}

export function readCorpusMessage(path: string): Buffer {
  return readFileSync(new URL(path, CORPUS_DIR));
}
