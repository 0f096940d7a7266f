import { isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { JsonPath, Span } from '../diagnostics/diagnostic.ts';

/** One YAML document as loaded: its plain value plus a way back to positions in the file. */
export interface SourceDoc {
  /** Repository-relative POSIX path. */
  readonly file: string;
  /** 0-based index of the document inside the file. */
  readonly index: number;
  readonly value: unknown;
  /** Span of the node at `path`, or of its nearest existing ancestor. `key` prefers the key of a map entry. */
  locate: (path: JsonPath, opts?: { key?: boolean }) => Span | undefined;
}

export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

export function makeSourceDoc(file: string, index: number, doc: Document, value: unknown): SourceDoc {
  return { file, index, value, locate: (path, opts) => locateIn(doc, path, opts?.key ?? false) };
}

/**
 * A document whose value came from the fast parser: positions are recovered only when a
 * diagnostic asks for one, by parsing the file again with `yaml` (once per file). Keeping
 * every AST alive would cost ~50× the memory of the values on large repositories.
 */
export function makeLazySourceDoc(
  file: string,
  index: number,
  value: unknown,
  lazy: () => Document[],
): SourceDoc {
  return {
    file,
    index,
    value,
    locate: (path, opts) => {
      const doc = lazy()[index];
      return doc ? locateIn(doc, path, opts?.key ?? false) : undefined;
    },
  };
}

function spanOf(node: Node | null | undefined): Span | undefined {
  const r = node?.range;
  return r ? { start: r[0], end: Math.max(r[0], r[1]) } : undefined;
}

function locateIn(doc: Document, path: JsonPath, preferKey: boolean): Span | undefined {
  let node: Node | null | undefined = doc.contents;
  let best = spanOf(node);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    let next: Node | null | undefined;
    let keyNode: Node | null | undefined;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (pair) {
        keyNode = pair.key as Node;
        next = pair.value as Node | null;
      }
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg] as Node | undefined;
    }
    if (keyNode == null && next == null) return best;
    const last = i === path.length - 1;
    if (last && preferKey && keyNode) return spanOf(keyNode);
    best = spanOf(next) ?? spanOf(keyNode) ?? best;
    if (next == null) return best;
    node = next;
  }
  return best;
}
