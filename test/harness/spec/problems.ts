// What the spec tests share: a spec text's problems as people read them ("line:col path: message").
import { fileURLToPath } from 'node:url';
import { parseSpec } from '../../../harness/spec/load.js';
import { SpecError } from '../../../harness/spec/errors.js';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * The spec's problems, none when it loads; any other error is the test's failure. Read as `spec.yaml`
 * with paths from the repository root, or as `file` with paths from its folder.
 */
export async function problems(text: string, file?: string): Promise<string[]> {
  try {
    await parseSpec(text, file ?? 'spec.yaml', file === undefined ? { baseDir: ROOT } : {});
  } catch (e) {
    if (e instanceof SpecError) return e.issues.map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}
