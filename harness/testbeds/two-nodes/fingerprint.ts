// The hardware/software fingerprint of a two-node run: node2 (the NF's node) as preflight found it, its
// memory and architecture, and the model and driver of its data port.
import type { Fingerprint } from '../../results/format.js';
import type { Host } from '../../hosts/host.js';
import type { Inventory } from '../../inventory/schema.js';
import type { NodeReport } from '../../inventory/preflight.js';
import { needsServer } from '../../../runtime/stores/server.js';

/**
 * "Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection (ixgbe)" from `lspci -mm`
 * (quoted fields: class, vendor, device, …), else "8086:10fb (ixgbe)" from sysfs vendor/device.
 */
export function nicDescription(driver: string, lspciMm: string | null, sysIds: string | null): string {
  const fields = lspciMm ? [...lspciMm.matchAll(/"([^"]*)"/g)].map((m) => m[1]!) : [];
  if (fields.length >= 3) return `${fields[1]} ${fields[2]} (${driver})`;
  const ids = sysIds?.trim().split('\n').map((x) => x.trim().replace(/^0x/, '')).filter(Boolean) ?? [];
  return `${ids.length === 2 ? ids.join(':') : 'unknown device'} (${driver})`;
}

/** Model and driver of a node's data port: PCI ids from sysfs, names from lspci where it is installed. */
async function nicOf(h: Host, port: Inventory['nodes']['node2']['data_ports'][number]): Promise<string | null> {
  const dev = port.pci ? `/sys/bus/pci/devices/${port.pci}` : `/sys/class/net/${port.iface}/device`;
  const drv = await h.exec(['readlink', `${dev}/driver`], { allowFailure: true });
  if (drv.code === 0) {
    const driver = drv.stdout.trim().split('/').pop() ?? '?';
    const pci = port.pci ?? (await h.exec(['readlink', dev], { allowFailure: true })).stdout.trim().split('/').pop() ?? '';
    const names = pci ? await h.exec(['lspci', '-s', pci, '-mm'], { allowFailure: true }) : null;
    const ids = await h.exec(['cat', `${dev}/vendor`, `${dev}/device`], { allowFailure: true });
    return nicDescription(driver, names?.code === 0 ? names.stdout : null, ids.code === 0 ? ids.stdout : null);
  }
  return port.iface ? `${port.iface} (kernel, no device)` : null;
}

export async function twoNodeFingerprint(h2: Host, inv: Inventory, reports: { node1?: NodeReport; node2?: NodeReport }, stores: readonly string[], testbed: string): Promise<Fingerprint> {
  const r = reports.node2;
  const mem = await h2.exec(['cat', '/proc/meminfo'], { allowFailure: true });
  const kb = Number(mem.stdout.match(/MemTotal:\s+(\d+)/)?.[1] ?? 0);
  const arch = await h2.exec(['uname', '-m'], { allowFailure: true });
  const versions: Record<string, string | null> = {};
  for (const s of stores) if (needsServer(s)) versions[s] = r?.versions[s] ?? reports.node1?.versions[s] ?? null;
  return {
    cpu_model: r?.cpuModel ?? 'unknown',
    cores: r?.cores.length ?? 0,
    core_list: r?.cores ?? [],
    kernel: r?.kernel ?? 'unknown',
    node: r?.versions.node ?? 'unknown',
    platform: 'linux',
    arch: arch.stdout.trim() || 'unknown',
    memory_gb: Math.round((kb / 1024 / 1024) * 10) / 10,
    store_versions: versions,
    dpdk_version: r?.versions.dpdk ?? reports.node1?.versions.dpdk ?? null,
    testbed,
    nic: await nicOf(h2, inv.nodes.node2.data_ports[0]),
  };
}
