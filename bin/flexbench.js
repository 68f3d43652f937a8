#!/usr/bin/env node
// The compiled CLI lives in dist/; `npm run build` (or scripts/setup.sh) produces it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const entry = new URL('../dist/harness/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('flexbench: not built yet; run `npm run build` (or `bash scripts/setup.sh`) first\n');
  process.exit(2);
}
await import(entry.href);
