import { loadCatalog } from '../catalog/load-catalog.js';
import { type Config, loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { type CatalogSyncResult, syncStripeCatalog } from '../stripe/catalog/sync-stripe-catalog.js';
import { storeSyncedCatalog } from '../stripe/catalog/synced-catalog-store.js';
import {
  SANDBOX_SECRET_KEY,
  type StripeGateway,
  stripeClientFor,
  stripeGateway,
} from '../stripe/stripe-gateway.js';
import { describeRetiredPlan, findRetiredPlans } from '../subscriptions/retired-plans.js';
import { CliError, type Output } from './cli-error.js';

type Target = { gateway: StripeGateway; description: string; url: string | null };

/**
 * The Stripe the server would use, without starting a sandbox of its own: with no secret key, the
 * running server's built-in sandbox (or STRIPE_API_URL), so both see the same catalog.
 */
function stripeTarget(config: Config): Target {
  const base = { webhookSecret: null, testClocks: false };
  if (config.stripeSecretKey) {
    const live = /^(sk|rk)_live_/.test(config.stripeSecretKey);
    return {
      gateway: stripeGateway(stripeClientFor(config.stripeSecretKey, config.stripeApiUrl), {
        ...base,
        mode: live ? 'live' : 'test',
      }),
      description: `Stripe, ${live ? 'live' : 'test'} mode${config.stripeApiUrl ? ` at ${config.stripeApiUrl}` : ''}`,
      url: config.stripeApiUrl ?? null,
    };
  }
  const url = config.stripeApiUrl ?? `http://127.0.0.1:${config.stripeSandboxPort}`;
  return {
    gateway: stripeGateway(stripeClientFor(SANDBOX_SECRET_KEY, url), { ...base, mode: 'sandbox' }),
    description: `the Stripe sandbox at ${url}`,
    url,
  };
}

function unreachable(target: Target): CliError {
  if (target.gateway.mode === 'sandbox') {
    return new CliError(
      `nothing listens at ${target.url}: start Tollgate (npm start) to run its built-in Stripe sandbox, or set STRIPE_API_URL to a running sandbox, or STRIPE_SECRET_KEY for Stripe`,
    );
  }
  return new CliError(
    `cannot reach Stripe${target.url ? ` at ${target.url}` : ''}; check the network and try again`,
  );
}

const isConnectionError = (error: unknown) =>
  typeof error === 'object' &&
  error !== null &&
  (error as { type?: unknown }).type === 'StripeConnectionError';

function printResult(result: CatalogSyncResult, output: Output) {
  for (const line of result.lines) output.out(`  ${result.dryRun ? 'would ' : ''}${line}`);
  for (const note of result.notes) output.out(`  note: ${note}`);
}

/** `tollgate stripe sync [--dry-run]`: prints each change, applies it unless a dry run, and a summary. */
export async function stripeSyncCommand(options: string[], output: Output): Promise<number> {
  const unknown = options.filter((option) => option !== '--dry-run');
  if (unknown.length > 0)
    throw new CliError(`unknown option ${unknown.join(' ')} (stripe sync takes --dry-run)`, 2);
  const dryRun = options.includes('--dry-run');
  const config = loadConfig(process.env);
  const { catalog, source } = await loadCatalog(config.catalogPath, process.cwd());
  const target = stripeTarget(config);
  output.out(
    `Syncing catalog ${catalog.version} (${source}) into ${target.description}${dryRun ? ' (dry run)' : ''}`,
  );
  let result: CatalogSyncResult;
  try {
    result = await syncStripeCatalog(target.gateway.stripe, catalog, { dryRun });
  } catch (error) {
    if (isConnectionError(error)) throw unreachable(target);
    throw error;
  }
  printResult(result, output);
  // The embedded database belongs to the server process that opened it; only PostgreSQL is shared.
  if (config.databaseUrl) {
    const database = await openDatabase({ databaseUrl: config.databaseUrl, poolSize: 2 });
    try {
      await runMigrations(database);
      if (!dryRun) await storeSyncedCatalog(database.db, target.gateway.mode, result.ids, new Date());
      for (const plan of await findRetiredPlans(database.db, catalog))
        output.out(`  retired: ${describeRetiredPlan(plan)}`);
    } finally {
      await database.close();
    }
  } else {
    output.out(
      "  (organizations on retired plans are listed in the server log at start: the embedded database is the server's)",
    );
  }
  output.out(
    result.changes.length === 0
      ? 'no changes'
      : `${dryRun ? 'dry run, would make' : 'made'} ${result.summary}`,
  );
  return 0;
}
