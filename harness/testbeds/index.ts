// Testbeds by kind: ./<kind>.js is imported on demand, so a new testbed is one new file and no edit here.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FlexbenchError, EXIT } from '../exit-codes.js';
import type { Testbed, TestbedModule, TestbedOptions } from './testbed.js';

const KIND = /^[a-z][a-z0-9-]*$/;

export async function loadTestbedModule(kind: string): Promise<TestbedModule> {
  if (!KIND.test(kind) || kind === 'index' || kind === 'testbed') throw new FlexbenchError(`"${kind}" is not a testbed name`, EXIT.usage);
  const url = new URL(`./${kind}.js`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) {
    throw new FlexbenchError(`testbed "${kind}" is not available in this build (no harness/testbeds/${kind}.ts)`, EXIT.usage);
  }
  const mod = (await import(url.href)) as Partial<TestbedModule>;
  if (typeof mod.createTestbed !== 'function') throw new FlexbenchError(`harness/testbeds/${kind}.ts does not export createTestbed()`, EXIT.environment);
  return mod as TestbedModule;
}

export async function createTestbed(kind: string, opts: TestbedOptions): Promise<Testbed> {
  const mod = await loadTestbedModule(kind);
  const inventory = mod.inventorySchema ? mod.inventorySchema.parse(opts.inventory) : opts.inventory;
  return mod.createTestbed({ ...opts, inventory });
}
