#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startStripeSandbox } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '12111' },
    host: { type: 'string', default: '127.0.0.1' },
    'data-dir': { type: 'string' },
  },
});

const sandbox = await startStripeSandbox({
  port: Number(values.port),
  host: values.host,
  dataDir: values['data-dir'] ?? null,
});
console.log(`Stripe sandbox listening on ${sandbox.url}`);
console.log(
  `Point the stripe SDK at it: new Stripe('sk_test_…', { host: '${sandbox.host}', port: ${sandbox.port}, protocol: 'http' })`,
);

const stop = async () => {
  await sandbox.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
