// `npm run bench`: runs every bench/<area>.ts module in turn (each exports `run()`), printing
// rates and ratios measured side by side. Benchmarks measure; they never assert a speed.
// Usage: npm run bench [-- area ...]
import { readdirSync } from 'node:fs';
import os from 'node:os';

const dir = new URL('.', import.meta.url);
const only = process.argv.slice(2);
const areas = readdirSync(dir)
  .filter((f) => f.endsWith('.js') && f !== 'index.js')
  .map((f) => f.slice(0, -3))
  .filter((a) => only.length === 0 || only.includes(a))
  .sort();

console.log(`flexbench bench on ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, node ${process.version}`);
let failed = 0;
for (const area of areas) {
  console.log(`\n=== ${area} ===`);
  try {
    const mod = (await import(new URL(`./${area}.js`, dir).href)) as { run: () => Promise<void> };
    await mod.run();
  } catch (err) {
    failed++;
    console.error(`bench ${area} failed: ${(err as Error).stack ?? err}`);
  }
}
process.exitCode = failed ? 1 : 0;
