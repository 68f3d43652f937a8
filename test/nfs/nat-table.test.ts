import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COLD_WORDS, C_SLOT, HOT_WORDS, H_LAST, H_POOL_IP, H_POOL_PORT_PROTO, NatMappings, swap16 } from '../../nfs/nat-table.js';
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
  // 64 ids at least: 12 + 16 B each, and both tables
  assert.equal(maps.bytes, maps.fwd.bytes + maps.rev.bytes + 64 * (12 + 16));
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


