// Stripe webhook handling on PostgreSQL: signed renewal events verified, stored by id and applied.
//   npm run build && node bench/webhooks.mjs
// Each renewal is the six events Stripe sends for it: customer.subscription.updated (the period moves,
// with its plan history row), invoice.created, invoice.finalized, invoice.paid (the invoice mirrored,
// the new period's subscription credits granted), invoice.payment_succeeded (the same grant, found
// already made) and payment_intent.succeeded (no credit pack: stored and ignored). Organizations renew
// in turn, one period further each round, so every renewal is new work; events are sent by a closed
// loop of keep-alive connections, signed as Stripe signs. HEAVY_ONLY=1 sends only the two events that
// write most (subscription updated, invoice paid).
// Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), RENEWALS (20000),
//      ORGANIZATIONS (5000), CONNECTIONS (16), BASELINE_S (5), HEAVY_ONLY
import { createHmac } from 'node:crypto';
import pg from 'pg';
import Stripe from 'stripe';
import { startBareServer } from './lib/bare.mjs';
import { closedLoop } from './lib/load.mjs';
import { format, scratchDatabase, startServer } from './lib/server.mjs';

const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const renewals = Number(process.env.RENEWALS ?? 20_000);
const heavyOnly = process.env.HEAVY_ONLY === '1';
const organizationCount = Number(process.env.ORGANIZATIONS ?? 5_000);
const connections = Number(process.env.CONNECTIONS ?? 16);
const baselineMs = Number(process.env.BASELINE_S ?? 5) * 1000;
const secret = 'whsec_bench_webhook_signing_secret_0123456789';
const port = 4541;

const month = 30 * 86_400;
const start = Math.floor(Date.now() / 1000);
const customerOf = (organization) => `cus_bench_${organization}`;
const subscriptionOf = (organization) => `sub_bench_${organization}`;

function subscriptionEvent(organization, round, price) {
  const periodStart = start + round * month;
  return {
    id: `evt_sub_${organization}_${round}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: periodStart,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'customer.subscription.updated',
    data: {
      object: {
        id: subscriptionOf(organization),
        object: 'subscription',
        customer: customerOf(organization),
        status: 'active',
        cancel_at: null,
        cancel_at_period_end: false,
        canceled_at: null,
        ended_at: null,
        trial_end: null,
        schedule: null,
        test_clock: null,
        items: {
          object: 'list',
          data: [
            {
              id: `si_bench_${organization}`,
              object: 'subscription_item',
              current_period_start: periodStart,
              current_period_end: periodStart + month,
              quantity: 1,
              price,
            },
          ],
        },
      },
      previous_attributes: { items: {} },
    },
  };
}

/** An invoice event of the renewal: `stage` is created (draft), finalized (open) or paid. */
function invoiceEvent(organization, round, price, type, status, secondsAfter) {
  const periodStart = start + round * month;
  const paid = status === 'paid';
  return {
    id: `evt_${type}_${organization}_${round}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: periodStart + secondsAfter,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: {
      object: {
        id: `in_bench_${organization}_${round}`,
        object: 'invoice',
        customer: customerOf(organization),
        number: status === 'draft' ? null : `BENCH-${organization}-${round}`,
        status,
        currency: 'usd',
        billing_reason: 'subscription_cycle',
        created: periodStart,
        period_start: periodStart - month,
        period_end: periodStart,
        subtotal: 9_900,
        total: 9_900,
        total_taxes: [],
        amount_due: 9_900,
        amount_paid: paid ? 9_900 : 0,
        amount_remaining: paid ? 0 : 9_900,
        hosted_invoice_url: null,
        invoice_pdf: null,
        parent: {
          type: 'subscription_details',
          subscription_details: { subscription: subscriptionOf(organization) },
        },
        lines: {
          object: 'list',
          has_more: false,
          data: [
            {
              id: `il_bench_${organization}_${round}`,
              object: 'line_item',
              amount: 9_900,
              currency: 'usd',
              description: '1 × Standard',
              quantity: 1,
              period: { start: periodStart, end: periodStart + month },
              pricing: { type: 'price_details', price_details: { price: price.id, product: price.product } },
              parent: {
                type: 'subscription_item_details',
                subscription_item_details: { proration: false, subscription: subscriptionOf(organization) },
              },
            },
          ],
        },
      },
    },
  };
}

function paymentIntentEvent(organization, round) {
  const periodStart = start + round * month;
  return {
    id: `evt_pi_${organization}_${round}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: periodStart + 3_600,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'payment_intent.succeeded',
    data: {
      object: {
        id: `pi_bench_${organization}_${round}`,
        object: 'payment_intent',
        amount: 9_900,
        currency: 'usd',
        customer: customerOf(organization),
        status: 'succeeded',
        metadata: {},
        last_payment_error: null,
      },
    },
  };
}

/** A renewal's events in Stripe's order. */
const renewalEvents = heavyOnly
  ? [
      (organization, round, price) => subscriptionEvent(organization, round, price),
      (organization, round, price) => invoiceEvent(organization, round, price, 'invoice.paid', 'paid', 3_600),
    ]
  : [
      (organization, round, price) => subscriptionEvent(organization, round, price),
      (organization, round, price) => invoiceEvent(organization, round, price, 'invoice.created', 'draft', 0),
      (organization, round, price) =>
        invoiceEvent(organization, round, price, 'invoice.finalized', 'open', 3_600),
      (organization, round) => paymentIntentEvent(organization, round),
      (organization, round, price) => invoiceEvent(organization, round, price, 'invoice.paid', 'paid', 3_600),
      (organization, round, price) =>
        invoiceEvent(organization, round, price, 'invoice.payment_succeeded', 'paid', 3_600),
    ];

const sign = (payload) => {
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return { 'stripe-signature': `t=${timestamp},v1=${signature}` };
};

const database = await scratchDatabase(databaseUrl);
const bare = await startBareServer(4542);
let server;
try {
  process.env.STRIPE_WEBHOOK_SECRET = secret;
  server = await startServer({ port, databaseUrl: database.url });
  const stripe = new Stripe('sk_test_bench', { host: '127.0.0.1', port: port + 7000, protocol: 'http' });
  const product = await stripe.products.create({ name: 'Standard', metadata: { tollgate_plan: 'standard' } });
  const priceObject = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 9_900,
    recurring: { interval: 'month' },
    metadata: { tollgate_plan: 'standard', tollgate_interval: 'month' },
  });

  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query(
    `insert into organizations (id, name, stripe_customer_id)
     select 'bench_' || n, 'Bench ' || n, 'cus_bench_bench_' || n from generate_series(1, $1::int) as n`,
    [organizationCount],
  );
  await client.query(
    `insert into subscriptions (organization_id, id, plan_code, interval, status, source, current_period_start,
       current_period_end, billing_cycle_anchor, stripe_subscription_id, stripe_status, stripe_price_id,
       stripe_state_at, catalog_hash)
     select 'bench_' || n, 'sub_tg_' || n, 'standard', 'month', 'active', 'stripe', to_timestamp($2::bigint - $3::bigint),
       to_timestamp($2::bigint), to_timestamp($2::bigint - $3::bigint), 'sub_bench_bench_' || n, 'active', $4,
       to_timestamp($2::bigint - $3::bigint), 'bench'
     from generate_series(1, $1::int) as n`,
    [organizationCount, start, month, priceObject.id],
  );
  await client.query('analyze');

  // Renewal i: organization i mod N, in round i div N; its events are sent one after another.
  const perRenewal = renewalEvents.length;
  const bodies = (index) => {
    const renewal = Math.floor(index / perRenewal);
    const organization = `bench_${(renewal % organizationCount) + 1}`;
    const round = Math.floor(renewal / organizationCount);
    return JSON.stringify(renewalEvents[index % perRenewal](organization, round, priceObject));
  };
  const sample = bodies(0);
  console.log(
    `one event: ${format(sample.length)} bytes; ${format(renewals)} renewals × ${perRenewal} events, ` +
      `${format(organizationCount)} organizations, ${connections} connections`,
  );

  const baseline = await closedLoop({
    url: `${bare.baseUrl}/v1/webhooks/stripe`,
    makeBody: () => sample,
    makeHeaders: (_index, body) => sign(body),
    connections,
    durationMs: baselineMs,
  });
  const measured = await closedLoop({
    url: `${server.baseUrl}/v1/webhooks/stripe`,
    makeBody: bodies,
    makeHeaders: (_index, body) => sign(body),
    connections,
    durationMs: 600_000,
    total: renewals * perRenewal,
    check: (response) => {
      if (response.text.includes('"duplicate"')) throw new Error(`not applied: ${response.text}`);
    },
  });
  const { rows } = await client.query(
    `select (select count(*) from stripe_events where status = 'processed')::int as processed,
            (select count(*) from invoices)::int as invoices,
            (select count(*) from subscription_history where change = 'renewed')::int as renewed,
            (select count(*) from credit_lots where source = 'subscription')::int as grants`,
  );
  await client.end();
  console.log(
    `bare route (no verification, no work): ${format(baseline.perSecond)} req/s, p99 ${format(baseline.p99, 2)} ms`,
  );
  console.log(
    `webhooks: ${format(measured.requests)} events in ${format(measured.seconds, 1)} s = ${format(measured.perSecond)} events/s ` +
      `(${format(measured.perSecond / baseline.perSecond, 2)}× the bare route), p50 ${format(measured.p50, 2)} ms, ` +
      `p99 ${format(measured.p99, 2)} ms, errors ${measured.errors}`,
  );
  console.log(
    `applied: ${format(rows[0].processed)} events processed, ${format(rows[0].renewed)} renewals in the plan history, ` +
      `${format(rows[0].invoices)} invoices mirrored, ${format(rows[0].grants)} credit grants`,
  );
  console.log(
    `100,000 renewals' events (${format(100_000 * perRenewal)}) at this rate: ${format((100_000 * perRenewal) / measured.perSecond, 0)} s`,
  );
} finally {
  await server?.stop();
  await bare.stop();
  await database.drop();
}
