import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

const DAY = 86_400;

describe('billing meters and meter events', () => {
  let harness: Harness;
  let customer: Stripe.Customer;
  let meter: Stripe.Billing.Meter;
  const now = () => Math.floor(Date.now() / 1000);
  beforeAll(async () => {
    harness = await startHarness();
    customer = await harness.stripe.customers.create({ email: 'meter@example.com' });
    meter = await harness.stripe.billing.meters.create({
      display_name: 'Tokens',
      event_name: 'llm_tokens',
      default_aggregation: { formula: 'sum' },
    });
  });
  afterAll(() => harness.close());

  const summary = async (start: number, end: number) =>
    (
      await harness.stripe.billing.meters.listEventSummaries(meter.id, {
        customer: customer.id,
        start_time: start,
        end_time: end,
      })
    ).data[0]?.aggregated_value;

  it('records v1 events, counts a repeated identifier once and accepts decimal values', async () => {
    const { stripe } = harness;
    const recorded = await stripe.billing.meterEvents.create({
      event_name: 'llm_tokens',
      identifier: 'req-1',
      payload: { stripe_customer_id: customer.id, value: '120' },
    });
    expect(recorded).toMatchObject({
      object: 'billing.meter_event',
      identifier: 'req-1',
      event_name: 'llm_tokens',
    });
    await stripe.billing.meterEvents.create({
      event_name: 'llm_tokens',
      identifier: 'req-1',
      payload: { stripe_customer_id: customer.id, value: '120' },
    });
    await stripe.billing.meterEvents.create({
      event_name: 'llm_tokens',
      payload: { stripe_customer_id: customer.id, value: '0.5' },
    });
    expect(await summary(now() - DAY, now() + 3600)).toBe(120.5);
  });

  it('rejects timestamps outside 35 days back to 5 minutes ahead, and unknown events or customers', async () => {
    const { stripe } = harness;
    const tooOld = await stripe.billing.meterEvents
      .create({
        event_name: 'llm_tokens',
        timestamp: now() - 36 * DAY,
        payload: { stripe_customer_id: customer.id, value: '1' },
      })
      .catch((error) => error);
    expect(tooOld).toMatchObject({ code: 'timestamp_too_far_in_past', param: 'timestamp' });
    const future = await stripe.billing.meterEvents
      .create({
        event_name: 'llm_tokens',
        timestamp: now() + 600,
        payload: { stripe_customer_id: customer.id, value: '1' },
      })
      .catch((error) => error);
    expect(future).toMatchObject({ code: 'timestamp_in_future' });
    const fineTimestamp = now() - 34 * DAY;
    const fine = await stripe.billing.meterEvents.create({
      event_name: 'llm_tokens',
      timestamp: fineTimestamp,
      payload: { stripe_customer_id: customer.id, value: '1' },
    });
    expect(fine.timestamp).toBe(fineTimestamp);
    const unknownEvent = await stripe.billing.meterEvents
      .create({ event_name: 'nope', payload: { stripe_customer_id: customer.id, value: '1' } })
      .catch((error) => error);
    expect(unknownEvent).toMatchObject({ type: 'StripeInvalidRequestError', param: 'event_name' });
    const unknownCustomer = await stripe.billing.meterEvents
      .create({ event_name: 'llm_tokens', payload: { stripe_customer_id: 'cus_nope', value: '1' } })
      .catch((error) => error);
    expect(unknownCustomer).toMatchObject({ code: 'resource_missing', param: 'payload[stripe_customer_id]' });
    const missingValue = await stripe.billing.meterEvents
      .create({ event_name: 'llm_tokens', payload: { stripe_customer_id: customer.id } })
      .catch((error) => error);
    expect(missingValue).toMatchObject({ code: 'parameter_missing', param: 'payload[value]' });
  });

  it('takes v2 meter event streams in batches of up to 100 with a session token', async () => {
    const { stripe, sandbox } = harness;
    const session = await stripe.v2.billing.meterEventSession.create();
    expect(session.authentication_token).toBeTruthy();
    const streamClient = new Stripe(session.authentication_token, {
      host: '127.0.0.1',
      port: sandbox.port,
      protocol: 'http',
    });
    const start = now();
    const before = (await summary(start - DAY, start + 600)) ?? 0;
    const events = Array.from({ length: 100 }, (_, index) => ({
      event_name: 'llm_tokens',
      identifier: `stream-${index}`,
      payload: { stripe_customer_id: customer.id, value: '2' },
    }));
    await streamClient.v2.billing.meterEventStream.create({ events });
    await streamClient.v2.billing.meterEventStream.create({ events: events.slice(0, 10) });
    // The second batch repeats ten identifiers, so only the first 100 events count.
    expect(await summary(start - DAY, start + 600)).toBe(before + 200);
    const tooMany = await streamClient.v2.billing.meterEventStream
      .create({
        events: Array.from({ length: 101 }, (_, index) => ({
          ...events[0],
          identifier: `big-${index}`,
        })) as typeof events,
      })
      .catch((error) => error);
    expect(tooMany).toBeInstanceOf(Error);
    expect(tooMany.message).toContain('At most 100');
    await streamClient.v2.billing.meterEventStream.create({
      events: [
        {
          event_name: 'llm_tokens',
          identifier: 'orphan',
          payload: { stripe_customer_id: 'cus_gone', value: '1' },
        },
      ],
    });
    const reports = await stripe.events.list({
      type: 'billing.meter.error_report_triggered',
    } as Stripe.EventListParams);
    const report = reports.data[0]?.data.object as unknown as {
      reason: { error_types: Array<{ code: string; error_count: number }> };
    };
    expect(report.reason.error_types).toEqual([
      expect.objectContaining({ code: 'meter_event_customer_not_found', error_count: 1 }),
    ]);
    const badToken = new Stripe('mes_test_forged', {
      host: '127.0.0.1',
      port: sandbox.port,
      protocol: 'http',
    });
    await expect(
      badToken.v2.billing.meterEventStream.create({ events: events.slice(0, 1) }),
    ).rejects.toBeInstanceOf(Error);
  });

  it('lists, updates, deactivates and reactivates meters', async () => {
    const { stripe } = harness;
    const renamed = await stripe.billing.meters.update(meter.id, { display_name: 'LLM tokens' });
    expect(renamed.display_name).toBe('LLM tokens');
    const inactive = await stripe.billing.meters.deactivate(meter.id);
    expect(inactive.status).toBe('inactive');
    const refused = await stripe.billing.meterEvents
      .create({ event_name: 'llm_tokens', payload: { stripe_customer_id: customer.id, value: '1' } })
      .catch((error) => error);
    expect(refused).toMatchObject({ param: 'event_name' });
    expect((await stripe.billing.meters.reactivate(meter.id)).status).toBe('active');
    expect((await stripe.billing.meters.list({ status: 'active' })).data.map((row) => row.id)).toContain(
      meter.id,
    );
  });
});
