#!/usr/bin/env node
// The house checked: docs/ARCHITECTURE.md's import rules (.dependency-cruiser.cjs) over the TypeScript
// sources, type-only imports included. dependency-cruiser cannot parse with TypeScript 7, and the
// compiled JS has lost `import type`, so each source file is mirrored as a stub that keeps only its
// imports (static, type-only, re-exports, dynamic import of a literal) and the stubs are cruised.
// Exit 0 when the house holds; 1 with every violation (file -> import, rule, why) when not.
// Usage: node scripts/check-house.mjs
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise } from 'dependency-cruiser';

const root = new URL('..', import.meta.url).pathname;
const ROOMS = ['common', 'runtime', 'nfs', 'harness', 'bench', 'test'];
const config = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs'));

// import … from 'x' / import type … from 'x' / export … from 'x' / import 'x' / import('x')
const IMPORTS = [
  /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gs,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\(\s*['"]([^'"]+)['"]/g,
];

function importsOf(src) {
  // comments may mention imports; strings rarely look like one
  const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out = new Set();
  for (const re of IMPORTS) for (const m of code.matchAll(re)) out.add(m[1]);
  return [...out];
}

const stubs = mkdtempSync(join(tmpdir(), 'flexbench-house-'));
try {
  const files = [];
  (function walk(dir) {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const rel = join(dir, name);
      if (name === 'node_modules' || name === 'build') continue;
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) files.push(rel);
    }
  })('.');
  for (const rel of files.filter((f) => ROOMS.some((r) => f === r || f.startsWith(`${r}/`)))) {
    const stub = join(stubs, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(stub), { recursive: true });
    writeFileSync(stub, importsOf(readFileSync(join(root, rel), 'utf8')).map((s) => `import ${JSON.stringify(s)};\n`).join(''));
  }
  symlinkSync(join(root, 'node_modules'), join(stubs, 'node_modules'));
  writeFileSync(join(stubs, 'package.json'), JSON.stringify({ type: 'module' }));
  const cwd = process.cwd();
  process.chdir(stubs);
  let result;
  try {
    result = await cruise(ROOMS.filter((r) => { try { return statSync(r).isDirectory(); } catch { return false; } }), {
      ...config.options,
      validate: true,
      ruleSet: { forbidden: config.forbidden },
      outputType: 'json',
    });
  } finally {
    process.chdir(cwd);
  }
  const out = typeof result.output === 'string' ? JSON.parse(result.output) : result.output;
  const ts = (p) => (p.includes('node_modules') ? p : p.replace(/\.js$/, '.ts'));
  const violations = out.summary.violations;
  const cruised = out.summary.totalCruised;
  if (violations.length === 0) {
    process.stdout.write(`house: ${cruised} modules, every import follows docs/ARCHITECTURE.md (.dependency-cruiser.cjs)\n`);
  } else {
    const why = Object.fromEntries(config.forbidden.map((r) => [r.name, r.comment ?? '']));
    for (const v of violations) {
      const cycle = v.cycle?.length ? `\n    cycle: ${[ts(v.from), ...v.cycle.map((c) => ts(typeof c === 'string' ? c : c.name))].join(' -> ')}` : '';
      process.stdout.write(`${ts(v.from)} -> ${ts(v.to)}\n    rule ${v.rule.name}: ${why[v.rule.name] ?? ''}${cycle}\n`);
    }
    process.stdout.write(`house: ${violations.length} import(s) break docs/ARCHITECTURE.md's rules (${cruised} modules)\n`);
    process.exitCode = 1;
  }
} finally {
  rmSync(stubs, { recursive: true, force: true });
}
