// Keeps the packets a core transmitted, for `nf run --output` (bounded correctness runs, not the fast path).
import type { Burst } from './burst.js';

export class Capture {
  private bytes = new Uint8Array(1 << 16);
  private lens = new Int32Array(1024);
  private used = 0;
  count = 0;

  add(b: Burst): void {
    for (let i = 0; i < b.count; i++) {
      const len = b.len[i];
      if (len <= 0) continue;
      if (this.used + len > this.bytes.length) {
        const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.used + len));
        grown.set(this.bytes.subarray(0, this.used));
        this.bytes = grown;
      }
      if (this.count === this.lens.length) {
        const grown = new Int32Array(this.lens.length * 2);
        grown.set(this.lens);
        this.lens = grown;
      }
      this.bytes.set(b.u8.subarray(b.off[i], b.off[i] + len), this.used);
      this.used += len;
      this.lens[this.count++] = len;
    }
  }

  /** Compact copies fit for postMessage transfer. */
  take(): { bytes: Uint8Array; lens: Int32Array } {
    return { bytes: this.bytes.slice(0, this.used), lens: this.lens.slice(0, this.count) };
  }
}
