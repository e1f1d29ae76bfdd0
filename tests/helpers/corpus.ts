// Where the PDF corpus is: CORPUS_DIR, or ../shared/corpus beside the repository (as in CI's
// clone). The one place tests of the front doors find it; never a machine's absolute path.
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const CORPUS_DIR = process.env.CORPUS_DIR ?? path.resolve(repoRoot, '../shared/corpus');

/** A corpus file by its path inside the corpus, e.g. "py-pdf/crazyones-pdfa.pdf". */
export const corpusPath = (relative: string): string => path.join(CORPUS_DIR, relative);
