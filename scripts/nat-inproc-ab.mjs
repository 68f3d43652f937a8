// In-process A/B of the NAT of two builds (docs/performance.md, "NAT's lookup pass"): each build's Nat over its own
// replayed capture, alternated in slices, CPU ns per packet. Usage (pinned, under the machine lock):
//   taskset -c 1 node scripts/nat-inproc-ab.mjs PCAP PAIRS SLICE_MS BUILD_DIR_A BUILD_DIR_B
const [, , pcapPath, pairsArg, sliceArg, ...builds] = process.argv;
const pairs = Number(pairsArg), sliceMs = Number(sliceArg);
const mods = [];
for (const b of builds) {
  const nat = await import(`${b}/dist/nfs/nat.js`);
  const layout = await import(`${b}/dist/runtime/packet/layout.js`);
  const replay = await import(`${b}/dist/runtime/packet/replay-port.js`);
  const pcap = await import(`${b}/dist/runtime/packet/pcap.js`);
  mods.push({ b, nat, layout, replay, pcap });
}
const { parseIPv4 } = await import(`${builds[0]}/dist/runtime/packet/inet.js`);
const frames = mods[0].pcap.readPcap(pcapPath);
const N = frames.count;
const opts = { core: 0, cores: 1, natIps: { first: parseIPv4('198.19.0.0'), count: 16 }, natPorts: { lo: 1024, hi: 65535 }, lbBackends: [], natTimeoutS: 300, natOther: 'pass' };
// each build's own replay port over its own ring: the packet path of `nf run --input` (rx, process, tx), no store
const runs = mods.map((m) => {
  const nat = new m.nat.Nat(opts, null, 'none');
  const port = new m.replay.RingPort(m.layout.layoutRings(frames, 1, 32).rings[0], 32);
  const step = () => {
    port.rx(32);
    const r = nat.process(port.burst);
    port.tx();
    return r;
  };
  return { name: m.b, nat, step };
});
// first pass: every flow learned, then one more pass to warm the JIT
for (const r of runs) { for (let i = 0; i < 2 * N / 32 + 1; i++) r.step(); }
const ns = runs.map(() => []);
let sink = 0;
for (let p = 0; p < pairs; p++) {
  const order = p % 2 === 0 ? [0, 1] : [1, 0];
  for (const j of order) {
    const r = runs[j];
    const c0 = process.cpuUsage(); const t0 = performance.now(); let pk = 0;
    while (performance.now() - t0 < sliceMs) { for (let k = 0; k < 64; k++) sink += r.step(); pk += 64 * 32; }
    const c = process.cpuUsage(c0);
    ns[j].push(((c.user + c.system) * 1000) / pk);
  }
}
const med = (v) => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const ratios = ns[1].map((x, i) => x / ns[0][i]);
for (let j = 0; j < runs.length; j++) console.log(runs[j].name.padEnd(22), 'ns/pkt median', med(ns[j]).toFixed(1), 'range', Math.min(...ns[j]).toFixed(1), Math.max(...ns[j]).toFixed(1), 'flows', runs[j].nat.stats().flows, 'table_bytes', runs[j].nat.stats().table_bytes);
console.log('B/A time per packet: median', med(ratios).toFixed(3), 'range', Math.min(...ratios).toFixed(3), Math.max(...ratios).toFixed(3), sink > 0 ? '' : '?');
