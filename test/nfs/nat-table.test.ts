import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COLD_WORDS, C_SLOT, HOT_WORDS, H_LAST, H_POOL_IP, H_POOL_PORT_PROTO, NatMappings, PAIR_HELD, swap16 } from '../../nfs/nat-table.js';
import { CompactFlowTable } from '../../nfs/compact-flow-table.js';
import { ipToLe } from '../../nfs/packet.js';
import { parseIPv4 } from '../../runtime/packet/inet.js';
import { hash4 as hash } from '../../common/flow-hash.js';

const shape = { firstIp: parseIPv4('198.19.0.0'), ips: 4, loPort: 1024, nports: 64512 };

test('nat mappings: a 12 B hot record (last use, pool address and port as the frame holds them), the pair read back from it, ids reused last freed first', () => {
  const maps = new NatMappings(16, shape);
  const k = 2 * 64512 + 5; // 198.19.0.2, port 1029
  const m = maps.add(0x0200000a, 0x090071cb, 0x5000 | (7 << 24), 17, k, 123);
  assert.equal(m, 0);
  const o = m * HOT_WORDS;
  assert.deepEqual([maps.hot[o + H_LAST], maps.hot[o + H_POOL_IP], maps.hot[o + H_POOL_PORT_PROTO]], [123, ipToLe(parseIPv4('198.19.0.2')), swap16(1029) | (17 << 16)]);
  assert.equal(maps.cold[m * COLD_WORDS + C_SLOT], -1);
  assert.equal(maps.pairOf(m), k);
  assert.equal(maps.fwd.value(maps.fwd.find(0x0200000a, 0x090071cb, 0x5000 | (7 << 24), 17)), m);
  const m2 = maps.add(0x0300000a, 0x090071cb, 0x5000, 6, 3 * 64512 + 64511, 5); // the pool's last pair
  assert.equal(maps.pairOf(m2), 3 * 64512 + 64511);
  assert.equal(maps.remove(m), k);
  assert.equal(maps.hot[o + H_LAST], -1, 'a free id is marked');
  assert.equal(maps.fwd.find(0x0200000a, 0x090071cb, 0x5000 | (7 << 24), 17), -1);
  assert.equal(maps.add(0x0400000a, 1, 2, 17, 9, 6), m, 'the freed id comes back first');
  assert.deepEqual([maps.live, maps.high], [2, 2]);
  // 64 ids at least: 12 + 16 B each, the forward table, a word per page of 256 pairs and two pages (a live
  // count and 256 pairs each): the first mapping's page was given back with it and taken again by pair 9's
  assert.equal(maps.bytes, maps.fwd.bytes + 4 * Math.ceil((4 * 64512) / 256) + 2 * 257 * 4 + 64 * (12 + 16));
});

test('compact flow table: findAt from at(h) finds what findFrom finds', () => {
  const t = new CompactFlowTable(100);
  for (let i = 0; i < 70; i++) t.insert(i, i * 7, i * 13, 17, i);
  for (let i = 0; i < 80; i++) {
    const e = t.find(i, i * 7, i * 13, 17);
    // same hash as find's (hash4 of the four words)
    const at = t.at(hash(i, i * 7, i * 13, 17));
    assert.equal(t.findAt(at, i, i * 7, i * 13, 17), e);
    assert.equal(e >= 0 ? t.value(e) : -1, i < 70 ? i : -1);
  }
});



test('nat mappings: a reply finds its mapping by the pool pair it is sent to, only from the outside host, port and protocol of the flow', () => {
  const maps = new NatMappings(16, shape);
  const inside = 0x0200000a, outside = 0x090071cb;
  const fwdPorts = swap16(40000) | (swap16(443) << 16); // source port 40000 -> 443, as a frame's word reads
  const k = 64512 + 77; // 198.19.0.1, port 1101
  const m = maps.add(inside, outside, fwdPorts, 6, k, 1);
  const poolIp = ipToLe(parseIPv4('198.19.0.1'));
  const replyPorts = swap16(443) | (swap16(1101) << 16);
  assert.equal(maps.reply(outside, poolIp, replyPorts, 6), m);
  assert.equal(maps.reply(outside + 1, poolIp, replyPorts, 6), -1, 'another outside host');
  assert.equal(maps.reply(outside, poolIp, swap16(444) | (swap16(1101) << 16), 6), -1, 'another outside port');
  assert.equal(maps.reply(outside, poolIp, replyPorts, 17), -1, 'another protocol');
  assert.equal(maps.reply(outside, poolIp, swap16(443) | (swap16(1102) << 16), 6), -1, 'a pair of the same page never handed out');
  assert.equal(maps.reply(outside, ipToLe(parseIPv4('198.19.0.3')), replyPorts, 6), -1, 'a pair of a page never used');
  assert.equal(maps.reply(outside, ipToLe(parseIPv4('198.19.0.9')), replyPorts, 6), -1, 'an address beyond the pool');
  assert.equal(maps.reply(outside, poolIp, swap16(443) | (swap16(80) << 16), 6), -1, 'a port below the pool');
  // a ping: its identifier is its port both ways (the reply's identifier is the pool port)
  const mi = maps.add(inside, outside, swap16(7), 1, 5, 1);
  assert.equal(maps.reply(outside, ipToLe(parseIPv4('198.19.0.0')), swap16(1029), 1), mi);
  // one live mapping per pair: a second add of a held pair is refused and changes nothing
  const [live, high] = [maps.live, maps.high];
  assert.equal(maps.add(0x0300000a, outside, fwdPorts, 6, k, 2), PAIR_HELD);
  assert.deepEqual([maps.live, maps.high], [live, high], 'no id taken');
  assert.equal(maps.fwd.find(0x0300000a, outside, fwdPorts, 6), -1, 'nothing of it added');
  assert.equal(maps.reply(outside, poolIp, replyPorts, 6), m);
  maps.remove(m);
  assert.equal(maps.reply(outside, poolIp, replyPorts, 6), -1, 'gone with its mapping');
  assert.equal(maps.add(0x0300000a, outside, fwdPorts, 6, k, 2) >= 0, true, 'the pair is free again');
});

test('nat mappings: a pool of 2^28 pairs keeps pages of 256; a larger one gets larger pages, never more than 2^20 of them, and pairs past 2^32 do not alias', () => {
  // 2^12 addresses x 64,512 ports: just under 2^28 pairs, pages of 256
  const mid = new NatMappings(16, { firstIp: parseIPv4('10.0.0.0'), ips: 4096, loPort: 1024, nports: 64512 });
  const m = mid.add(0x0200000a, 0x090071cb, 0x5000 | (7 << 24), 17, 4095 * 64512 + 64511, 1);
  assert.equal(mid.byPair.length, 257, 'one page: its live count and 256 pairs');
  assert.equal(mid.reply(0x090071cb, ipToLe(parseIPv4('10.0.15.255')), 0x0700 | (swap16(65535) << 16), 17), m); // the outside port: the forward word's high half
  // a /15 with every port: 2^17 x 64,512 = 8.46e9 pairs, pages of 2^13, 1,032,192 of them
  const huge = new NatMappings(16, { firstIp: parseIPv4('10.0.0.0'), ips: 1 << 17, loPort: 1024, nports: 64512 });
  assert.ok(huge.bytes - huge.fwd.bytes - 64 * 28 <= (1 << 20) * 4);
  const k2 = 2 ** 32 + 5; // pair 5 and this one fall in different pages
  const m1 = huge.add(0x0200000a, 0x090071cb, 0x5000 | (7 << 24), 17, 5, 1);
  const m2 = huge.add(0x0300000a, 0x0a0071cb, 0x5000 | (7 << 24), 17, k2, 1);
  assert.ok(m1 >= 0 && m2 >= 0 && m1 !== m2, 'both pairs free');
  assert.equal(huge.byPair.length, 2 * ((1 << 13) + 1));
  assert.equal(huge.pairOf(m2), k2);
  const a2 = Math.floor(k2 / 64512);
  const ip2 = ipToLe(parseIPv4('10.0.0.0') + a2);
  const port2 = swap16(1024 + (k2 - a2 * 64512));
  assert.equal(huge.reply(0x0a0071cb, ip2, 0x0700 | (port2 << 16), 17), m2);
  assert.equal(huge.reply(0x090071cb, ip2, 0x0700 | (port2 << 16), 17), -1, "m1's outside host at m2's pair");
  huge.remove(m1);
  assert.equal(huge.reply(0x0a0071cb, ip2, 0x0700 | (port2 << 16), 17), m2, "m1's removal leaves m2's word");
});

test('nat mappings: pages follow the live mappings, not every pair ever used (churn through the pool)', () => {
  const maps = new NatMappings(16, shape);
  let next = 0;
  const live: number[] = [];
  for (let round = 0; round < 50; round++) {
    // 1,000 new mappings on fresh pairs, as the pool hands out its chunk's blocks in turn, then the oldest 1,000 go
    for (let j = 0; j < 1000; j++, next++) live.push(maps.add(0x0a000000 + next, 0x090071cb, next & 0xffff, 17, next, round));
    while (live.length > 1000) maps.remove(live.shift()!);
  }
  assert.equal(maps.live, 1000);
  // at most 2,000 live at once (9 pages of 256), room grown by 1.5x: never near the 196 pages 50,000 pairs span
  assert.ok(maps.byPair.length <= 14 * 257, `byPair ${maps.byPair.length} words for 1,000 live mappings over ${next} pairs`);
  // every pair replies with its own live mapping (all share outside host, port and protocol: only the word tells them
  // apart), and the pairs whose mappings went reply with none
  const replyOf = (j: number) => {
    const a = Math.floor(j / 64512);
    // the forward ports word's high half (the outside port) is 0 here, the reply's low half too
    return maps.reply(0x090071cb, ipToLe(parseIPv4('198.19.0.0') + a), swap16(1024 + j - a * 64512) << 16, 17);
  };
  for (let j = next - 1000; j < next; j++) assert.equal(replyOf(j), live[j - (next - 1000)]);
  for (const j of [0, 255, 256, 30_000, next - 1001]) assert.equal(replyOf(j), -1, `pair ${j}: its mapping went`);
});
