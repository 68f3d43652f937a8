// The lab testbed: two real nodes over SSH, described by an inventory. The two-node code it runs lives
// in ./two-nodes/ (the emulated `netns` testbed runs the very same code).
import type { Inventory } from '../inventory/schema.js';
import type { Testbed, TestbedOptions } from './testbed.js';
import { TwoNodeTestbed } from './two-nodes/testbed.js';

/** lab inventory = the two-node inventory plus command targets for NFs flexbench does not build. */
export { inventorySchema } from '../inventory/schema.js';

export function createTestbed(opts: TestbedOptions): Testbed {
  const inv = opts.inventory as Inventory;
  return new TwoNodeTestbed(opts, inv, 'lab', inv?.commands ?? {});
}
