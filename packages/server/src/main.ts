#!/usr/bin/env node
import path from 'node:path';
import { CatalogError } from '@tollgate/core';
import { resolveAdminKey } from './admin-key.js';
import { stripeCallHandlersFor } from './billing/stripe-calls.js';
import { startVersionMoves } from './billing/version-moves.js';
import { loadCatalog } from './catalog/load-catalog.js';
import { ConfigError, loadConfig } from './config.js';
import { seedDemoData } from './demo/seed-demo-data.js';
import { startJobScheduler } from './jobs/scheduler.js';
import { loggerOptions } from './logger.js';
import { syncCatalogAtStart } from './stripe/catalog/sync-at-start.js';
import { startStripeOutboxWorker } from './stripe/outbox-worker.js';
import { openPaymentsBackend, registerSandboxWebhookEndpoint } from './stripe/stripe-gateway.js';
import { createTollgate } from './tollgate.js';

const displayHost = (host: string) => (host === '0.0.0.0' || host === '::' ? 'localhost' : host);

async function main() {
  const config = loadConfig(process.env);
  const { catalog, source: catalogSource } = await loadCatalog(config.catalogPath, process.cwd());
  const dataDir = path.resolve(config.dataDir);
  const adminKey = resolveAdminKey(config.adminKey, dataDir);
  const payments = await openPaymentsBackend({
    stripeSecretKey: config.stripeSecretKey,
    stripeWebhookSecret: config.stripeWebhookSecret,
    stripeApiUrl: config.stripeApiUrl,
    stripeTestClocks: config.stripeTestClocks,
    sandboxPort: config.stripeSandboxPort,
    sandboxDataDir: dataDir,
  });
  const tollgate = await createTollgate({
    databaseUrl: config.databaseUrl,
    databaseReadUrl: config.databaseReadUrl,
    pgliteDir: dataDir,
    databasePoolSize: config.databasePoolSize,
    databaseConnectTimeoutMs: config.databaseConnectTimeoutMs,
    databaseStatementTimeoutMs: config.databaseStatementTimeoutMs,
    catalog,
    adminKey: adminKey.key,
    sessionSecret: config.sessionSecret,
    sessionTtlSeconds: config.sessionTtlSeconds,
    publicUrl: config.publicUrl ?? `http://${displayHost(config.host)}:${config.port}`,
    trialPlanExecutions: config.trialPlanExecutions,
    eventMaxAgeDays: config.eventMaxAgeDays,
    uniqueKeysRemembered: config.uniqueKeysRemembered,
    // Only where it can run (PostgreSQL, the built-in credit debitor); elsewhere ingestion stays here.
    ingestInWorker: config.ingestInWorker ? undefined : false,
    ingestWorkerNice: config.ingestWorkerNice,
    stripe: payments.gateway,
    logger: loggerOptions(config.logLevel),
    rateLimits: config.rateLimits,
  });
  await syncCatalogAtStart(tollgate.context, tollgate.app.log);
  const seeded = config.demoData ? await seedDemoData(tollgate.context.db, catalog, new Date()) : [];
  const jobs = startJobScheduler({
    database: tollgate.database,
    // With the earlier plan versions that subscribers keep.
    catalog: tollgate.context.catalog,
    now: () => new Date(),
    intervalMs: config.jobsIntervalSeconds * 1000,
    logger: tollgate.app.log,
  });
  const stripeOutbox = startStripeOutboxWorker({
    db: tollgate.context.db,
    gateway: payments.gateway,
    handlers: stripeCallHandlersFor(tollgate.context),
    now: () => new Date(),
    intervalMs: 2_000,
    logger: tollgate.app.log,
  });
  const versionMoves = startVersionMoves({
    context: tollgate.context,
    intervalMs: config.jobsIntervalSeconds * 1000,
    logger: tollgate.app.log,
  });
  const address = await tollgate.app.listen({ port: config.port, host: config.host });
  const listeningPort = tollgate.app.server.address();
  // With PORT=0 the operating system picks the port; print the one actually bound.
  const publicUrl =
    config.publicUrl ??
    `http://${displayHost(config.host)}:${typeof listeningPort === 'object' && listeningPort ? listeningPort.port : config.port}`;
  tollgate.context.publicUrl = publicUrl;
  await registerSandboxWebhookEndpoint(payments.gateway, `${publicUrl}/v1/webhooks/stripe`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    tollgate.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    await jobs.stop();
    await stripeOutbox.stop();
    await versionMoves.stop();
    await tollgate.close();
    await payments.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const database = config.databaseUrl
    ? `PostgreSQL (DATABASE_URL${config.databaseReadUrl ? '; reads that may lag on DATABASE_READ_URL' : ''})`
    : `embedded PGlite in ${dataDir}/pglite`;
  const banner = [
    `Tollgate is running at ${publicUrl}  (listening on ${address})`,
    // Where the key is kept, never the key: start banners end up in terminals, CI logs and log shippers.
    `  admin key : ${adminKey.source}`,
    `  database  : ${database}`,
    `  catalog   : ${catalog.version} from ${catalogSource}`,
    `  ingestion : in ${tollgate.context.metering.ingestion.placement}`,
    payments.gateway.mode !== 'sandbox'
      ? `  stripe    : Stripe API, ${payments.gateway.mode} mode (STRIPE_SECRET_KEY)`
      : config.stripeApiUrl
        ? `  stripe    : sandbox at ${payments.sandboxUrl} (STRIPE_API_URL)`
        : `  stripe    : built-in sandbox at ${payments.sandboxUrl} (set STRIPE_SECRET_KEY for real Stripe)`,
    ...(seeded.length ? [`  demo data : organizations ${seeded.join(', ')}`] : []),
    `  API docs  : ${publicUrl}/docs`,
    '',
    `  try: curl -H "Authorization: Bearer $(${adminKey.readCommand})" ${publicUrl}/v1/organizations`,
  ];
  process.stdout.write(`\n${banner.join('\n')}\n\n`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof CatalogError) {
    process.stderr.write(`Tollgate cannot start: ${error.message}\n`);
  } else {
    process.stderr.write(
      `Tollgate cannot start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
