// NDJSON lines waiting for the prediction log's next flush, grouped by partition and held as
// bytes in Buffers, off the V8 heap.
//
// Why bytes and not the strings: a row waits up to a second for its flush, so it survives one or
// two collections of the young generation, which copy every live object each time — under steady
// traffic a second's worth of rows made each scavenge several milliseconds longer, stalling
// requests. A Buffer's bytes live outside the heap; the line string dies as soon as it is copied.

const CHUNK = 256 * 1024;

interface Part {
  /** Full chunks, then the one being filled. */
  chunks: Buffer[];
  current: Buffer;
  used: number;
  rows: number;
}

export class PendingLines {
  private parts = new Map<string, Part>();
  private count = 0;

  get rows(): number {
    return this.count;
  }

  push(partition: string, line: string): void {
    let p = this.parts.get(partition);
    if (!p)
      this.parts.set(partition, (p = { chunks: [], current: Buffer.allocUnsafe(CHUNK), used: 0, rows: 0 }));
    // A UTF-16 code unit takes at most 3 bytes in UTF-8; one more for the newline.
    const worst = line.length * 3 + 1;
    if (p.current.length - p.used < worst) {
      if (p.used > 0) p.chunks.push(p.current.subarray(0, p.used));
      p.current = Buffer.allocUnsafe(Math.max(CHUNK, worst));
      p.used = 0;
    }
    p.used += p.current.write(line, p.used, 'utf8');
    p.current[p.used++] = 0x0a;
    p.rows++;
    this.count++;
  }

  /** Everything pending, moved into a new PendingLines; this one is empty after. */
  take(): PendingLines {
    const taken = new PendingLines();
    taken.parts = this.parts;
    taken.count = this.count;
    this.parts = new Map();
    this.count = 0;
    return taken;
  }

  /** Put rows taken earlier back, ahead of what arrived since (a flush that failed). */
  restore(taken: PendingLines): void {
    for (const [key, old] of taken.parts) {
      const now = this.parts.get(key);
      if (!now) {
        this.parts.set(key, old);
        continue;
      }
      const head = [...old.chunks, old.current.subarray(0, old.used)];
      now.chunks = [...head, ...now.chunks];
      now.rows += old.rows;
    }
    this.count += taken.count;
  }

  /** Forget a partition's rows (written to a segment), so a later restore does not write them twice. */
  drop(partition: string): void {
    const p = this.parts.get(partition);
    if (!p) return;
    this.parts.delete(partition);
    this.count -= p.rows;
  }

  /** Each partition's NDJSON bytes (newline-terminated lines) and row count. */
  *partitions(): IterableIterator<[string, { bytes: Buffer; rows: number }]> {
    for (const [key, p] of this.parts)
      yield [key, { bytes: Buffer.concat([...p.chunks, p.current.subarray(0, p.used)]), rows: p.rows }];
  }

  /** Every pending line (for reads of rows not yet flushed). */
  lines(): string[] {
    const out: string[] = [];
    for (const [, { bytes }] of this.partitions())
      for (const l of bytes.toString('utf8').split('\n')) if (l !== '') out.push(l);
    return out;
  }
}
