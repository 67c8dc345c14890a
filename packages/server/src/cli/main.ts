#!/usr/bin/env node
import { CatalogError } from '@tollgate/core';
import { ConfigError } from '../config.js';
import { CliError, type Output } from './cli-error.js';
import { stripeSyncCommand } from './stripe-sync-command.js';

const USAGE = `usage: npm run tollgate -- <command>

commands:
  stripe sync [--dry-run]   create or update in Stripe the products, prices, meters and Customer
                            Portal configuration the catalog needs; --dry-run only prints them
  help                      this text

It reads the server's environment (STRIPE_SECRET_KEY, STRIPE_API_URL, STRIPE_SANDBOX_PORT,
DATABASE_URL, TOLLGATE_CATALOG …). Without STRIPE_SECRET_KEY it talks to the running server's
built-in sandbox.
`;

async function run(args: string[], output: Output): Promise<number> {
  const [group, command, ...options] = args;
  if (group === 'stripe' && command === 'sync') return stripeSyncCommand(options, output);
  if (group === undefined || group === 'help' || group === '--help' || group === '-h') {
    output.out(USAGE);
    return 0;
  }
  output.err(`unknown command "${args.join(' ')}"\n`);
  output.err(USAGE);
  return 2;
}

const output: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

run(process.argv.slice(2), output).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    // One line: configuration and catalog errors list their fields on further lines, joined here.
    const oneLine = message
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .join(' ');
    const known = error instanceof CliError || error instanceof ConfigError || error instanceof CatalogError;
    output.err(`tollgate: ${known ? oneLine : `unexpected error: ${oneLine}`}`);
    process.exitCode = error instanceof CliError ? error.exitCode : 1;
  },
);
