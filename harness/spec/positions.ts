// Where a path of a YAML document sits in its text: what puts file:line:col on a spec's and an
// inventory's problems (load.ts and rules.ts both use it; neither imports the other for it).
import { LineCounter, isMap, isSeq, isPair, isScalar, type Document, type Node } from 'yaml';
import type { PathSeg } from './errors.js';

/** Where a path of the document sits in the text. */
export class Positions {
  private readonly lines: LineCounter;
  constructor(private readonly doc: Document, lines: LineCounter, readonly file: string) {
    this.lines = lines;
  }
  /** Line/column of the value at path, or of the key when `key` (unknown keys), or of the nearest existing parent. */
  at(path: readonly PathSeg[], key = false): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let keyNode: unknown = null;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        keyNode = pair.key;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        keyNode = null;
        node = node.items[seg];
      } else break;
    }
    const target = (key && keyNode ? keyNode : node ?? keyNode) as Node | null;
    const offset = target && 'range' in target && target.range ? target.range[0] : 0;
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }
  /** whether the document spells out this exact path */
  has(path: readonly PathSeg[]): boolean {
    return this.doc.hasIn(path);
  }
}
