#!/usr/bin/env node
// Fails when a file under packages/*/src imports itself through a chain of relative imports.
// Type-only imports count too: a circle of types is still two modules that cannot be read apart.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(directory) {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(full);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

const packagesDir = path.join(root, 'packages');
const files = readdirSync(packagesDir).flatMap((name) => {
  try {
    return sourceFiles(path.join(packagesDir, name, 'src'));
  } catch {
    return [];
  }
});
const known = new Set(files);
const imports = new Map(
  files.map((file) => {
    const targets = [...readFileSync(file, 'utf8').matchAll(IMPORT)]
      .map((match) => path.resolve(path.dirname(file), match[1].replace(/\.js$/, '.ts')))
      .map((target) => (known.has(target) ? target : target.replace(/\.ts$/, '.tsx')))
      .filter((target) => known.has(target));
    return [file, targets];
  }),
);

// Depth-first search; a file met again while still on the path closes a circle.
const state = new Map();
const circles = [];
function visit(file, trail) {
  state.set(file, 'open');
  for (const target of imports.get(file) ?? []) {
    if (state.get(target) === 'open') circles.push([...trail.slice(trail.indexOf(target)), target]);
    else if (!state.has(target)) visit(target, [...trail, target]);
  }
  state.set(file, 'done');
}
for (const file of files) if (!state.has(file)) visit(file, [file]);

if (circles.length > 0) {
  for (const circle of circles) console.error(circle.map((file) => path.relative(root, file)).join('\n  → '));
  console.error(`${circles.length} import circle(s) in packages/*/src`);
  process.exit(1);
}
console.log(`no import circles among ${files.length} files in packages/*/src`);
