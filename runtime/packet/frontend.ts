// The front-end of several NF instances: what stands, on the local testbed, for a traffic generator
// and the switch in front of a cluster of NF instances. It offers a capture at a fixed rate, sends each
// packet to the live instance its flow hashes to (rendezvous.ts), over one link per instance core
// (link.ts), takes every packet back and checks it:
//   - throughput in fixed buckets (10 ms) of sent, returned, lost and missed packets;
//   - per flow, the source address and port it leaves with (a NAT's translation), packet by packet,
//     so a flow that changes its translation after moving to another instance is seen;
//   - per event (kill, add, remove): which flows moved, when the first of their packets came back from
//     their new instance, and how many packets were lost meanwhile.
// It only says which instance to kill; the process that owns the instances (the harness) kills it.
// Every count is per packet over typed arrays; allocation is per burst (the socket keeps the buffer).
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { FrameReader, LINK, LINK_HEADER, controlFrame, writeDataHeader, type LinkAdopt, type LinkAssign, type LinkHello } from './link.js';
import { flowHash, idHash, owner as rendezvousOwner } from './rendezvous.js';
import type { PcapFrames } from './pcap.js';
import { PairOwners } from './pair-owners.js';
import { formatIPv4 } from './inet.js';

export type ElasticEventKind = 'kill' | 'add' | 'remove';

export interface FrontendOptions {
  socketPath: string;
  frames: PcapFrames;
  /** packets per second, all instances together */
  rate: number;
  warmupMs: number;
  durationMs: number;
  /** width of a throughput bucket */
  bucketMs: number;
  /** every instance id the run names (initial ones first, then added ones), with its pool share index */
  instances: string[];
  /** ids live from the start */
  initial: string[];
  /** cores of every instance process (the same for all) */
  cores: number;
  /** standby processes expected to connect (they are assigned an id on a kill or an add) */
  standbys: number;
  /** takeover (a kill's): a standby takes the dead id (default), or the survivors adopt its partitions as in a scale-in */
  events: { kind: ElasticEventKind; instance: string; atMs: number; takeover?: 'standby' | 'survivors' }[];
  /** most packets in flight per instance core before the front-end counts the rest as missed (a NIC's ring) */
  ringPackets: number;
  /** how long to wait for packets in flight after the last one was sent */
  drainMs: number;
  /** the front-end asks the owner of the processes to kill the process serving an instance (SIGKILL), at once */
  kill(instance: string, pids: number[]): void;
  /** what the owner does itself at a time on this clock (a store node's kill): called with the ms after traffic started */
  timed?: { atMs: number; fire(tMs: number): void }[];
  log(line: string): void;
  /** a NAT: check that no translated source (address, port) leaves on two flows (instances sharing one pool) */
  checkPairs?: boolean;
}

/** What happened around one event. */
export interface EventOutcome {
  kind: ElasticEventKind;
  instance: string;
  /** planned time, s after traffic started */
  at_s: number;
  /** when it was carried out (kill: the SIGKILL), ms after traffic started */
  at_ms: number;
  /** the old instance's link closed (a kill's detection), ms after the event */
  detected_ms: number | null;
  /** the new owner(s) said their state is loaded, ms after the event */
  ready_ms: number | null;
  /** the first packet of a moved flow forwarded by its new instance, ms after the event */
  recovery_ms: number | null;
  /** flows whose instance changed */
  moved_flows: number;
  /** of them, flows with a translation seen before the event and at least one packet seen after */
  checked_flows: number;
  /** of the checked flows, those whose every packet after the move left with the translation they had before */
  kept_flows: number;
  /** packets of checked flows that left with a different source address or port than before the move */
  changed_packets: number;
  /** packets of the moved flows lost: sent while they had no live instance, or in the dead/removed instance's queue */
  lost_packets: number;
  /** what the new instance loaded: entries recovered/adopted (from its READY/ADOPTED) */
  loaded: Record<string, unknown>[];
}

export interface FrontendResult {
  bucket_ms: number;
  /** per bucket from traffic start: sent, returned, lost (no live instance, or in a dead one), nf-dropped, missed (ring full), moved-flow returned */
  series: { sent: number[]; returned: number[]; lost: number[]; nf_dropped: number[]; missed: number[]; moved_returned: number[] };
  sent: number;
  returned: number;
  lost: number;
  nf_dropped: number;
  missed: number;
  /** in the measured window (after the warm-up) */
  window: { sent: number; returned: number; lost: number; missed: number; seconds: number };
  events: EventOutcome[];
  /** flows whose translation ever changed (any time, any cause) */
  changed_flows: number;
  /** with checkPairs: distinct translated (address, port) pairs seen, and times a flow left with a pair another flow had (0: never handed out twice) */
  pairs?: { used: number; shared: number; first: { pair: string; flows: [number, number] } | null };
  /** packets still unanswered when the run ended (counted lost) */
  unanswered: number;
  /** packets in flight to an instance when its links closed mid-run (it may have counted them) */
  lost_in_flight: number;
  per_instance: Record<string, { returned: number; pids: number[] }>;
}

interface Conn {
  id: number;
  sock: net.Socket;
  reader: FrameReader;
  instance: string | null;
  core: number;
  pid: number;
  ready: boolean;
  closed: boolean;
  /** flow index of each packet in flight, FIFO */
  fifo: Int32Array;
  head: number;
  tail: number;
  inflight: number;
  /** outgoing burst being built */
  out: Uint8Array;
  outDv: DataView;
  outCount: number;
  outBytes: number;
  seq: number;
}

const MAX_FRAME = 2048;
const BURST = 32;

export class Frontend {
  private readonly o: FrontendOptions;
  private readonly server: net.Server;
  private readonly conns: Conn[] = [];
  private nextConnId = 1;
  private readonly nflows: number;
  private readonly fhash: Uint32Array;
  private readonly idHashes: Uint32Array;
  private readonly live: boolean[];
  /** instance index each flow goes to; -1 none live; -2 parked (its new owner is loading its state) */
  private readonly ownerOf: Int32Array;
  private readonly xIp: Int32Array;
  private readonly xPort: Int32Array;
  private readonly xSeen: Uint8Array;
  private readonly xChanged: Uint8Array;
  private readonly pairOwners: PairOwners | null;
  /** per flow: index of the last event that moved it (-1 none), the connection it left, translation seen before the move */
  private readonly movedBy: Int32Array;
  private readonly movedFrom: Int32Array;
  private readonly seenBefore: Uint8Array;
  private readonly seenAfter: Uint8Array;
  private readonly changedAfter: Uint8Array;
  private readonly buckets: number;
  private readonly bSent: Float64Array;
  private readonly bRet: Float64Array;
  private readonly bLost: Float64Array;
  private readonly bDrop: Float64Array;
  private readonly bMissed: Float64Array;
  private readonly bMoved: Float64Array;
  private sent = 0;
  private returned = 0;
  private lost = 0;
  private nfDropped = 0;
  private missed = 0;
  /** packets in flight to an instance whose links closed while traffic ran (a kill, a remove): processed or not, never returned */
  private lostInDead = 0;
  private t0 = 0;
  private sending = false;
  private readonly outcomes: EventOutcome[] = [];
  /** per event: when it was carried out (performance.now()) */
  private readonly eventAt: number[] = [];
  private readonly perInstance = new Map<string, { returned: number; pids: Set<number> }>();
  private readonly waiters: (() => void)[] = [];
  /** the instance whose partitions the survivors are adopting (a remove's, or a kill's without a standby) */
  private pendingAdopt: { ev: number; instance: string; waitingAdopt: Set<number> } | null = null;
  /** removes that fired while another adoption ran: carried out one after another (a survivor adopts one instance at a time) */
  private readonly deferredRemoves: number[] = [];
  /** kills taken over by the survivors whose instance died while another adoption ran: adopted next, before deferred removes */
  private readonly deferredKills: number[] = [];
  private standbyAssigned = new Map<number, number>();

  constructor(o: FrontendOptions) {
    this.o = o;
    const f = o.frames;
    this.nflows = f.count;
    this.fhash = new Uint32Array(f.count);
    for (let i = 0; i < f.count; i++) this.fhash[i] = flowHash(f.bytes, f.offsets[i], f.lengths[i]);
    this.idHashes = Uint32Array.from(o.instances.map(idHash));
    this.live = o.instances.map((id) => o.initial.includes(id));
    this.ownerOf = new Int32Array(f.count);
    this.xIp = new Int32Array(f.count);
    this.xPort = new Int32Array(f.count);
    this.xSeen = new Uint8Array(f.count);
    this.xChanged = new Uint8Array(f.count);
    this.pairOwners = o.checkPairs ? new PairOwners(f.count) : null;
    this.movedBy = new Int32Array(f.count).fill(-1);
    this.movedFrom = new Int32Array(f.count);
    this.seenBefore = new Uint8Array(f.count);
    this.seenAfter = new Uint8Array(f.count);
    this.changedAfter = new Uint8Array(f.count);
    this.recomputeOwners();
    this.buckets = Math.ceil((o.warmupMs + o.durationMs + o.drainMs + 1000) / o.bucketMs);
    this.bSent = new Float64Array(this.buckets);
    this.bRet = new Float64Array(this.buckets);
    this.bLost = new Float64Array(this.buckets);
    this.bDrop = new Float64Array(this.buckets);
    this.bMissed = new Float64Array(this.buckets);
    this.bMoved = new Float64Array(this.buckets);
    this.server = net.createServer((sock) => this.accept(sock));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.socketPath, () => resolve());
    });
  }

  private recomputeOwners(): void {
    for (let f = 0; f < this.nflows; f++) this.ownerOf[f] = rendezvousOwner(this.fhash[f], this.idHashes, this.live);
  }

  private bucket(now: number): number {
    const b = Math.floor((now - this.t0) / this.o.bucketMs);
    return b < 0 ? 0 : b >= this.buckets ? this.buckets - 1 : b;
  }

  private accept(sock: net.Socket): void {
    sock.setNoDelay?.(true);
    const out = new Uint8Array(LINK_HEADER + 4 * BURST + BURST * MAX_FRAME);
    const c: Conn = {
      id: this.nextConnId++, sock, reader: new FrameReader(), instance: null, core: -1, pid: 0, ready: false, closed: false,
      fifo: new Int32Array(this.o.ringPackets), head: 0, tail: 0, inflight: 0,
      out, outDv: new DataView(out.buffer), outCount: 0, outBytes: 0, seq: 0,
    };
    this.conns.push(c);
    sock.on('data', (chunk: Buffer) => {
      c.reader.push(chunk);
      this.onFrames(c);
    });
    const gone = () => this.onClose(c);
    sock.on('close', gone);
    sock.on('error', () => undefined);
  }

  private onFrames(c: Conn): void {
    const r = c.reader;
    while (r.next()) {
      if (r.type === LINK.DATA) this.onReturned(c, r);
      else if (r.type === LINK.HELLO) {
        const h = r.json<LinkHello>();
        c.instance = h.instance;
        c.core = h.core;
        c.pid = h.pid;
        if (h.cores !== this.o.cores) this.o.log(`front-end: pid ${h.pid} has ${h.cores} cores, the run ${this.o.cores}: its flows are split by the run's count`);
        this.notify();
      } else if (r.type === LINK.READY) {
        const info = r.json<Record<string, unknown>>();
        c.ready = true;
        this.refreshServing();
        const ev = this.standbyAssigned.get(c.id);
        if (ev !== undefined) this.outcomes[ev].loaded.push({ core: c.core, ...info });
        this.onReady(c);
        this.notify();
      } else if (r.type === LINK.ADOPTED) {
        const info = r.json<Record<string, unknown>>();
        const pr = this.pendingAdopt;
        if (pr) {
          this.outcomes[pr.ev].loaded.push({ instance: c.instance, core: c.core, ...info });
          pr.waitingAdopt.delete(c.id);
          if (pr.waitingAdopt.size === 0) this.finishAdopt();
        }
      }
    }
  }

  private onReturned(c: Conn, r: FrameReader): void {
    const now = performance.now();
    const b = this.bucket(now);
    const u8 = r.buf;
    const n = r.count;
    let at = r.payload + 4 * n;
    const dv = new DataView(u8.buffer, u8.byteOffset);
    const pi = this.perInstance.get(c.instance ?? '') ?? { returned: 0, pids: new Set<number>() };
    pi.pids.add(c.pid);
    this.perInstance.set(c.instance ?? '', pi);
    for (let i = 0; i < n; i++) {
      const len = dv.getInt32(r.payload + 4 * i, true);
      const f = c.fifo[c.head];
      c.head = c.head + 1 === c.fifo.length ? 0 : c.head + 1;
      c.inflight--;
      if (len === 0) {
        this.nfDropped++;
        this.bDrop[b]++;
        continue;
      }
      this.returned++;
      pi.returned++;
      this.bRet[b]++;
      // the source address and port the packet left with (untagged Ethernet, IPv4, TCP/UDP)
      if (len >= 38 && u8[at + 12] === 0x08 && u8[at + 13] === 0) {
        const ip = at + 14;
        const src = (u8[ip + 12] << 24) | (u8[ip + 13] << 16) | (u8[ip + 14] << 8) | u8[ip + 15];
        const l4 = ip + ((u8[ip] & 15) << 2);
        const port = (u8[l4] << 8) | u8[l4 + 1];
        if (this.xSeen[f] === 0) {
          this.xSeen[f] = 1;
          this.xIp[f] = src;
          this.xPort[f] = port;
          this.pairOwners?.note(src, port, f);
        } else if (this.xIp[f] !== src || this.xPort[f] !== port) {
          this.xChanged[f] = 1;
          this.pairOwners?.note(src, port, f); // a pair it had not left with: another flow's?
          if (this.movedBy[f] >= 0 && c.id !== this.movedFrom[f]) {
            this.changedAfter[f] = 1;
            this.outcomes[this.movedBy[f]].changed_packets++;
          }
        }
      }
      const ev = this.movedBy[f];
      if (ev >= 0 && c.id !== this.movedFrom[f]) {
        this.seenAfter[f] = 1;
        this.bMoved[b]++;
        const o = this.outcomes[ev];
        if (o.recovery_ms === null) o.recovery_ms = round3(now - this.eventAt[ev]);
      }
      at += len;
    }
  }

  private onClose(c: Conn): void {
    if (c.closed) return;
    c.closed = true;
    c.ready = false;
    this.refreshServing();
    const lostHere = c.inflight;
    if (c.inflight > 0) {
      // what was in the dead (or ended) instance's queue never comes back
      this.lost += c.inflight;
      if (this.sending) this.lostInDead += c.inflight;
      this.bLost[this.bucket(performance.now())] += c.inflight;
      c.inflight = 0;
    }
    const inst = c.instance;
    if (inst === null) return;
    if (lostHere > 0 && this.sending) {
      // what was in the dead (or removed) instance's queue belongs to the event that ended it
      for (let k = this.outcomes.length - 1; k >= 0; k--) {
        const o = this.outcomes[k];
        if (o.instance === inst && (o.kind === 'kill' || o.kind === 'remove') && this.eventAt[k] !== undefined) { o.lost_packets += lostHere; break; }
      }
    }
    const rest = this.conns.filter((x) => x.instance === inst && !x.closed);
    if (rest.length > 0) return;
    const idx = this.o.instances.indexOf(inst);
    // the last link of the instance closed: a kill's detection, or a removed instance that finished
    for (let k = this.outcomes.length - 1; k >= 0; k--) {
      const o = this.outcomes[k];
      if (o.instance === inst && o.detected_ms === null && (o.kind === 'kill' || o.kind === 'remove')) {
        o.detected_ms = round3(performance.now() - this.eventAt[k]);
        break;
      }
    }
    if (this.pendingAdopt && this.pendingAdopt.instance === inst) {
      this.startAdopt();
      return;
    }
    if (!this.sending || idx < 0 || !this.live[idx]) return;
    const kill = this.lastEventOf(inst, 'kill');
    if (kill >= 0 && this.o.events[kill].takeover === 'survivors') {
      // no standby: its flows wait (lost) until the survivors loaded what it had flushed, then go to them by the hash
      for (let f = 0; f < this.nflows; f++) if (this.ownerOf[f] === idx) this.ownerOf[f] = -2;
      this.live[idx] = false;
      if (this.pendingAdopt === null) this.adoptKilled(kill);
      else this.deferredKills.push(kill);
      return;
    }
    // died: a standby takes its id and recovers its partitions from the store
    const standbyPid = this.freeStandby();
    if (standbyPid === null) {
      this.o.log(`front-end: instance ${inst} died and no standby is left: its flows are lost from now on`);
      return;
    }
    const ev = this.lastEventOf(inst, 'kill');
    this.assign(standbyPid, inst, [], ev);
  }

  private lastEventOf(inst: string, kind: ElasticEventKind): number {
    for (let k = this.outcomes.length - 1; k >= 0; k--) if (this.outcomes[k].instance === inst && this.outcomes[k].kind === kind) return k;
    return -1;
  }

  private freeStandby(): number | null {
    const c = this.conns.find((x) => x.instance === null && !x.closed && x.pid !== 0);
    return c ? c.pid : null;
  }

  private assign(pid: number, instance: string, adopt: string[], ev: number): void {
    const share = { index: this.o.instances.indexOf(instance), of: this.o.instances.length };
    for (const c of this.conns) {
      if (c.pid !== pid || c.closed || c.instance !== null) continue;
      c.instance = instance;
      c.ready = false;
      if (ev >= 0) this.standbyAssigned.set(c.id, ev);
      c.sock.write(controlFrame(LINK.ASSIGN, { instance, adopt, share } satisfies LinkAssign));
    }
  }

  /** the connections serving each instance (null: not all its cores are up and ready): recomputed on every link change, read per packet */
  private servingCache: (Conn[] | null)[] = [];

  private refreshServing(): void {
    this.servingCache = this.o.instances.map((_, i) => this.servingNow(i));
  }

  private serving(idx: number): Conn[] | null {
    return this.servingCache[idx] ?? null;
  }

  private servingNow(idx: number): Conn[] | null {
    const inst = this.o.instances[idx];
    const cs = this.conns.filter((c) => c.instance === inst && !c.closed);
    if (cs.length !== this.o.cores || cs.some((c) => !c.ready)) return null;
    return cs.sort((a, b) => a.core - b.core);
  }

  private onReady(c: Conn): void {
    const inst = c.instance;
    if (inst === null) return;
    const idx = this.o.instances.indexOf(inst);
    if (idx < 0 || this.servingNow(idx) === null) return;
    const ev = this.standbyAssigned.get(c.id);
    if (ev === undefined || this.outcomes[ev].ready_ms !== null) return;
    const o = this.outcomes[ev];
    o.ready_ms = round3(performance.now() - this.eventAt[ev]);
    if (o.kind === 'add') {
      // the new instance joins: the flows it outscores move to it
      const before = this.ownerOf.slice();
      this.live[idx] = true;
      this.recomputeOwners();
      for (let f = 0; f < this.nflows; f++) if (this.ownerOf[f] !== before[f]) this.markMoved(f, ev, before[f]);
    }
  }

  /** a moved flow's continuity counts for the event that moved it (before a later event moves it again) */
  private tally(f: number): void {
    const ev = this.movedBy[f];
    if (ev < 0 || !this.seenBefore[f] || !this.seenAfter[f]) return;
    this.outcomes[ev].checked_flows++;
    if (!this.changedAfter[f]) this.outcomes[ev].kept_flows++;
  }

  private markMoved(f: number, ev: number, fromIdx: number): void {
    this.tally(f);
    this.seenAfter[f] = 0;
    this.changedAfter[f] = 0;
    this.movedBy[f] = ev;
    const from = fromIdx >= 0 ? this.connFor(fromIdx, f) : null;
    this.movedFrom[f] = from ? from.id : -1;
    this.seenBefore[f] = this.xSeen[f];
    this.outcomes[ev].moved_flows++;
  }

  private connFor(idx: number, f: number): Conn | null {
    const inst = this.o.instances[idx];
    const core = this.fhash[f] % this.o.cores;
    return this.conns.find((c) => c.instance === inst && c.core === core && !c.closed) ?? null;
  }

  private fire(k: number): void {
    const e = this.o.events[k];
    if (e.kind === 'remove' && this.pendingAdopt !== null) {
      // a second remove before the first one's flows found their survivors would drop the first's adoption
      this.deferredRemoves.push(k);
      this.o.log(`front-end: remove ${e.instance} waits until the survivors adopted ${this.pendingAdopt.instance}`);
      return;
    }
    const idx = this.o.instances.indexOf(e.instance);
    this.eventAt[k] = performance.now();
    const o = this.outcomes[k];
    o.at_ms = round3(this.eventAt[k] - this.t0);
    if (e.kind === 'kill') {
      for (let f = 0; f < this.nflows; f++) if (this.ownerOf[f] === idx) this.markMoved(f, k, idx);
      const pids = [...new Set(this.conns.filter((c) => c.instance === e.instance && !c.closed).map((c) => c.pid))];
      this.eventAt[k] = performance.now();
      this.o.kill(e.instance, pids);
    } else if (e.kind === 'add') {
      const pid = this.freeStandby();
      if (pid === null) {
        this.o.log(`front-end: add ${e.instance}: no process is waiting to be assigned`);
        return;
      }
      this.assign(pid, e.instance, this.o.instances.filter((_, i) => this.live[i]), k);
    } else {
      // remove: the instance's flows wait (lost) until the survivors loaded its final state
      const moved: number[] = [];
      for (let f = 0; f < this.nflows; f++) if (this.ownerOf[f] === idx) { this.markMoved(f, k, idx); this.ownerOf[f] = -2; moved.push(f); }
      this.live[idx] = false;
      this.pendingAdopt = { ev: k, instance: e.instance, waitingAdopt: new Set() };
      this.flushAll();
      for (const c of this.conns) if (c.instance === e.instance && !c.closed) c.sock.end(); // it drains, flushes its state and ends
    }
  }

  private adoptKilled(ev: number): void {
    this.pendingAdopt = { ev, instance: this.o.events[ev].instance, waitingAdopt: new Set() };
    this.startAdopt();
  }

  private startAdopt(): void {
    const pr = this.pendingAdopt!;
    for (const c of this.conns) {
      if (c.closed || c.instance === null || !c.ready) continue;
      pr.waitingAdopt.add(c.id);
      c.sock.write(controlFrame(LINK.ADOPT, { adopt: [pr.instance] } satisfies LinkAdopt));
    }
    if (pr.waitingAdopt.size === 0) this.finishAdopt();
  }

  private finishAdopt(): void {
    const pr = this.pendingAdopt!;
    this.pendingAdopt = null;
    const o = this.outcomes[pr.ev];
    o.ready_ms = round3(performance.now() - this.eventAt[pr.ev]);
    for (let f = 0; f < this.nflows; f++) if (this.ownerOf[f] === -2) this.ownerOf[f] = rendezvousOwner(this.fhash[f], this.idHashes, this.live);
    const kill = this.deferredKills.shift();
    if (kill !== undefined) return this.adoptKilled(kill);
    const next = this.deferredRemoves.shift();
    if (next !== undefined) this.fire(next);
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Waits until the given instances' cores are ready (all initial ones by default) and `standbys`
   * standby processes connected (or `ms` passed); returns what is missing, or null.
   */
  async waitForInstances(ms: number, ids: readonly string[] = this.o.initial, standbyCount = this.o.standbys): Promise<string | null> {
    const deadline = performance.now() + ms;
    for (;;) {
      const missing = ids.filter((id) => this.servingNow(this.o.instances.indexOf(id)) === null);
      const standbys = new Set(this.conns.filter((c) => c.instance === null && !c.closed && c.pid !== 0).map((c) => c.pid));
      const standbyCores = this.conns.filter((c) => c.instance === null && !c.closed && c.pid !== 0).length;
      if (missing.length === 0 && standbys.size >= standbyCount && standbyCores >= standbyCount * this.o.cores) return null;
      if (performance.now() >= deadline) {
        return missing.length > 0 ? `instances ${missing.join(', ')} did not connect and load their state` : `${standbyCount - standbys.size} standby process(es) did not connect`;
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }

  private flush(c: Conn): void {
    if (c.outCount === 0) return;
    const payload = 4 * c.outCount + c.outBytes;
    writeDataHeader(c.outDv, 0, c.seq++, c.outCount, payload);
    // the lengths were written at their slots; the frames follow them packed
    const buf = Buffer.allocUnsafe(LINK_HEADER + payload);
    buf.set(c.out.subarray(0, LINK_HEADER + 4 * c.outCount), 0);
    buf.set(c.out.subarray(LINK_HEADER + 4 * BURST, LINK_HEADER + 4 * BURST + c.outBytes), LINK_HEADER + 4 * c.outCount);
    c.sock.write(buf);
    c.outCount = 0;
    c.outBytes = 0;
  }

  private flushAll(): void {
    for (const c of this.conns) if (!c.closed) this.flush(c);
  }

  /** One packet (flow f) onto its instance's link, or counted lost/missed. */
  private send(f: number, b: number): void {
    this.sent++;
    this.bSent[b]++;
    const idx = this.ownerOf[f];
    const cs = idx >= 0 ? this.serving(idx) : null;
    if (cs === null) {
      this.lost++;
      this.bLost[b]++;
      const ev = this.movedBy[f];
      if (ev >= 0) this.outcomes[ev].lost_packets++; // a moved flow's packet while it had no instance
      return;
    }
    const c = cs[this.fhash[f] % this.o.cores];
    if (c.inflight >= c.fifo.length) {
      this.missed++;
      this.bMissed[b]++;
      return;
    }
    const fr = this.o.frames;
    const len = fr.lengths[f];
    c.outDv.setInt32(LINK_HEADER + 4 * c.outCount, len, true);
    c.out.set(fr.bytes.subarray(fr.offsets[f], fr.offsets[f] + len), LINK_HEADER + 4 * BURST + c.outBytes);
    c.outBytes += len;
    c.outCount++;
    c.fifo[c.tail] = f;
    c.tail = c.tail + 1 === c.fifo.length ? 0 : c.tail + 1;
    c.inflight++;
    if (c.outCount === BURST) this.flush(c);
  }

  /** Offers the capture for warm-up + duration, fires the events on time, drains, and ends every link. */
  async run(): Promise<FrontendResult> {
    const o = this.o;
    for (const e of o.events) {
      this.outcomes.push({ kind: e.kind, instance: e.instance, at_s: e.atMs / 1000, at_ms: 0, detected_ms: null, ready_ms: null, recovery_ms: null, moved_flows: 0, checked_flows: 0, kept_flows: 0, changed_packets: 0, lost_packets: 0, loaded: [] });
    }
    this.refreshServing();
    this.t0 = performance.now();
    this.sending = true;
    const endMs = o.warmupMs + o.durationMs;
    let next = 0;
    let p = 0;
    const order = o.events.map((e, k) => ({ e, k })).sort((a, b) => a.e.atMs - b.e.atMs);
    let ei = 0;
    const timed = [...(o.timed ?? [])].sort((a, b) => a.atMs - b.atMs);
    let ti = 0;
    // the capture is offered in order, over and over; packet i is flow i (one packet per flow in a generated capture)
    for (;;) {
      const now = performance.now();
      const t = now - this.t0;
      while (ei < order.length && order[ei].e.atMs <= t) this.fire(order[ei++].k);
      while (ti < timed.length && timed[ti].atMs <= t) timed[ti++].fire(t);
      if (t >= endMs) break;
      const due = Math.floor((o.rate * t) / 1000);
      const b = this.bucket(now);
      const most = Math.max(BURST, Math.ceil(o.rate * 0.02)); // at most 20 ms at once after a late wake-up
      let k = 0;
      while (next < due && k < most) {
        this.send(p, b);
        p = p + 1 === this.nflows ? 0 : p + 1;
        next++;
        k++;
      }
      if (next < due) next = due; // the rest of a long stall is not made up (the generator was not scheduled)
      this.flushAll();
      await new Promise<void>((r) => setTimeout(r, 1));
    }
    this.sending = false;
    this.flushAll();
    // packets in flight come back (or the drain time ends), then the links end and the instances finish
    const drainEnd = performance.now() + o.drainMs;
    while (performance.now() < drainEnd && this.conns.some((c) => !c.closed && c.inflight > 0)) await new Promise<void>((r) => setTimeout(r, 5));
    let unanswered = 0;
    for (const c of this.conns) {
      if (!c.closed) unanswered += c.inflight;
    }
    this.lost += unanswered;
    return this.result(unanswered);
  }

  /** Ends every link (instances finish their final flush and exit) and stops listening. */
  async close(): Promise<void> {
    for (const c of this.conns) {
      c.closed = true;
      c.sock.end();
    }
    this.refreshServing();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private result(unanswered: number): FrontendResult {
    const o = this.o;
    const n = Math.min(this.buckets, Math.ceil((o.warmupMs + o.durationMs + 200) / o.bucketMs));
    const warmB = Math.round(o.warmupMs / o.bucketMs);
    const endB = Math.round((o.warmupMs + o.durationMs) / o.bucketMs);
    const sum = (a: Float64Array) => a.subarray(warmB, endB).reduce((s, x) => s + x, 0);
    for (let f = 0; f < this.nflows; f++) this.tally(f);
    let changed = 0;
    for (let f = 0; f < this.nflows; f++) changed += this.xChanged[f];
    const arr = (a: Float64Array) => Array.from(a.subarray(0, n));
    return {
      bucket_ms: o.bucketMs,
      series: { sent: arr(this.bSent), returned: arr(this.bRet), lost: arr(this.bLost), nf_dropped: arr(this.bDrop), missed: arr(this.bMissed), moved_returned: arr(this.bMoved) },
      sent: this.sent,
      returned: this.returned,
      lost: this.lost,
      nf_dropped: this.nfDropped,
      missed: this.missed,
      window: { sent: sum(this.bSent), returned: sum(this.bRet), lost: sum(this.bLost), missed: sum(this.bMissed), seconds: o.durationMs / 1000 },
      events: this.outcomes,
      changed_flows: changed,
      ...(this.pairOwners ? { pairs: pairsOf(this.pairOwners) } : {}),
      unanswered,
      lost_in_flight: this.lostInDead,
      per_instance: Object.fromEntries([...this.perInstance].map(([k, v]) => [k, { returned: v.returned, pids: [...v.pids] }])),
    };
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function pairsOf(p: PairOwners): NonNullable<FrontendResult['pairs']> {
  const f = p.first;
  return { used: p.used, shared: p.shared, first: f ? { pair: `${formatIPv4(f.ip)}:${f.port}`, flows: [f.other, f.flow] } : null };
}
