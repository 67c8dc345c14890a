#!/usr/bin/env node
// Committed (not built) so that npm finds the command's file at install time and links it into
// node_modules/.bin; a bin pointing into dist/ is skipped by `npm ci` in a fresh clone, before any build.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  console.error('tollgate-stripe-sandbox: not built yet; run `npm run build` at the repository root first.');
  process.exit(1);
}
await import(built.href);
