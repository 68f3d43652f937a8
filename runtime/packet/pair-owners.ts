// Which flow left with each translated source (address, port): the front-end's check, packet by
// packet, that NAT instances sharing one pool never hand one pair to two flows. Open addressing over
// typed arrays (no string key); it grows only when a new pair is seen, never per packet.

export class PairOwners {
  private ips: Int32Array;
  /** port + 1; 0 = an empty slot */
  private ports: Int32Array;
  private flows: Int32Array;
  private mask: number;
  /** distinct pairs seen */
  used = 0;
  /** times a flow left with a pair another flow had left with */
  shared = 0;
  /** the first such pair and its two flows */
  first: { ip: number; port: number; flow: number; other: number } | null = null;

  constructor(expected: number) {
    let n = 16;
    while (n < expected * 2) n *= 2;
    this.ips = new Int32Array(n);
    this.ports = new Int32Array(n);
    this.flows = new Int32Array(n);
    this.mask = n - 1;
  }

  private slot(ip: number, port: number): number {
    let h = Math.imul(ip ^ Math.imul(port, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    let i = h & this.mask;
    while (this.ports[i] !== 0 && (this.ips[i] !== ip || this.ports[i] !== port + 1)) i = (i + 1) & this.mask;
    return i;
  }

  /** Flow f left with (ip, port): false when another flow left with it before (the pair was handed out twice). */
  note(ip: number, port: number, f: number): boolean {
    ip |= 0; // kept as int32 words: an address above 127.255.255.255 read either signed or not is one pair
    const i = this.slot(ip, port);
    if (this.ports[i] === 0) {
      this.ips[i] = ip;
      this.ports[i] = port + 1;
      this.flows[i] = f;
      if (++this.used * 2 > this.mask) this.grow();
      return true;
    }
    const other = this.flows[i]!;
    if (other === f) return true;
    this.shared++;
    this.first ??= { ip: ip >>> 0, port, flow: f, other };
    return false;
  }

  private grow(): void {
    const { ips, ports, flows } = this;
    const n = (this.mask + 1) * 2;
    this.ips = new Int32Array(n);
    this.ports = new Int32Array(n);
    this.flows = new Int32Array(n);
    this.mask = n - 1;
    for (let j = 0; j < ports.length; j++) {
      if (ports[j] === 0) continue;
      const i = this.slot(ips[j]!, ports[j]! - 1);
      this.ips[i] = ips[j]!;
      this.ports[i] = ports[j]!;
      this.flows[i] = flows[j]!;
    }
  }
}
