import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIPv4, parseIPv4 } from '../../../runtime/packet/inet.js';

test('formatIPv4 is parseIPv4 inverted, at the ends of the address space too', () => {
  for (const a of ['0.0.0.0', '198.18.0.1', '10.255.0.7', '255.255.255.255']) assert.equal(formatIPv4(parseIPv4(a)), a);
  assert.equal(formatIPv4(0xc6120001), '198.18.0.1');
  assert.equal(formatIPv4(0xffffffff), '255.255.255.255');
  assert.throws(() => parseIPv4('256.0.0.1'), /bad IPv4 address/);
});
