// Resolves a store URL's label to its driver by dynamic import of ./<folder>/index.js, so a new
// driver plugs in by adding a folder, without editing this file.
import { FlexbenchError, EXIT } from '../../common/errors.js';
import type { StoreDriver } from './driver.js';
import { redactSecrets } from '../../common/secrets.js';

/** `redis+cluster://a:1,b:2` -> label `redis+cluster`, folder `redis`; `hashmap:` -> `hashmap`. */
export function parseStoreUrl(url: string): { label: string; folder: string; rest: string } {
  const m = /^([a-z][a-z0-9+.-]*):(.*)$/i.exec(url.trim());
  if (!m) {
    throw new FlexbenchError(`store "${redactSecrets(url)}": not a store URL (expected e.g. hashmap:, redis://127.0.0.1:6379, redis+cluster://h:p,h:p, cassandra://host:9042)`, EXIT.usage);
  }
  const label = m[1]!.toLowerCase();
  return { label, folder: label.split('+')[0]!, rest: m[2]! };
}

const cache = new Map<string, StoreDriver>();

export async function resolveDriver(url: string): Promise<StoreDriver> {
  const { label, folder } = parseStoreUrl(url);
  const hit = cache.get(label);
  if (hit) return hit;
  let mod: { driver?: StoreDriver; drivers?: Record<string, StoreDriver> };
  try {
    mod = (await import(`./${folder}/index.js`)) as typeof mod;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(`/${folder}/index.js`)) {
      throw new FlexbenchError(`store "${redactSecrets(url)}": unknown driver label "${label}" (no runtime/drivers/${folder}/)`, EXIT.usage);
    }
    throw err;
  }
  // A folder may serve several labels (redis + redis+cluster) through `drivers`.
  const driver = mod.drivers?.[label] ?? (mod.driver?.label === label ? mod.driver : undefined);
  if (!driver) throw new FlexbenchError(`store "${redactSecrets(url)}": driver folder "${folder}" has no driver for label "${label}"`, EXIT.usage);
  cache.set(label, driver);
  return driver;
}
