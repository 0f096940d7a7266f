/** 1-based line and column of an offset; computed only when printing. */
export interface Position {
  line: number;
  column: number;
}

export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  position(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - this.starts[lo]! + 1 };
  }
  lineText(line: number): string {
    const start = this.starts[line - 1];
    if (start == null) return '';
    const end = this.starts[line] ?? this.text.length + 1;
    return this.text.slice(start, end - 1).replace(/\r$/, '');
  }
  get lineCount(): number {
    return this.starts.length;
  }
}

export type Sources = ReadonlyMap<string, string>;

export function indexer(sources: Sources): (file: string | undefined) => LineIndex | undefined {
  const cache = new Map<string, LineIndex>();
  return (file) => {
    if (file == null) return undefined;
    let idx = cache.get(file);
    if (!idx) {
      const text = sources.get(file);
      if (text == null) return undefined;
      idx = new LineIndex(text);
      cache.set(file, idx);
    }
    return idx;
  };
}
